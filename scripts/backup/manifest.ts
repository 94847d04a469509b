// manifest.json: what a backup holds and where it came from. Written last, so a folder
// without one is an unfinished backup; read and checked (every file's size and SHA-256)
// before a restore changes anything.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { hashFile, Progress, type FileEntry } from './files.js';
import type { Logger } from '../../server/logger.js';

export const manifestFile = 'manifest.json';

/** A path inside the backup folder: relative, no `..` (a manifest must not make a restore read or write elsewhere). */
const inside = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..'), 'must be a relative path inside the backup');
/** File modes as permissions only (no setuid, setgid or sticky bits from a manifest). */
const permissions = z.number().int().transform((m) => m & 0o777);

const fileEntry = z.object({ path: inside, size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/), mode: permissions });

const manifestSchema = z.object({
  format: z.literal('9ten-backup'),
  formatVersion: z.literal(1),
  createdAt: z.string(),
  finishedAt: z.string(),
  node: z.object({
    /** The random id in node_identity (the default Redis prefix is made from it). */
    id: z.string(),
    name: z.string(),
    publicUrl: z.string(),
    /** The instance actor: the node's id on the ledger and for other servers. */
    actor: z.string(),
    dataDir: z.string(),
  }),
  versions: z.object({
    nineten: z.string(),
    node: z.string(),
    postgresServer: z.string(),
    pgDump: z.string().optional(),
    embeddedPostgres: z.string().optional(),
  }),
  /** Migrations applied in the dumped database (schema_migrations), in order. */
  migrations: z.array(z.string()),
  database: z.discriminatedUnion('kind', [
    /** An external PostgreSQL: pg_dump's custom format. */
    z.object({ kind: z.literal('dump'), file: inside, source: z.string() }),
    /** The embedded PostgreSQL: its cluster copied under the low-level backup API, with the WAL to make it consistent. */
    z.object({ kind: z.literal('cluster'), folder: inside, emptyFolders: z.array(inside), startWal: z.string(), stopLsn: z.string() }),
  ]),
  ledger: z.object({
    engine: z.enum(['embedded', 'fabric']),
    /** The embedded engine's own database when LEDGER_DATABASE_URL named one apart from the node's. */
    dump: z.object({ file: inside, source: z.string() }).optional(),
  }),
  config: z.object({
    /** The NINETEN_CONFIG file, copied. */
    file: inside.optional(),
    originalPath: z.string().optional(),
    /** The environment variables the node's config reads that were set (URLs without their passwords). */
    environment: z.record(z.string(), z.string()),
  }),
  /** Files the config names outside the data folder (a sealing key, Fabric certificates). */
  external: z.array(z.object({ file: inside, originalPath: z.string() })),
  /** The data folder's files are under `data/`; these folders were left out on purpose. */
  excluded: z.array(z.string()),
  /** Files listed but deleted before they were copied (see docs/backups.md). */
  vanished: z.array(z.string()),
  files: z.array(fileEntry),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

export async function writeManifest(folder: string, manifest: BackupManifest): Promise<void> {
  await writeFile(path.join(folder, manifestFile), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

export class BackupInvalid extends Error {
  readonly code = 'backup_invalid';
}

export async function readManifest(folder: string): Promise<BackupManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(folder, manifestFile), 'utf8'));
  } catch (err) {
    throw new BackupInvalid(`${folder} has no readable ${manifestFile} (${(err as Error).message}): not a 9ten backup, or one that did not finish`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw new BackupInvalid(`${path.join(folder, manifestFile)} is not a 9ten backup manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Checks every file the manifest lists against its size and SHA-256; throws on the first that differs. */
export async function verifyFiles(folder: string, files: FileEntry[], log: Logger): Promise<void> {
  const total = files.reduce((a, f) => a + f.size, 0);
  const progress = new Progress(log, 'verify', total);
  for (const f of files) {
    const file = path.join(folder, f.path);
    const found = await hashFile(file).catch((err: Error) => {
      throw new BackupInvalid(`${f.path}: ${err.message}`);
    });
    if (found.size !== f.size || found.sha256 !== f.sha256) {
      throw new BackupInvalid(`${f.path} does not match the manifest (size ${found.size} for ${f.size}, sha256 ${found.sha256.slice(0, 12)}… for ${f.sha256.slice(0, 12)}…): the backup is damaged`);
    }
    progress.add(f.size);
  }
  progress.done({ verified: files.length });
}
