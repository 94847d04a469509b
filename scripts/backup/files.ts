// Copying files into and out of a backup: every byte hashed (SHA-256) on the way, progress
// logged every few seconds, files that vanish mid-copy noted rather than fatal.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../server/logger.js';

/** One file of a backup: its path inside the backup folder, size, hash and permission bits. */
export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
  mode: number;
}

const isMissing = (err: unknown) => (err as { code?: string }).code === 'ENOENT';

/** Logs how far a long copy has got, at most every `everyMs`; `done()` logs the total. */
export class Progress {
  private files = 0;
  private bytes = 0;
  private last = Date.now();

  constructor(
    private readonly log: Logger,
    private readonly step: string,
    private readonly totalBytes?: number,
    private readonly everyMs = 2000,
  ) {}

  add(bytes: number): void {
    this.files += 1;
    this.bytes += bytes;
    if (Date.now() - this.last >= this.everyMs) {
      this.last = Date.now();
      this.log.info({ step: this.step, files: this.files, bytes: this.bytes, totalBytes: this.totalBytes, percent: this.percent() }, `${this.step}: in progress`);
    }
  }

  done(extra: Record<string, unknown> = {}): void {
    this.log.info({ step: this.step, files: this.files, bytes: this.bytes, ...extra }, `${this.step}: done`);
  }

  private percent(): number | undefined {
    return this.totalBytes ? Math.floor((100 * this.bytes) / this.totalBytes) : undefined;
  }
}

/**
 * The regular files under `root`, as paths relative to it (sorted), skipping what `skip`
 * says (a relative path, with `/` separators) and symbolic links. Folders are listed too, so
 * a restore can make the empty ones a program expects.
 */
export async function listTree(root: string, skip: (relative: string) => boolean = () => false): Promise<{ files: string[]; folders: string[]; links: string[] }> {
  const files: string[] = [];
  const folders: string[] = [];
  const links: string[] = [];
  const walk = async (relative: string) => {
    let entries;
    try {
      entries = await readdir(path.join(root, relative), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return; // removed while we walked
      throw err;
    }
    for (const e of entries) {
      const rel = relative ? `${relative}/${e.name}` : e.name;
      if (skip(rel)) continue;
      if (e.isSymbolicLink()) links.push(rel);
      else if (e.isDirectory()) {
        folders.push(rel);
        await walk(rel);
      } else if (e.isFile()) files.push(rel);
    }
  };
  await walk('');
  return { files: files.sort(), folders: folders.sort(), links: links.sort() };
}

/** Sums the sizes of files (those gone already count 0). */
export async function totalSize(root: string, files: string[]): Promise<number> {
  let total = 0;
  for (const f of files) total += (await lstat(path.join(root, f)).catch(() => undefined))?.size ?? 0;
  return total;
}

/**
 * Copies `from` to `to` (creating its folder), hashing the bytes as they pass. Returns
 * undefined when `from` no longer exists (deleted between listing and copying).
 */
export async function copyHashed(from: string, to: string, mode?: number): Promise<{ size: number; sha256: string; mode: number } | undefined> {
  let stat;
  try {
    stat = await lstat(from);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  await mkdir(path.dirname(to), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const fileMode = mode ?? stat.mode & 0o777;
  try {
    await pipeline(createReadStream(from), tap, createWriteStream(to, { mode: 0o600 }));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  await chmod(to, fileMode);
  return { size, sha256: hash.digest('hex'), mode: fileMode };
}

/** The SHA-256 and size of a file. */
export async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * Copies the listed files from `fromRoot` to `toRoot` (same relative paths), hashed; the
 * entries are named `prefix/relative`. Files gone meanwhile are returned in `vanished`.
 */
export async function copyTree(
  fromRoot: string,
  toRoot: string,
  files: string[],
  options: { prefix: string; progress: Progress },
): Promise<{ entries: FileEntry[]; vanished: string[] }> {
  const entries: FileEntry[] = [];
  const vanished: string[] = [];
  for (const rel of files) {
    const copied = await copyHashed(path.join(fromRoot, rel), path.join(toRoot, rel));
    if (!copied) {
      vanished.push(rel);
      continue;
    }
    entries.push({ path: `${options.prefix}/${rel}`, ...copied });
    options.progress.add(copied.size);
  }
  return { entries, vanished };
}
