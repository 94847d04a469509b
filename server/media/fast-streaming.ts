// The hottest request a node answers, a public segment already in memory asked for without
// credentials or conditions, is served before Express: no router walk, no per-request logger
// child, no body parser. Its headers, metering and metrics are those of the route
// GET /static/streaming/:trackId/* in static-routes.ts, which handles everything else (ranges,
// conditional requests, credentials, private tracks, bytes not yet cached) and stays the
// documented behaviour; test/media/fast-streaming.test.ts compares the two answers.
import type { NodeContext, FastPath, FastPathTools } from '../context.js';
import type { Streaming } from './streaming.js';
import { isOpenToAll } from './track-view.js';
import { isPlainRequest, plainAnswerHeaders } from './http-range.js';
import { cacheControlFor, corsEntries, streamingContentType } from './streaming-headers.js';
import { parseSegmentUrl, playSessionOf, segmentServed } from './segment-meter.js';

const ROUTE = '/static/streaming/:trackId/*';
const corsFlat = corsEntries.flat();

export function streamingFastPath(ctx: NodeContext, streaming: Streaming, tools: FastPathTools): FastPath {
  const segmentSeconds = ctx.config.media.segmentSeconds;
  return (req, res) => {
    if (req.method !== 'GET' || req.headers.authorization !== undefined || !isPlainRequest(req.headers)) return false;
    const seg = parseSegmentUrl(req.url ?? '');
    if (!seg) return false;
    const startedAt = performance.now();
    const { trackId, file: rel, rendition, index } = seg;
    const entry = streaming.peekStreamEntry(trackId);
    const row = entry?.row;
    // Anonymous access to free tracks only: what the route allows without a user or a payment.
    if (!entry || !row || !isOpenToAll(row)) return false;
    const known = entry.files.get(rel);
    if (!known) return false;
    const bytes = streaming.segmentBytes.get(`${trackId}/${rel}/${known.etag}`);
    if (!bytes || bytes.length !== known.bytes) return false;

    const who = {
      userId: null,
      session: playSessionOf(req.headers['x-play-session'], seg.session),
      ip: tools.clientIp(req),
      userAgent: req.headers['user-agent'] ?? null,
    };
    // One listener for both: the serve counts once the response is handed to the socket, as
    // on the route; the status is always 200 here.
    res.once('finish', () => {
      streaming.emitSegmentServed(segmentServed(entry, rendition, index, who, bytes.length, segmentSeconds));
      tools.recordMetrics('GET', ROUTE, 200, (performance.now() - startedAt) / 1000);
    });
    // One raw header list (the route's headers, in its order): Node validates and stores
    // headers set one by one, which cost a quarter of this response's time.
    res.writeHead(200, [
      ...corsFlat,
      'Content-Type', streamingContentType(rel, row.kind)!,
      'Cache-Control', cacheControlFor(rel, row.visibility),
      ...plainAnswerHeaders(known),
    ]);
    res.end(bytes);
    return true;
  };
}
