// `npm run restore -- <backup>`: brings a machine (an empty data folder and an empty
// database) back to the state a backup holds. Everything is checked before anything is
// changed: the backup's hashes, its migrations against this checkout, that the target
// database(s), data folder and outside files are empty or absent (unless --replace), and
// that no node runs on them. Then the database, the ledger's database, the data folder,
// the outside files and the config, and a last look at the restored database.
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../server/config/index.js';
import { hasEmbeddedPostgres, runningEmbeddedPostgres, startEmbeddedPostgres } from '../../server/db/embedded.js';
import { createLogger, type Logger } from '../../server/logger.js';
import { clusterDir, restoreCluster } from './cluster.js';
import { copyHashed, hashFile, listTree, Progress } from './files.js';
import { isExcludedFromData, knownMigrations, externalFiles } from './layout.js';
import { readManifest, verifyFiles, type BackupManifest } from './manifest.js';
import { clearDatabase, ensureDatabase, nodeFacts, redactUrl, restoreDump, run, userRelations, otherSessions } from './postgres.js';

export interface RestoreOptions {
  /** The node's config on this machine (DATA_DIR, DATABASE_URL, LEDGER_DATABASE_URL...). */
  config: Config;
  /** A backup folder, or a .tar.gz written by `npm run backup -- --archive`. */
  from: string;
  /** Replace what is there (a non-empty database, data folder or outside file) instead of refusing. */
  replace?: boolean;
  /** The database to restore into (default: the config's DATABASE_URL; none: the embedded PostgreSQL). */
  databaseUrl?: string;
  /** The ledger database to restore into (default: the config's LEDGER_DATABASE_URL). */
  ledgerDatabaseUrl?: string;
  /** Leave the ledger's own database alone (it survived, or other nodes share it). */
  skipLedger?: boolean;
  /** Where to write the backed-up config file (default: NINETEN_CONFIG's path, when nothing is there). */
  configTo?: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface RestoreResult {
  manifest: BackupManifest;
  database: 'embedded' | string;
  ledgerRestored: boolean;
  configWritten?: string;
  warnings: string[];
}

/** Restoring would overwrite something, or cannot be done here: nothing was changed. */
export class RestoreRefused extends Error {
  readonly code = 'restore_refused';
}

/** Unpacks an archive next to it (same disk as the archive); the caller removes the folder. */
async function unpack(archive: string, log: Logger): Promise<string> {
  const folder = mkdtempSync(`${archive}.unpacked-`);
  log.info({ archive, folder }, 'unpacking the archive');
  await run('tar', ['-xzf', archive, '-C', folder]);
  return folder;
}

/** The regular files of the data folder a restore would overwrite or mix with (what a backup leaves out does not count). */
async function dataFilesPresent(dataDir: string): Promise<string[]> {
  if (!existsSync(dataDir)) return [];
  const tree = await listTree(dataDir, (rel) => isExcludedFromData(rel) || rel === 'db/password');
  return tree.files;
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { config, log } = options;
  const env = options.env ?? process.env;
  const from = path.resolve(options.from);
  if (!existsSync(from)) throw new RestoreRefused(`${from} does not exist`);
  const isArchive = /\.(tar\.gz|tgz)$/.test(from);
  const folder = isArchive ? await unpack(from, log) : from;
  try {
    return await restoreFrom(folder, options, config, env, log);
  } finally {
    if (isArchive) await rm(folder, { recursive: true, force: true });
  }
}

async function restoreFrom(folder: string, options: RestoreOptions, config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<RestoreResult> {
  const warnings: string[] = [];
  const warn = (message: string, extra: Record<string, unknown> = {}) => {
    warnings.push(message);
    log.warn(extra, message);
  };
  const manifest = await readManifest(folder);
  log.info({ node: manifest.node, createdAt: manifest.createdAt, versions: manifest.versions }, 'restoring backup');

  // ---- checks: nothing changes until all pass ------------------------------------------
  await verifyFiles(folder, manifest.files, log);
  const known = new Set(knownMigrations());
  const unknown = manifest.migrations.filter((m) => !known.has(m));
  if (unknown.length) {
    throw new RestoreRefused(`The backup's database has migrations this 9ten does not know (${unknown.join(', ')}): it comes from a newer version (${manifest.versions.nineten}); install that version first`);
  }

  const dataDir = config.dataDir;
  const targetUrl = options.databaseUrl ?? config.databaseUrl ?? undefined;
  const refuseNonEmpty = (what: string) =>
    new RestoreRefused(`${what} is not empty: restoring would mix two nodes' data. Restore into an empty one, or pass --replace to delete what is there first`);

  let targetTables = 0;
  if (targetUrl) {
    if (manifest.database.kind === 'cluster') {
      throw new RestoreRefused(
        'This backup holds an embedded PostgreSQL cluster (a node without DATABASE_URL), which restores only as the embedded database: unset DATABASE_URL to restore it under DATA_DIR. ' +
          'To move to a PostgreSQL of your own afterwards, start the restored node once, then pg_dump its database with client programs of its version (docs/backups.md).',
      );
    }
    await ensureDatabase(targetUrl, log);
    targetTables = await userRelations(targetUrl);
    if (targetTables && !options.replace) throw refuseNonEmpty(`The database ${redactUrl(targetUrl)} (${targetTables} tables)`);
    const busy = await otherSessions(targetUrl);
    if (busy) throw new RestoreRefused(`The database ${redactUrl(targetUrl)} has ${busy} other connection(s): a node (or a tool) is using it. Stop it first; a restore never replaces a database in use`);
  } else if (hasEmbeddedPostgres(dataDir)) {
    if (await runningEmbeddedPostgres(dataDir)) throw new RestoreRefused(`The embedded PostgreSQL under ${dataDir}/db is running: stop the node first`);
    if (!options.replace) throw refuseNonEmpty(`The embedded PostgreSQL under ${dataDir}/db`);
  }

  let ledgerUrl: string | undefined;
  let ledgerTables = 0;
  if (manifest.ledger.dump && !options.skipLedger) {
    ledgerUrl = options.ledgerDatabaseUrl ?? config.ledger.databaseUrl ?? undefined;
    if (!ledgerUrl) {
      throw new RestoreRefused(
        `The backup holds the ledger's own database (it was ${manifest.ledger.dump.source}): set LEDGER_DATABASE_URL (or pass --ledger-database-url) to restore it, ` +
          'or pass --skip-ledger when that database is still there (other nodes share it)',
      );
    }
    await ensureDatabase(ledgerUrl, log);
    ledgerTables = await userRelations(ledgerUrl);
    if (ledgerTables && !options.replace) throw refuseNonEmpty(`The ledger database ${redactUrl(ledgerUrl)} (${ledgerTables} tables)`);
    if (ledgerTables && (await otherSessions(ledgerUrl))) throw new RestoreRefused(`The ledger database ${redactUrl(ledgerUrl)} is in use (other connections): other nodes may share it. Stop them first, or pass --skip-ledger`);
  } else if (!manifest.ledger.dump && config.ledger.engine === 'embedded' && config.ledger.databaseUrl) {
    warn('The backup keeps the ledger in the node database, but LEDGER_DATABASE_URL is set here: the node would use that database as its ledger instead');
  }

  const present = await dataFilesPresent(dataDir);
  if (present.length && !options.replace) throw refuseNonEmpty(`The data folder ${dataDir} (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''})`);

  const externalWrites: { file: string; originalPath: string }[] = [];
  // Only where this machine's config names such a file: a manifest never chooses where to write.
  const namedHere = new Set(externalFiles(config).map((f) => path.resolve(f)));
  for (const e of manifest.external) {
    if (!namedHere.has(path.resolve(e.originalPath))) {
      warn(`${e.file} was ${e.originalPath} on the backed-up machine, which this node's config does not name: it is in the backup folder; copy it into place by hand`);
      continue;
    }
    if (existsSync(e.originalPath)) {
      const entry = manifest.files.find((f) => f.path === e.file)!;
      if ((await hashFile(e.originalPath)).sha256 === entry.sha256) continue;
      if (!options.replace) throw new RestoreRefused(`${e.originalPath} exists and differs from the backed-up copy: move it away, or pass --replace`);
    }
    externalWrites.push(e);
  }
  if (config.publicUrl !== manifest.node.publicUrl) {
    warn(`PUBLIC_URL here is ${config.publicUrl}, the backed-up node's is ${manifest.node.publicUrl}: start the node with PUBLIC_URL=${manifest.node.publicUrl}, or its ids, its ledger identity and its followers break`);
  }

  // ---- the database ----------------------------------------------------------------------
  if (targetUrl) {
    if (manifest.database.kind !== 'dump') throw new Error('unreachable: a cluster backup into DATABASE_URL was refused above');
    if (targetTables) await clearDatabase(targetUrl, log);
    await restoreDump(targetUrl, path.join(folder, manifest.database.file), log, 'node database');
  } else if (manifest.database.kind === 'cluster') {
    await restoreCluster(folder, manifest.database.folder, manifest.database.emptyFolders, manifest.files, dataDir, log);
  } else {
    // A dump into the embedded PostgreSQL: a new cluster, made as `npm start` makes it.
    if (hasEmbeddedPostgres(dataDir)) await rm(clusterDir(dataDir), { recursive: true, force: true });
    await rm(path.join(dataDir, 'db', 'password'), { force: true });
    await mkdir(dataDir, { recursive: true });
    const embedded = await startEmbeddedPostgres(dataDir, createLogger('warn', 'restore'));
    try {
      await restoreDump(embedded.url, path.join(folder, manifest.database.file), log, 'node database');
    } finally {
      await embedded.stop();
    }
  }

  // ---- the ledger's own database -----------------------------------------------------------
  if (ledgerUrl && manifest.ledger.dump) {
    if (ledgerTables) await clearDatabase(ledgerUrl, log);
    await restoreDump(ledgerUrl, path.join(folder, manifest.ledger.dump.file), log, 'ledger database');
  }

  // ---- the data folder -------------------------------------------------------------------
  const dataEntries = manifest.files.filter((f) => f.path.startsWith('data/'));
  // The embedded cluster's password goes with the cluster: kept only when the cluster came from this backup.
  const keepPassword = !targetUrl && manifest.database.kind === 'cluster';
  const wanted = dataEntries.filter((f) => keepPassword || f.path !== 'data/db/password');
  if (present.length && options.replace) {
    const tops = new Set(present.map((f) => f.split('/')[0]).filter((t) => t !== 'db'));
    for (const t of tops) await rm(path.join(dataDir, t), { recursive: true, force: true });
    log.warn({ removed: [...tops] }, 'removed the data folder contents (--replace)');
  }
  const progress = new Progress(log, 'restore data folder', wanted.reduce((a, f) => a + f.size, 0));
  for (const f of wanted) {
    await copyHashed(path.join(folder, f.path), path.join(dataDir, f.path.slice('data/'.length)), f.mode);
    progress.add(f.size);
  }
  progress.done();

  // ---- outside files and the config --------------------------------------------------------
  for (const e of externalWrites) {
    const entry = manifest.files.find((f) => f.path === e.file)!;
    await copyHashed(path.join(folder, e.file), e.originalPath, entry.mode);
    log.info({ file: e.originalPath }, 'restored a file the config names');
  }
  let configWritten: string | undefined;
  if (manifest.config.file) {
    const to = options.configTo ?? (env.NINETEN_CONFIG && !existsSync(env.NINETEN_CONFIG) ? env.NINETEN_CONFIG : undefined);
    if (to) {
      const entry = manifest.files.find((f) => f.path === manifest.config.file)!;
      await copyHashed(path.join(folder, manifest.config.file), path.resolve(to), entry.mode);
      configWritten = path.resolve(to);
      log.info({ file: configWritten }, 'wrote the config file');
    } else {
      warn(`The backed-up config file (was ${manifest.config.originalPath}) is in the backup at ${manifest.config.file}: copy it into place and point NINETEN_CONFIG at it (or pass --config-to)`);
    }
  }

  // ---- a last look: the restored database is the backed-up node's -----------------------------
  let url = targetUrl;
  let embedded;
  if (!url) {
    embedded = await startEmbeddedPostgres(dataDir, createLogger('warn', 'restore')); // replays the cluster's WAL
    url = embedded.url;
  }
  try {
    const facts = await nodeFacts(url);
    if (facts.id !== manifest.node.id) throw new Error(`the restored database has node id ${facts.id}, the backup ${manifest.node.id}`);
    if (facts.migrations.join() !== manifest.migrations.join()) throw new Error('the restored database has other migrations than the backup lists');
  } finally {
    await embedded?.stop();
  }
  log.info(
    { node: manifest.node.name, nodeId: manifest.node.id, publicUrl: manifest.node.publicUrl, environment: manifest.config.environment, warnings: warnings.length },
    'restore done: start the node with the same PUBLIC_URL (and the environment it had, listed here)',
  );
  return { manifest, database: targetUrl ? redactUrl(targetUrl) : 'embedded', ledgerRestored: !!ledgerUrl, configWritten, warnings };
}
