// Chunk planning for resumable uploads: which byte range goes in the next PUT.

export interface ChunkRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (as in a Content-Range header). */
  end: number;
}

/** The next chunk to send after `received` bytes, or null when the file is complete. */
export function nextChunk(received: number, size: number, chunkSize: number): ChunkRange | null {
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new RangeError('chunkSize must be a positive integer');
  if (received < 0 || received > size) throw new RangeError(`received ${received} is outside 0..${size}`);
  if (received === size) return null;
  return { start: received, end: Math.min(received + chunkSize, size) - 1 };
}

/** Every chunk from `from` to the end of the file, in order. */
export function planChunks(size: number, chunkSize: number, from = 0): ChunkRange[] {
  const out: ChunkRange[] = [];
  for (let c = nextChunk(from, size, chunkSize); c; c = nextChunk(c.end + 1, size, chunkSize)) out.push(c);
  return out;
}

export function contentRange(chunk: ChunkRange, total: number): string {
  return `bytes ${chunk.start}-${chunk.end}/${total}`;
}

/** Overall fraction done (0..1) while `chunkSent` bytes of the current chunk are on the wire. */
export function uploadFraction(received: number, chunkSent: number, size: number): number {
  if (size <= 0) return 1;
  return Math.min(1, Math.max(0, (received + chunkSent) / size));
}

/** A stable key for a local file, to find an unfinished upload of the same file again. */
export function resumeKey(file: { name: string; size: number; lastModified: number }, channelId: string): string {
  return `9ten.upload:${channelId}:${file.name}:${file.size}:${file.lastModified}`;
}
