// The hottest request a node answers, a public segment already in memory asked for without
// conditions, with no credential (free tracks) or an L402 one that opens it (metered tracks;
// decided from the header alone, segment-access.ts), is served before Express: no router walk, no per-request logger
// child, no body parser. Its headers, metering and metrics are those of the route
// GET /static/streaming/:trackId/* in static-routes.ts, which handles everything else (ranges,
// conditional requests, credentials, private tracks, bytes not yet cached) and stays the
// documented behaviour; test/media/fast-streaming.test.ts compares the two answers.
import type { NodeContext, FastPath, FastPathTools } from '../context.js';
import type { MediaService } from './service.js';
import { canViewTrack, isOpenToAll } from './track-view.js';
import { isPlainRequest, plainAnswerHeaders } from './http-range.js';
import { cacheControlFor, corsEntries, gatedSegmentCacheControl, streamingContentType } from './streaming-headers.js';
import { parseSegmentUrl, playSessionOf, segmentServed } from './segment-meter.js';

const ROUTE = '/static/streaming/:trackId/*';
const corsFlat = corsEntries.flat();

const isL402 = (auth: string) => /^(L402|LSAT) /i.test(auth);

export function streamingFastPath(ctx: NodeContext, media: Pick<MediaService, 'streaming' | 'access'>, tools: FastPathTools): FastPath {
  const { streaming, access } = media;
  const segmentSeconds = ctx.config.media.segmentSeconds;
  return (req, res) => {
    const auth = req.headers.authorization;
    if (req.method !== 'GET' || (auth !== undefined && !isL402(auth)) || !isPlainRequest(req.headers)) return false;
    const seg = parseSegmentUrl(req.url ?? '');
    if (!seg) return false;
    const startedAt = performance.now();
    const { trackId, file: rel, rendition, index } = seg;
    const entry = streaming.peekStreamEntry(trackId);
    const row = entry?.row;
    if (!entry || !row) return false;
    // Anonymous access: free tracks without a credential; metered ones with an L402 credential
    // that opens this segment (any refusal is the route's to answer, with its challenge).
    const paid = auth !== undefined;
    if (paid ? row.access !== 'metered' || !canViewTrack(row, undefined) || access.decide(entry, rendition, index, auth, undefined) !== undefined : !isOpenToAll(row)) return false;
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
      'Cache-Control', paid ? gatedSegmentCacheControl : cacheControlFor(rel, row.visibility),
      ...plainAnswerHeaders(known),
    ]);
    res.end(bytes);
    return true;
  };
}
