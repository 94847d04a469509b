// Fedify's KvStore on our Postgres (table federation_kv): the public-key cache and the
// replay guard live here, so every web process of a node shares them.
import type { KvKey, KvStore, KvStoreSetOptions } from '@fedify/fedify';
import type { Sequelize } from 'sequelize';
import { execute, select, selectOne } from '../db/index.js';

const keyOf = (key: KvKey): string => key.map((k) => encodeURIComponent(k)).join('/');

function ttlMs(options?: KvStoreSetOptions): number | null {
  if (!options?.ttl) return null;
  return options.ttl.total({ unit: 'millisecond' });
}

const UPSERT = `INSERT INTO federation_kv (key, value, expires_at)
  VALUES (:k, CAST(:v AS jsonb), CASE WHEN CAST(:ms AS double precision) IS NULL THEN NULL ELSE now() + make_interval(secs => CAST(:ms AS double precision) / 1000) END)
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`;

export class PostgresKvStore implements KvStore {
  constructor(private readonly db: Sequelize) {}

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const row = await selectOne<{ value: { v: T } }>(
      this.db,
      'SELECT value FROM federation_kv WHERE key = :k AND (expires_at IS NULL OR expires_at > now())',
      { k: keyOf(key) },
    );
    return row?.value.v;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    await this.put(key, value, ttlMs(options));
  }

  /** Like `set`, with the time to live in milliseconds (null: forever). */
  async put(key: KvKey, value: unknown, ttlMilliseconds: number | null = null): Promise<void> {
    await execute(this.db, UPSERT, { k: keyOf(key), v: JSON.stringify({ v: value }), ms: ttlMilliseconds });
  }

  async delete(key: KvKey): Promise<void> {
    await execute(this.db, 'DELETE FROM federation_kv WHERE key = :k', { k: keyOf(key) });
  }

  /** Sets the key only when it is absent (or expired); true when this call set it. */
  async setIfAbsent(key: KvKey, value: unknown, ttlMilliseconds: number | null = null): Promise<boolean> {
    const ms = ttlMilliseconds;
    const rows = await select(
      this.db,
      `INSERT INTO federation_kv (key, value, expires_at)
       VALUES (:k, CAST(:v AS jsonb), CASE WHEN CAST(:ms AS double precision) IS NULL THEN NULL ELSE now() + make_interval(secs => CAST(:ms AS double precision) / 1000) END)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
         WHERE federation_kv.expires_at IS NOT NULL AND federation_kv.expires_at <= now()
       RETURNING key`,
      { k: keyOf(key), v: JSON.stringify({ v: value }), ms },
    );
    return rows.length > 0;
  }

  async *list(prefix?: KvKey): AsyncIterable<{ key: KvKey; value: unknown }> {
    const p = prefix ? keyOf(prefix) : '';
    const rows = await select<{ key: string; value: { v: unknown } }>(
      this.db,
      `SELECT key, value FROM federation_kv WHERE (key = :p OR key LIKE :like) AND (expires_at IS NULL OR expires_at > now()) ORDER BY key`,
      { p, like: p ? `${p.replace(/[%_\\]/g, '\\$&')}/%` : '%' },
    );
    for (const r of rows) {
      yield { key: r.key.split('/').map(decodeURIComponent) as unknown as KvKey, value: r.value.v };
    }
  }

  async purgeExpired(): Promise<void> {
    await execute(this.db, 'DELETE FROM federation_kv WHERE expires_at IS NOT NULL AND expires_at <= now()');
  }
}
