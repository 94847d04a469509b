// A database of its own PostgreSQL (DATABASE_URL, LEDGER_DATABASE_URL): dumped with pg_dump
// (custom format: one consistent snapshot, taken without stopping writers) and restored with
// pg_restore in one transaction. Also what both kinds of backup ask any database: its
// server version, the node's id, the migrations applied, whether it is empty.
import { spawn } from 'node:child_process';
import pg from 'pg';
import type { Logger } from '../../server/logger.js';

/** The URL without its password (for logs and the manifest). */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** How a client program connects: the URL without the password, the password in PGPASSWORD (not on a command line). */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** Runs a program; resolves with its stdout, rejects with its stderr's last lines. */
export function run(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' ? `${bin} not found: install PostgreSQL's client programs (Debian: apt-get install postgresql-client)` : e.message)),
    );
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${bin} ${args[0] ?? ''} failed (exit ${code}): ${err.trim().split('\n').slice(-5).join(' | ')}`))));
  });
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export const majorOf = (version: string): number => Number(/(\d+)/.exec(version)?.[1] ?? NaN);

export async function serverVersion(url: string): Promise<string> {
  return withClient(url, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v);
}

/** `pg_dump (PostgreSQL) 15.18 (…)` → `15.18`. */
export async function toolVersion(bin: string): Promise<string> {
  const out = await run(bin, ['--version']);
  return /\)\s*([\d.]+)/.exec(out)?.[1] ?? out.trim();
}

/** What a backup records of the node's own database: its id and the migrations applied. */
export async function nodeFacts(url: string): Promise<{ id: string; migrations: string[] }> {
  return withClient(url, async (c) => {
    const id = (await c.query<{ id: string }>('SELECT id::text AS id FROM node_identity')).rows[0]?.id;
    if (!id) throw new Error('node_identity has no row: is this a 9ten database?');
    const migrations = (await c.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).rows.map((r) => r.name);
    return { id, migrations };
  });
}

/** Dumps one database to `file` (pg_dump custom format); pg_dump must be at least the server's major version. */
export async function dumpDatabase(url: string, file: string, log: Logger, what: string): Promise<{ pgDump: string; server: string }> {
  const server = await serverVersion(url);
  const pgDump = await toolVersion('pg_dump');
  if (majorOf(pgDump) < majorOf(server)) {
    throw new Error(`pg_dump ${pgDump} cannot dump PostgreSQL ${server} (${what}): install the client programs of version ${majorOf(server)} or later (Debian: postgresql-client-${majorOf(server)})`);
  }
  const { dbname, env } = connection(url);
  log.info({ step: `dump ${what}`, database: redactUrl(url), server, pgDump }, `dump ${what}: started`);
  const t0 = Date.now();
  await run('pg_dump', ['--format=custom', '--no-password', `--file=${file}`, `--dbname=${dbname}`], env);
  log.info({ step: `dump ${what}`, ms: Date.now() - t0 }, `dump ${what}: done`);
  return { pgDump, server };
}

/** The tables, views and sequences of a database outside PostgreSQL's own schemas (0: empty). */
export async function userRelations(url: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`,
    );
    return Number(rows[0].n);
  });
}

/** Creates the database the URL names when it does not exist yet (connecting to `postgres` on the same server). */
export async function ensureDatabase(url: string, log: Logger): Promise<void> {
  try {
    await withClient(url, async () => {});
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // anything but "database does not exist"
  }
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  await withClient(u.toString(), (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  log.info({ database: redactUrl(url) }, 'created the database');
}

/** Empties a database for `--replace`: every schema but PostgreSQL's own is dropped, `public` made again. */
/** Sessions other than ours on the database (a node running on it): a restore must not replace it under them. */
export async function otherSessions(url: string): Promise<number> {
  return withClient(url, async (c) =>
    Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows[0].n),
  );
}

export async function clearDatabase(url: string, log: Logger): Promise<void> {
  await withClient(url, async (c) => {
    const { rows } = await c.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'`,
    );
    await c.query('BEGIN');
    for (const r of rows) await c.query(`DROP SCHEMA ${c.escapeIdentifier(r.name)} CASCADE`);
    await c.query('CREATE SCHEMA public');
    await c.query('COMMIT');
  });
  log.warn({ database: redactUrl(url) }, 'emptied the database (--replace)');
}

/** Restores a pg_dump file into an empty database, all or nothing. */
export async function restoreDump(url: string, file: string, log: Logger, what: string): Promise<void> {
  const { dbname, env } = connection(url);
  log.info({ step: `restore ${what}`, database: redactUrl(url) }, `restore ${what}: started`);
  const t0 = Date.now();
  // Owners and grants are the old server's roles; here everything belongs to whoever restores.
  await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--no-password', `--dbname=${dbname}`, file], env);
  log.info({ step: `restore ${what}`, ms: Date.now() - t0 }, `restore ${what}: done`);
}
