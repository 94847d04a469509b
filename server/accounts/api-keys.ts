// API keys for listeners' apps: made, listed and revoked by their owner, and checked by the doors
// apps knock at (Subsonic's `apiKey`, `u`+`p` and `u`+`t`+`s`; ListenBrainz's `Token`). A key is
// found by its SHA-256; Subsonic's token login (t = md5(key + s)) needs the key itself, so it is
// also kept sealed under a node secret that lives outside the database
// (docs/decisions/0900-app-keys-and-subsonic.md). The account password opens none of these doors.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import { execute, select, selectOne } from '../db/index.js';
import { AppError, notFound } from '../http/errors.js';
import { isUuid } from '../../shared/ids.js';
import type * as api from '../../shared/api/index.js';
import { closedAccount } from './service.js';

export type ApiKey = api.ApiKey;
export type NewApiKey = api.NewApiKey;

/** What an app presents: an API key, or a user name with the key as password or as an md5 token. */
export type AppCredentials = { apiKey: string } | { username: string; password: string } | { username: string; token: string; salt: string };

/** Whose key it was, or why not (Subsonic answers 44 for a bad `apiKey`, 40 for the others). */
export type AppAuthentication = { ok: true; userId: string; keyId: string } | { ok: false; reason: 'invalid_api_key' | 'wrong_credentials' | 'account_disabled' };

export const apiKeyNameSchema = z.object({ name: z.string().trim().min(1).max(100) }).strict();

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** `9t_` and 32 random bytes: long enough that guessing is pointless, plain enough to type into an app's password field. */
const newKey = () => `9t_${randomBytes(32).toString('base64url')}`;

/**
 * AES-256-GCM under the node's sealing secret (a file made once, mode 0600). A database dump
 * alone does not give away the keys; the hash still finds them for `apiKey` and `p` logins.
 */
export class KeySealer {
  private secret?: Buffer;

  constructor(private readonly file: string) {}

