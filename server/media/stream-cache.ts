// The hot path of streaming: what the segment route needs per track (row for visibility and
// owner, segment timeline, the size and hash of every segment from segment-hashes.json),
// held in memory for a few seconds, and a bounded LRU of segment bytes. A segment request
// then costs no database query, no fs.stat and, for hot segments, no file read.
//
// Freshness: this process forgets a track at once on every change it makes (update,
// visibility, cover, delete, transcode done). Changes made by ANOTHER process (web vs
// worker) are seen after at most `ttlMs` (5 s), the documented window.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SegmentTimeline, TrackRow } from './model.js';

export interface KnownFile {
  bytes: number;
  /** The whole SHA-256, hex (segments: what receipts list). */
  sha256: string;
  /** Strong ETag from the file's SHA-256 (files of a transcode never change in place). */
  etag: string;
}

export interface StreamEntry {
  row: TrackRow | undefined;
  timeline: SegmentTimeline | undefined;
  /** Relative path ("128k/seg-00003.m4s", "128k/init.mp4") → size and ETag. */
  files: Map<string, KnownFile>;
}

interface SegmentHashes {
  files?: Record<string, string>;
  segments?: { file: string; sha256: string; bytes: number }[];
}

/** Reads the per-rendition hash files of a ready track into a file table (a missing one is skipped). */
export async function loadFileTable(streamingDir: string, renditions: string[]): Promise<Map<string, KnownFile>> {
  const files = new Map<string, KnownFile>();
  await Promise.all(
    renditions.map(async (name) => {
      try {
        const h = JSON.parse(await readFile(path.join(streamingDir, name, 'segment-hashes.json'), 'utf8')) as SegmentHashes;
        for (const s of h.segments ?? []) files.set(`${name}/${s.file}`, { bytes: s.bytes, sha256: s.sha256, etag: `"${s.sha256.slice(0, 40)}"` });
        const init = h.files?.['init.mp4'];
        if (init) {
          const st = await stat(path.join(streamingDir, name, 'init.mp4'));
          files.set(`${name}/init.mp4`, { bytes: st.size, sha256: init, etag: `"${init.slice(0, 40)}"` });
        }
      } catch {
        /* served the slow way (sendFile) */
      }
    }),
  );
  return files;
}

export class StreamCache {
  private entries = new Map<string, { entry: StreamEntry; until: number }>();
  private loading = new Map<string, Promise<StreamEntry>>();
  /** Bumped by `forget`, so a load that started before a change is not cached after it. */
  private generation = new Map<string, number>();

  constructor(
    private readonly load: (id: string) => Promise<StreamEntry>,
    readonly ttlMs = 5000,
    private readonly maxEntries = 5000,
  ) {}

  /** The cached entry when fresh (synchronous fast path), else undefined. */
  peek(id: string): StreamEntry | undefined {
    const hit = this.entries.get(id);
    return hit && hit.until > Date.now() ? hit.entry : undefined;
  }

  get(id: string): Promise<StreamEntry> {
    const fresh = this.peek(id);
    if (fresh) return Promise.resolve(fresh);
    const pending = this.loading.get(id);
    if (pending) return pending; // one load for concurrent requests
    const gen = this.generation.get(id) ?? 0;
    const p = this.load(id)
      .then((entry) => {
        if ((this.generation.get(id) ?? 0) === gen) {
          if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(id, { entry, until: Date.now() + this.ttlMs });
        }
        return entry;
      })
      .finally(() => {
        if (this.loading.get(id) === p) this.loading.delete(id);
      });
    this.loading.set(id, p);
    return p;
  }

  forget(id: string): void {
    this.entries.delete(id);
    this.loading.delete(id);
    this.generation.set(id, (this.generation.get(id) ?? 0) + 1);
    if (this.generation.size > 50_000) this.generation.clear();
  }
}

/** A byte-bounded LRU of small immutable files (segments), keyed by path and ETag. */
export class BufferLru {
  private map = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    readonly maxBytes = 64 * 1024 * 1024,
    readonly maxItemBytes = 2 * 1024 * 1024,
  ) {}

  get(key: string): Buffer | undefined {
    const b = this.map.get(key);
    if (b) {
      this.map.delete(key);
      this.map.set(key, b);
    }
    return b;
  }

  set(key: string, buf: Buffer): void {
    if (buf.length > this.maxItemBytes || this.maxBytes <= 0) return;
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.length;
      this.map.delete(key);
    }
    this.map.set(key, buf);
    this.bytes += buf.length;
    while (this.bytes > this.maxBytes) {
      const [k, v] = this.map.entries().next().value!;
      this.map.delete(k);
      this.bytes -= v.length;
    }
  }

  /** Drops every entry of a track (keys start with its id). */
  dropPrefix(prefix: string): void {
    for (const [k, v] of this.map) {
      if (k.startsWith(prefix)) {
        this.map.delete(k);
        this.bytes -= v.length;
      }
    }
  }

  get size(): { items: number; bytes: number } {
    return { items: this.map.size, bytes: this.bytes };
  }
}
