// Bytes on disk per kind of media file, for the admin's view of the machine: a walk of the media
// folder, kept for a minute from when it ended (a large folder takes seconds to walk, and
// /metrics asks every scrape). One walk at a time; callers meanwhile get the last figures.
import path from 'node:path';
import { lstat, opendir } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MediaStorage } from './storage.js';
import type { MediaDiskUse } from './contract.js';
import { progressiveFile, progressiveIndexFile } from './progressive.js';
import { PUBLIC_STREAMING_DIR } from './public-segments.js';

/** The kinds, always all listed (a gauge that vanishes at zero reads as a gap). */
export const mediaKinds = ['originals', 'renditions', 'progressive', 'torrents', 'covers', 'uploads', 'transcoding', 'other'] as const;
type MediaKind = (typeof mediaKinds)[number];

const CACHE_MS = 60_000;
/** Files whose size is read at once; between batches the walk lets other work run. */
const LSTAT_BATCH = 32;

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
  private last?: { at: number; value: MediaDiskUse };
  private walking?: Promise<MediaDiskUse>;

  constructor(private readonly storage: () => MediaStorage) {}

  /**
   * The last walk's figures while they are less than a minute old (from when it ended); older,
   * they still answer at once while one new walk runs. Only the very first callers wait for a walk.
   */
  measure(): Promise<MediaDiskUse> {
    if (this.last && Date.now() - this.last.at <= CACHE_MS) return Promise.resolve(this.last.value);
    const walking = (this.walking ??= this.walk()
      .then((value) => {
        this.last = { at: Date.now(), value };
        return value;
      })
      .finally(() => (this.walking = undefined)));
    if (!this.last) return walking;
    // A walk that fails leaves the last figures (their measuredAt says how old); the next caller tries again.
    walking.catch(() => {});
    return Promise.resolve(this.last.value);
  }

  private async walk(): Promise<MediaDiskUse> {
    const root = this.storage().root;
    const totals = new Map<MediaKind, { bytes: number; files: number }>(mediaKinds.map((k) => [k, { bytes: 0, files: 0 }]));
    const folders: string[][] = [[]];
    let files: string[][] = [];
    const count = async () => {
      // A file gone since the listing (-1) is not counted.
      const sizes = await Promise.all(files.map((f) => lstat(path.join(root, ...f)).then((s) => s.size, () => -1)));
      files.forEach((f, i) => {
        if (sizes[i] < 0) return;
        const t = totals.get(kindOf(f))!;
        t.bytes += sizes[i];
        t.files += 1;
      });
      files = [];
      await nextTurn();
    };
    for (let parts = folders.pop(); parts; parts = folders.pop()) {
      let dir;
      try {
        dir = await opendir(path.join(root, ...parts), { bufferSize: LSTAT_BATCH });
      } catch (err) {
        // A track deleted or a transcode finished while the walk ran.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        for await (const e of dir) {
          const at = [...parts, e.name];
          // public-streaming holds links to the streaming folders (nginx): counting them would count those twice.
          if (e.isDirectory() && !(parts.length === 0 && e.name === PUBLIC_STREAMING_DIR)) folders.push(at);
          else if (e.isFile()) files.push(at);
          if (files.length >= LSTAT_BATCH) await count();
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    await count();
    return { kinds: mediaKinds.map((kind) => ({ kind, ...totals.get(kind)! })), measuredAt: new Date().toISOString() };
  }
}
