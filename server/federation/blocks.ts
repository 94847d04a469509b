// Admin blocks of a domain or an actor: a blocked party's posts are refused at the
// inbox and it gets nothing from our outbox.
import { select, execute } from '../db/index.js';
import { conflict } from '../http/errors.js';
import type { FederationRuntime } from './runtime.js';
import { hostOf } from './vocabulary.js';

export interface Block {
  id: string;
  kind: 'domain' | 'actor';
  value: string;
  reason: string | null;
  createdAt: string;
}

export class Blocks {
  private cache?: { at: number; domains: Set<string>; actors: Set<string> };

  constructor(private readonly rt: FederationRuntime) {}

  private async load() {
    if (this.cache && Date.now() - this.cache.at < 5000) return this.cache;
    const rows = await select<{ kind: string; value: string }>(this.rt.db, 'SELECT kind, value FROM federation_blocks');
    this.cache = {
      at: Date.now(),
      domains: new Set(rows.filter((r) => r.kind === 'domain').map((r) => r.value)),
      actors: new Set(rows.filter((r) => r.kind === 'actor').map((r) => r.value)),
    };
    return this.cache;
  }

  /** True when the URI's host (or a parent domain) or the actor itself is blocked. */
  async isBlocked(uri: string): Promise<boolean> {
    const { domains, actors } = await this.load();
    if (actors.has(uri)) return true;
    const host = hostOf(uri);
    if (!host) return false;
    const bare = host.replace(/:\d+$/, '');
    if (domains.has(host) || domains.has(bare)) return true;
    const parts = bare.split('.');
    for (let i = 1; i < parts.length - 1; i++) if (domains.has(parts.slice(i).join('.'))) return true;
    return false;
  }

  async list(): Promise<Block[]> {
    const rows = await select<{ id: string; kind: 'domain' | 'actor'; value: string; reason: string | null; created_at: Date }>(
      this.rt.db,
      'SELECT * FROM federation_blocks ORDER BY created_at DESC',
    );
    return rows.map((r) => ({ id: r.id, kind: r.kind, value: r.value, reason: r.reason, createdAt: new Date(r.created_at).toISOString() }));
  }

  async add(kind: 'domain' | 'actor', value: string, reason?: string): Promise<Block> {
    const v = kind === 'domain' ? value.trim().toLowerCase() : value.trim();
    // Blocking this node's own host or actor would end every follow of its users (a domain
    // block deletes what matches it): never, whoever asks and however it is spelled.
    if (kind === 'domain' ? this.rt.isLocalHost(v) : this.rt.isLocal(v)) throw conflict('local_block', 'That is this node: it cannot block itself or its own accounts');
    await execute(
      this.rt.db,
      `INSERT INTO federation_blocks (kind, value, reason) VALUES (:kind, :v, :reason) ON CONFLICT (kind, value) DO UPDATE SET reason = EXCLUDED.reason`,
      { kind, v, reason: reason ?? null },
    );
    this.cache = undefined;
    // Blocking ends the relationship both ways and unlists what the blocked party sent.
    if (kind === 'actor') {
      await execute(this.rt.db, 'DELETE FROM federation_follows WHERE follower_uri = :v OR following_uri = :v', { v });
      await execute(this.rt.db, 'DELETE FROM federation_remote_tracks WHERE actor_uri = :v', { v });
      await execute(this.rt.db, 'DELETE FROM federation_remote_campaigns WHERE actor_uri = :v', { v });
    } else {
      const like = `%://${v}/%`;
      const sub = `%.${v}`;
      await execute(this.rt.db, 'DELETE FROM federation_follows WHERE follower_uri LIKE :like OR following_uri LIKE :like', { like });
      await execute(this.rt.db, 'DELETE FROM federation_remote_tracks WHERE host = :v OR host LIKE :sub', { v, sub });
      await execute(this.rt.db, 'DELETE FROM federation_remote_campaigns WHERE host = :v OR host LIKE :sub', { v, sub });
    }
    return (await this.list()).find((b) => b.kind === kind && b.value === v)!;
  }

  async remove(id: string): Promise<boolean> {
    const rows = await select(this.rt.db, 'DELETE FROM federation_blocks WHERE id = CAST(:id AS uuid) RETURNING id', { id });
    this.cache = undefined;
    return rows.length > 0;
  }
}
