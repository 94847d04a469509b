// What the streaming routes report for listening: a segment counts as served once its response
// has finished with 200 or 206, for the session named by the X-Play-Session header (or the
// `session` query parameter, for players that cannot set headers). A partial (206) response's
// report says where its bytes start and how large the file is, so listening credits it only its
// share of the segment's time span; a full response's report leaves both out (the whole segment).
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { SegmentServed } from './model.js';
import type { Streaming } from './streaming.js';
import type { StreamEntry } from './stream-cache.js';
import { isUuid } from './storage.js';

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

const SEGMENT_URL = /^\/static\/streaming\/([0-9a-f-]{36})\/(([A-Za-z0-9_-]+)\/seg-(\d+)\.m4s)(?:\?(.*))?$/;

export interface SegmentUrl {
  trackId: string;
  /** The file inside the track's streaming folder: <rendition>/seg-<index>.m4s */
  file: string;
  rendition: string;
  index: number;
  /** The `session` query parameter, when given exactly once. */
  session: string | undefined;
}

/** A media segment's request URL (path and query), or undefined for anything else. */
export function parseSegmentUrl(url: string): SegmentUrl | undefined {
  const m = SEGMENT_URL.exec(url);
  if (!m || !isUuid(m[1])) return undefined;
  return { trackId: m[1], file: m[2], rendition: m[3], index: Number(m[4]), session: sessionParam(m[5]) };
}

/** The `session` query parameter as Express's query parser gives it: a string only when given once. */
function sessionParam(query: string | undefined): string | undefined {
  if (!query) return undefined;
  const all = new URLSearchParams(query).getAll('session');
  return all.length === 1 ? all[0] : undefined;
}

/** Which bytes of the segment file a response carried: from `byteStart`, of a file of `segmentBytes`. */
export interface ServedPart {
  byteStart: number;
  segmentBytes: number;
}

/** `bytes a-b/size` of a Content-Range header (a single satisfied range), or undefined. */
export function parseContentRange(header: unknown): { start: number; end: number; size: number } | undefined {
  const m = typeof header === 'string' ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim()) : null;
  if (!m) return undefined;
  const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return start <= end && end < size ? { start, end, size } : undefined;
}

/** Who asked, as the metering of an Express request sees it. */
export function meteredRequestOf(req: { user?: { id: string }; headers: IncomingHttpHeaders; query: unknown; ip?: string; socket: { remoteAddress?: string } }): MeteredRequest {
  return {
    userId: req.user?.id ?? null,
    session: playSessionOf(req.headers['x-play-session'], (req.query as Record<string, unknown> | undefined)?.session),
    ip: req.ip ?? req.socket.remoteAddress ?? '',
    userAgent: req.headers['user-agent'] ?? null,
  };
}

/** The SegmentServed event of one response of `bytes` for `rendition`/`index` of the entry's track. */
export function segmentServed(entry: StreamEntry, rendition: string, index: number, who: MeteredRequest, bytes: number, defaultSegmentSeconds: number, at = new Date(), part?: ServedPart): SegmentServed {
  const slot = entry.timeline?.[rendition]?.[index];
  return servedEvent(entry.row!.id, rendition, index, [slot?.[0] ?? index * defaultSegmentSeconds, slot?.[1] ?? defaultSegmentSeconds], who, bytes, at, part);
}

/** A SegmentServed event: `bytes` of the file `rendition`/`index` of a track, whose audio spans `[startSeconds, durationSeconds]`. */
export function servedEvent(trackId: string, rendition: string, index: number, span: readonly [number, number], who: MeteredRequest, bytes: number, at: Date, part?: ServedPart): SegmentServed {
  return {
    trackId,
    rendition,
    segmentIndex: index,
    segmentStartSeconds: span[0],
    segmentDurationSeconds: span[1],
    bytes,
    // Without a part the response is the whole file (a full 200): both stay absent.
    byteStart: part?.byteStart,
    segmentBytes: part?.segmentBytes,
    userId: who.userId,
    sessionId: who.session ? who.session.slice(0, 200) : null,
    ip: who.ip,
    userAgent: who.userAgent,
    at,
  };
}

/** Emits SegmentServed for `rendition`/`index` of the entry's track when the response finishes well. */
export function meterSegment(streaming: Pick<Streaming, 'emitSegmentServed'>, defaultSegmentSeconds: number, res: ServerResponse, entry: StreamEntry, rendition: string, index: number, who: MeteredRequest): void {
  res.on('finish', () => {
    if (res.statusCode !== 200 && res.statusCode !== 206) return;
    const bytes = Number(res.getHeader('content-length') ?? 0);
    let part: ServedPart | undefined;
    if (res.statusCode === 206) {
      // Both the cached path and sendFile answer a single range, with its Content-Range; a 206
      // without one would be worth nothing to listening rather than the whole segment.
      const range = parseContentRange(res.getHeader('content-range'));
      if (!range) return;
      part = { byteStart: range.start, segmentBytes: range.size };
    }
    streaming.emitSegmentServed(segmentServed(entry, rendition, index, who, bytes, defaultSegmentSeconds, new Date(), part));
  });
}
