// What the streaming paths (route, fast path, the front log meter) read per request, held in
// memory (stream-cache.ts): a track's row, segment timeline and file table, and the bytes of
// hot segments; and the segment-served event they report to.
import type { Sequelize } from 'sequelize';
import type { Logger } from '../logger.js';
import type { MediaStorage } from './storage.js';
import type { SegmentServed } from './model.js';
import { BufferLru, StreamCache, loadFileTable, type StreamEntry } from './stream-cache.js';
import { selectTrackRow } from './tracks.js';
import { readProgressiveIndex, type ProgressiveIndex } from './progressive.js';

export class Streaming {
  /** Segment bytes of hot tracks (64 MiB); keys are `<trackId>/<rel>/<etag>`. */
  readonly segmentBytes = new BufferLru();
  private readonly cache: StreamCache;
  private segmentListeners: ((e: SegmentServed) => void)[] = [];
  /** The progressive file's index, read once per cache entry (so at most every 5 s per track). */
  private readonly progressiveIndexes = new WeakMap<StreamEntry, Promise<ProgressiveIndex | undefined>>();

  constructor(
    db: Sequelize,
    private readonly storage: MediaStorage,
    private readonly log: Logger,
  ) {
    this.cache = new StreamCache(async (id) => {
      const row = await selectTrackRow(db, id);
      const files = row?.status === 'ready' ? await loadFileTable(storage.streamingDir(id), row.renditions.map((r) => r.name)) : new Map();
      return { row, timeline: row?.segment_timeline ?? undefined, files };
    });
  }

  /** Called synchronously, on the hot path, for every media segment served. Keep listeners cheap. */
  onSegmentServed(listener: (e: SegmentServed) => void): void {
    this.segmentListeners.push(listener);
  }

  emitSegmentServed(e: SegmentServed): void {
    for (const l of this.segmentListeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err }, 'segment-served listener failed');
      }
    }
  }

  /** The cached streaming view of a track (row, timeline, file table); `peekStreamEntry` first for the synchronous path. */
  streamEntry(id: string): Promise<StreamEntry> {
    return this.cache.get(id);
  }

  peekStreamEntry(id: string): StreamEntry | undefined {
    return this.cache.peek(id);
  }

  /** The index of a ready track's progressive file (progressive.ts), or undefined when it has none. */
  progressiveIndex(entry: StreamEntry): Promise<ProgressiveIndex | undefined> {
    const made = entry.row?.status === 'ready' ? entry.row.progressive_audio : null;
    if (!made) return Promise.resolve(undefined);
    let index = this.progressiveIndexes.get(entry);
    if (!index) {
      // A file that is not the one the row names (replaced under the cache) is not served.
      index = readProgressiveIndex(this.storage.streamingDir(entry.row!.id)).then((i) => (i?.sha256 === made.sha256 ? i : undefined));
      this.progressiveIndexes.set(entry, index);
    }
    return index;
  }

  /** Forgets what the hot path cached about a track (call after every change, after commit). */
  forget(trackId: string): void {
    this.cache.forget(trackId);
    this.segmentBytes.dropPrefix(`${trackId}/`);
  }
}
