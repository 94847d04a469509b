// Starts real nodes for tests: each with its own database on the test PostgreSQL,
// its own Redis key prefix, its own data folder and a loopback port.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, deepMerge } from '../../server/config/index.js';
import { startNode, type RunningNode } from '../../server/node.js';
import { freePort } from '../../server/db/embedded.js';
import type { Capability } from '../../server/context.js';
import { accountsService, type Role, type User } from '../../server/accounts/index.js';

export { testDatabaseUrl, testRedisUrl, databaseUrlFor, adminQuery } from './database.js';
import { databaseUrlFor, adminQuery, testRedisUrl } from './database.js';

export interface ApiOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestNode extends RunningNode {
  url: string;
  name: string;
  databaseUrl: string;
  dataDir: string;
  api<T = any>(method: string, path: string, opts?: ApiOptions): Promise<ApiResponse<T>>;
  /** Creates a user of the role and signs them in. */
  user(role: Role, username?: string): Promise<{ user: User; token: string; password: string }>;
  /** Waits until every queue of this node is empty. */
  waitJobs(timeoutMs?: number): Promise<void>;
}

export interface TestNodeOptions {
  name?: string;
  overrides?: Record<string, unknown>;
  capabilities?: Capability[];
  /** Keep the database after stop (to restart the same node). */
  keepDatabase?: boolean;
  databaseName?: string;
  dataDir?: string;
  port?: number;
}

export async function startTestNode(options: TestNodeOptions = {}): Promise<TestNode> {
  const id = randomBytes(4).toString('hex');
  const name = options.name ?? `node${id}`;
  const dbName = options.databaseName ?? `t9_${name.replace(/\W/g, '_').toLowerCase()}_${id}`;
  if (!options.databaseName) await adminQuery(`CREATE DATABASE "${dbName}"`);
  const databaseUrl = databaseUrlFor(dbName);
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), `9ten-${name}-`));
  const port = options.port ?? (await freePort());
  const base = {
    port,
    host: '127.0.0.1',
    publicUrl: `http://127.0.0.1:${port}`,
    dataDir,
    databaseUrl,
    redisUrl: testRedisUrl,
    redisPrefix: `t9:${dbName}`,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    nodeName: name,
    federation: { allowPrivateAddresses: true },
  };
  const config = loadConfig({ ignoreEnv: true, overrides: deepMerge(base, options.overrides ?? {}) });
  const node = await startNode(config, { capabilities: options.capabilities, defaultMetrics: false });
  const url = node.url!;

  const api = async <T = any>(method: string, p: string, opts: ApiOptions = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: BodyInit | undefined;
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string' || opts.body instanceof Uint8Array || opts.body instanceof URLSearchParams) {
        body = opts.body as BodyInit;
      } else {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    const res = await fetch(url + p, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if (/json/.test(res.headers.get('content-type') ?? '')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        /* leave as text */
      }
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };

  let seq = 0;
  const user = async (role: Role, username?: string) => {
    const password = 'correct horse battery';
    const uname = username ?? `${role}_${id}_${++seq}`;
    const created = await node.ctx.services.accounts.create({ username: uname, password, role });
    const tokens = await accountsService(node.ctx).login(uname, password);
    return { user: created, token: tokens.access_token, password };
  };

  const waitJobs = async (timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    let quiet = 0;
    while (Date.now() < until) {
      const n = await node.ctx.jobs.pending();
      quiet = n === 0 ? quiet + 1 : 0;
      if (quiet >= 3) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`jobs still pending after ${timeoutMs} ms`);
  };

  const stop = async () => {
    await node.stop();
    const redis = new Redis(testRedisUrl);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `t9:${dbName}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    if (!options.keepDatabase) {
      await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  };

  return { ...node, url, name, databaseUrl, dataDir, api, user, waitJobs, stop };
}