  private key(): Buffer {
    if (this.secret) return this.secret;
    if (!existsSync(this.file)) {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      try {
        // 'wx': two processes starting together make one secret, and the second reads it.
        const fd = openSync(this.file, 'wx', 0o600);
        writeSync(fd, randomBytes(32).toString('hex'));
        closeSync(fd);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const hex = readFileSync(this.file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${this.file}: expected 64 hex digits (the API key sealing secret)`);
    return (this.secret = Buffer.from(hex, 'hex'));
  }

  seal(plain: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(), iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** The key, or undefined when it was sealed under another secret (a database moved without its secret file). */
  unseal(sealed: Buffer): string | undefined {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(), sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

interface KeyRow {
  id: string;
  user_id: string;
  name: string;
  key_sealed: Buffer;
  created_at: Date;
  last_used_at: Date | null;
  username?: string;
  disabled?: boolean;
  /** Deleted, or being deleted (service.ts `closedAccount`). */
  closed?: boolean;
}

const toApiKey = (r: KeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  createdAt: new Date(r.created_at).toISOString(),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
});

/** Subsonic's `p`: the password in clear, or `enc:` and its UTF-8 bytes in hex. */
function decodePassword(p: string): string {
  if (!p.startsWith('enc:')) return p;
  const hex = p.slice(4);
  return /^([0-9a-f]{2})*$/i.test(hex) ? Buffer.from(hex, 'hex').toString('utf8') : '';
}

/** How exactly `lastUsedAt` is kept. */
const lastUsedResolutionMs = 5 * 60_000;

const keyWithOwner = `SELECT k.*, u.username, u.disabled, ${closedAccount('u')} AS closed FROM api_keys k JOIN users u ON u.id = k.user_id`;

export class ApiKeys {
  constructor(
    private readonly db: Sequelize,
    private readonly sealer: KeySealer,
    private readonly maxPerUser: number,
  ) {}

  /** A new key; the key itself is in this answer only. */
  async create(userId: string, input: unknown): Promise<NewApiKey> {
    const { name } = apiKeyNameSchema.parse(input);
    const key = newKey();
    const row = await this.db.transaction(async (t) => {
      await execute(this.db, "SELECT pg_advisory_xact_lock(hashtext('api-keys:' || :userId))", { userId }, t);
      const count = await selectOne<{ n: string }>(this.db, 'SELECT count(*) AS n FROM api_keys WHERE user_id = :userId', { userId }, t);
      if (Number(count?.n ?? 0) >= this.maxPerUser) throw new AppError(409, 'too_many_api_keys', `An account has at most ${this.maxPerUser} API keys; revoke one first`);
      return selectOne<KeyRow>(
        this.db,
        'INSERT INTO api_keys (user_id, name, key_hash, key_sealed) VALUES (:userId, :name, :hash, :sealed) RETURNING *',
        { userId, name, hash: sha256(key), sealed: this.sealer.seal(key) },
        t,
      );
    });
    return { ...toApiKey(row!), key };
  }

  async list(userId: string): Promise<ApiKey[]> {
    const rows = await select<KeyRow>(this.db, 'SELECT * FROM api_keys WHERE user_id = :userId ORDER BY created_at, id', { userId });
    return rows.map(toApiKey);
  }

  async revoke(userId: string, id: string): Promise<void> {
    const row = isUuid(id) ? await selectOne(this.db, 'DELETE FROM api_keys WHERE id = :id AND user_id = :userId RETURNING id', { id, userId }) : undefined;
    if (!row) throw notFound('API key');
  }

  /** Revokes every key of an account (its password was set anew). */
  async revokeAll(userId: string): Promise<void> {
    await execute(this.db, 'DELETE FROM api_keys WHERE user_id = :userId', { userId });
  }

  /** Checks what an app presents. Never the account password: only a key of the named account opens it. */
  async authenticate(c: AppCredentials): Promise<AppAuthentication> {
    let row: KeyRow | undefined;
    if ('apiKey' in c) {
      row = await this.byKey(c.apiKey);
      if (!row) return { ok: false, reason: 'invalid_api_key' };
    } else if ('password' in c) {
      row = await this.byKey(decodePassword(c.password));
      if (row && row.username!.toLowerCase() !== c.username.toLowerCase()) row = undefined;
    } else {
      row = await this.byToken(c.username, c.token, c.salt);
    }
    if (!row) return { ok: false, reason: 'wrong_credentials' };
    if (row.disabled || row.closed) return { ok: false, reason: 'account_disabled' };
    // At most one write per key every few minutes, whatever the request rate.
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > lastUsedResolutionMs) {
      await execute(this.db, 'UPDATE api_keys SET last_used_at = now() WHERE id = :id', { id: row.id });
    }
    return { ok: true, userId: row.user_id, keyId: row.id };
  }

  private byKey(key: string): Promise<KeyRow | undefined> {
    if (!key || key.length > 200) return Promise.resolve(undefined);
    return selectOne<KeyRow>(this.db, `${keyWithOwner} WHERE k.key_hash = :hash`, { hash: sha256(key) });
  }

  /** The key of the account whose md5(key + salt) is the token (each key of the account is tried). */
  private async byToken(username: string, token: string, salt: string): Promise<KeyRow | undefined> {
    if (!/^[0-9a-f]{32}$/i.test(token) || !salt || salt.length > 200) return undefined;
    const rows = await select<KeyRow>(this.db, `${keyWithOwner} WHERE lower(u.username) = lower(:username) ORDER BY k.created_at`, { username });
    const wanted = Buffer.from(token.toLowerCase(), 'hex');
    for (const r of rows) {
      const key = this.sealer.unseal(r.key_sealed);
      if (key !== undefined && timingSafeEqual(Buffer.from(md5(key + salt), 'hex'), wanted)) return r;
    }
    return undefined;
  }
}
