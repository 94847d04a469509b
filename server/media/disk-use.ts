// Bytes on disk per kind of media file, for the admin's view of the machine: a walk of the media
// folder, kept for a minute (a large folder takes seconds to walk, and /metrics asks every scrape).
import path from 'node:path';
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import type { MediaStorage } from './storage.js';
import type { MediaDiskUse } from './contract.js';
import { progressiveFile, progressiveIndexFile } from './progressive.js';
import { PUBLIC_STREAMING_DIR } from './public-segments.js';

/** The kinds, always all listed (a gauge that vanishes at zero reads as a gap). */
export const mediaKinds = ['originals', 'renditions', 'progressive', 'torrents', 'covers', 'uploads', 'transcoding', 'other'] as const;
type MediaKind = (typeof mediaKinds)[number];

const CACHE_MS = 60_000;

/** The kind of a file, by where it sits under the media folder (parts: the path below it). */
function kindOf(parts: string[]): MediaKind {
  const [top, , inTrack] = parts;
  switch (top) {
    case 'originals':
    case 'covers':
    case 'uploads':
      return top;
    case 'work':
      return 'transcoding';
    case 'streaming':
      // streaming/<track>/<file>: the torrents and the progressive file beside the HLS ladder.
      if (parts.length === 3 && inTrack.endsWith('.torrent')) return 'torrents';
      if (parts.length === 3 && (inTrack === progressiveFile || inTrack === progressiveIndexFile)) return 'progressive';
      return 'renditions';
    default:
      return 'other';
  }
}

export class DiskUse {
  private cached?: { at: number; value: Promise<MediaDiskUse> };

  constructor(private readonly storage: () => MediaStorage) {}

  /** The last minute's measure, or a new walk (callers at the same moment share one). */
  measure(): Promise<MediaDiskUse> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      const value = this.walk();
      this.cached = { at: now, value };
      value.catch(() => {
        if (this.cached?.value === value) this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  private async walk(): Promise<MediaDiskUse> {
    const root = this.storage().root;
    const totals = new Map<MediaKind, { bytes: number; files: number }>(mediaKinds.map((k) => [k, { bytes: 0, files: 0 }]));
    const folders: string[][] = [[]];
    for (let parts = folders.pop(); parts; parts = folders.pop()) {
      let entries: Dirent[];
      try {
        entries = await readdir(path.join(root, ...parts), { withFileTypes: true });
      } catch (err) {
        // A track deleted or a transcode finished while the walk ran.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const files: string[][] = [];
      for (const e of entries) {
        const at = [...parts, e.name];
        // public-streaming holds links to the streaming folders (nginx): counting them would count those twice.
        if (e.isDirectory() && !(parts.length === 0 && e.name === PUBLIC_STREAMING_DIR)) folders.push(at);
        else if (e.isFile()) files.push(at);
      }
      // A file gone since the listing (-1) is not counted.
      const sizes = await Promise.all(files.map((f) => lstat(path.join(root, ...f)).then((s) => s.size, () => -1)));
      files.forEach((f, i) => {
        if (sizes[i] < 0) return;
        const t = totals.get(kindOf(f))!;
        t.bytes += sizes[i];
        t.files += 1;
      });
    }
    return { kinds: mediaKinds.map((kind) => ({ kind, ...totals.get(kind)! })), measuredAt: new Date().toISOString() };
  }
}
