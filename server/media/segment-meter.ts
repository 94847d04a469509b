// What the streaming routes report for listening: a segment counts as served once its response
// has finished with 200 or 206, for the session named by the X-Play-Session header (or the
// `session` query parameter, for players that cannot set headers).
import type { ServerResponse } from 'node:http';
import type { MediaService, SegmentServed } from './service.js';
import type { StreamEntry } from './stream-cache.js';

export interface MeteredRequest {
  userId: string | null;
  /** X-Play-Session header, else the `session` query parameter. */
  session: string | null;
  ip: string;
  userAgent: string | null;
}

export function playSessionOf(header: string | string[] | undefined, query: unknown): string | null {
  if (typeof header === 'string') return header;
  return typeof query === 'string' ? query : null;
}

/** The SegmentServed event of one response of `bytes` for `rendition`/`index` of the entry's track. */
export function segmentServed(entry: StreamEntry, rendition: string, index: number, who: MeteredRequest, bytes: number, defaultSegmentSeconds: number): SegmentServed {
  const slot = entry.timeline?.[rendition]?.[index];
  return {
    trackId: entry.row!.id,
    rendition,
    segmentIndex: index,
    segmentStartSeconds: slot?.[0] ?? index * defaultSegmentSeconds,
    segmentDurationSeconds: slot?.[1] ?? defaultSegmentSeconds,
    bytes,
    userId: who.userId,
    sessionId: who.session ? who.session.slice(0, 200) : null,
    ip: who.ip,
    userAgent: who.userAgent,
    at: new Date(),
  };
}

/** Emits SegmentServed for `rendition`/`index` of the entry's track when the response finishes well. */
export function meterSegment(media: MediaService, defaultSegmentSeconds: number, res: ServerResponse, entry: StreamEntry, rendition: string, index: number, who: MeteredRequest): void {
  res.on('finish', () => {
    if (res.statusCode !== 200 && res.statusCode !== 206) return;
    media.emitSegmentServed(segmentServed(entry, rendition, index, who, Number(res.getHeader('content-length') ?? 0), defaultSegmentSeconds));
  });
}
