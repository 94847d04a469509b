// Where media lives on disk: everything under <dataDir>/media, named by ids only (a
// client's file name never reaches a path).
import path from 'node:path';
import { mkdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

import { isUuid } from '../../shared/ids.js';

export { isUuid };

export class MediaStorage {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, 'media');
    for (const d of ['uploads', 'originals', 'streaming', 'covers', 'work']) mkdirSync(path.join(this.root, d), { recursive: true });
  }

  private id(id: string): string {
    if (!isUuid(id)) throw new Error(`not an id: ${id}`);
    return id;
  }

  uploadFile(uploadId: string): string {
    return path.join(this.root, 'uploads', `${this.id(uploadId)}.part`);
  }

  originalFile(trackId: string, ext: string): string {
    return path.join(this.root, 'originals', `${this.id(trackId)}.${ext}`);
  }

  /** The published HLS folder of a track (master playlist, renditions, torrents, waveform). */
  streamingDir(trackId: string): string {
    return path.join(this.root, 'streaming', this.id(trackId));
  }

  /** Where a transcode writes before the result is moved into place in one rename. */
  workDir(trackId: string): string {
    return path.join(this.root, 'work', this.id(trackId));
  }

  coverFile(trackId: string, ext: string): string {
    return path.join(this.root, 'covers', `${this.id(trackId)}.${ext}`);
  }

  /** A file inside a track's streaming folder, or undefined when the relative path is not a plain one. */
  streamingFile(trackId: string, relative: string): string | undefined {
    const parts = relative.split('/');
    if (parts.length < 1 || parts.length > 2) return undefined;
    if (!parts.every((p) => /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)?$/.test(p))) return undefined;
    return path.join(this.streamingDir(trackId), ...parts);
  }

  async removeTrackFiles(trackId: string, originalFile?: string | null, coverFile?: string | null): Promise<void> {
    await Promise.all([
      rm(this.streamingDir(trackId), { recursive: true, force: true }),
      rm(this.workDir(trackId), { recursive: true, force: true }),
      originalFile ? rm(path.join(this.root, 'originals', path.basename(originalFile)), { force: true }) : undefined,
      coverFile ? rm(path.join(this.root, 'covers', path.basename(coverFile)), { force: true }) : undefined,
    ]);
  }

  removeSync(p: string): void {
    rmSync(p, { recursive: true, force: true });
  }
}
