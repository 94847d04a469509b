// The hottest live request, a segment near the live edge of a stream this process ingests, is
// served before Express from the bytes the session keeps in memory: a free stream's to anyone
// (no Authorization), a priced stream's to an L402 credential that opens it (checked from the
// header alone). Everything else (a Bearer viewer's free minutes or watch stream, refusals with
// their challenge, older segments on disk, other processes' streams) goes to the route
// GET /live-hls/:id/:rendition/:segment, whose headers, counting and metrics these are.
import type { FastPath, FastPathTools, NodeContext } from '../context.js';
import { clientNetwork } from '../http/client-address.js';
import type { LiveService } from './service.js';

export const SEGMENT_ROUTE = '/live-hls/:id/:rendition/:segment';

/** Players on other origins (other nodes' web apps, embeds) read live HLS as they read on-demand HLS. */
export const liveCors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-content-sha256, www-authenticate' };
const corsFlat = Object.entries(liveCors).flat();

const PATH = /^\/live-hls\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([A-Za-z0-9_-]{1,64})\/(\d{1,9})\.ts$/;

/** A viewer who is not signed in, as the viewer count knows them (in memory only): their network and browser. */
export const anonymousViewer = (network: string, userAgent: string | undefined): string => `${network}|${(userAgent ?? '').slice(0, 200)}`;

export function liveFastPath(ctx: NodeContext, svc: LiveService, tools: FastPathTools): FastPath {
  const prefix = ctx.config.auth.throttle.ipv6PrefixLength;
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET' || !url.startsWith('/live-hls/') || req.headers.range !== undefined) return false;
    const auth = req.headers.authorization;
    const m = PATH.exec(url);
    if (!m) return false;
    const [, id, rendition, seqText] = m;
    const seq = Number(seqText);
    const session = svc.session(id);
    const row = session?.segmentOf(rendition, seq);
    const bytes = row && session!.bytesOf(rendition, seq);
    const item = bytes && svc.access.peekItem(id);
    if (!item || !row || !bytes || bytes.length !== row.bytes) return false;
    const priced = item.price.pricePerMinute > 0;
    if (priced) {
      if (auth === undefined || !/^(L402|LSAT) /i.test(auth) || !ctx.services.money.live.credential(item.sale, rendition, seq, auth).ok) return false;
    } else if (auth !== undefined) return false;
    const startedAt = performance.now();
    const ip = tools.clientIp(req);
    const userAgent = req.headers['user-agent'];
    session!.touchViewer(anonymousViewer(clientNetwork(ip, prefix), userAgent));
    const playSession = req.headers['x-play-session'];
    const sessionId = typeof playSession === 'string' && /^[0-9a-f-]{36}$/.test(playSession) ? playSession : null;
    res.once('finish', () => {
      if (sessionId) svc.served({ streamId: id, rendition, row, userId: null, sessionId, ip, userAgent: userAgent ?? null });
      tools.recordMetrics('GET', SEGMENT_ROUTE, 200, (performance.now() - startedAt) / 1000);
    });
    res.writeHead(200, [
      ...corsFlat,
      'Content-Type', 'video/mp2t',
      'Content-Length', String(bytes.length),
      'Cache-Control', priced ? 'private, no-cache' : 'public, max-age=3600, immutable',
      'X-Content-SHA256', row.sha256,
    ]);
    res.end(bytes);
    return true;
  };
}
