// The files under /static: a track's streaming files (HLS playlists, init files, segments,
// hashes, torrents), its progressive file (progressive-route.ts), the original for download
// and the cover, with CORS and the access rules of tracks. Segments are metered for listening (segment-meter.ts); the commonest segment
// request is answered before Express by fast-streaming.ts, with the same answer.
import type { Request, Response, NextFunction, Router } from 'express';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeContext } from '../context.js';
import { AppError, badRequest, notFound, route } from '../http/errors.js';
import { challengeLimit, segmentRefusal } from '../http/segment-refusal.js';
import { isPublic } from '../accounts/middleware.js';
import type { MediaService } from './service.js';
import type { TrackRow } from './model.js';
import type { KnownFile, StreamEntry } from './stream-cache.js';
import { meterSegment, meteredRequestOf } from './segment-meter.js';
import { isUuid } from './storage.js';
import { canEditTrack, canViewTrack } from './track-view.js';
import { answerBytes, answerFor, setAnswerHeaders } from './http-range.js';
import { cacheControlFor, gatedSegmentCacheControl, hourCacheControl, setCors, streamingContentType } from './streaming-headers.js';
import type { Refusal } from './segment-access.js';
import { progressiveRoute } from './progressive-route.js';

const coverTypes: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** Who may keep a track's streaming files: a hidden track's (served to its owner and moderators only) and a paid one's are private. */
const cacheScope = (row: Pick<TrackRow, 'access' | 'visibility' | 'hidden'>): string => (row.access === 'free' && !row.hidden ? row.visibility : 'private');

export function staticRoutes(r: Router, ctx: NodeContext, media: MediaService): void {
  const { tracks, streaming, storage } = media;

  r.options('/static/*', isPublic, (_req, res) => {
    setCors(res).set('Access-Control-Max-Age', '600').status(204).end();
  });

  const sendFileOr404 = (res: Response, next: NextFunction, file: string, headers: Record<string, string>) => {
    res.sendFile(file, { headers, cacheControl: false, etag: true, lastModified: true, dotfiles: 'deny', acceptRanges: true }, (err) => {
      if (!err) return;
      const e = err as NodeJS.ErrnoException & { status?: number };
      if (e.code === 'ECONNABORTED' || e.code === 'ECONNRESET' || res.headersSent) return;
      next(e.status === 404 || e.code === 'ENOENT' ? notFound('File') : err);
    });
  };

  // Segments and init files of ready tracks are answered from the cached file table (size
  // and strong ETag from segment-hashes.json) and the segment byte LRU: no database query,
  // no stat, and for hot segments no read. Everything else goes through sendFile.
  const sendKnown = (req: Request, res: Response, next: NextFunction, trackId: string, rel: string, file: string, known: KnownFile) => {
    const answer = answerFor(req.headers, known);
    setAnswerHeaders(res, answer, known);
    if (answer.status === 304 || answer.status === 416) {
      res.end();
      return;
    }
    const key = `${trackId}/${rel}/${known.etag}`;
    const send = (buf: Buffer) => {
      if (req.method === 'HEAD') res.end();
      else res.end(answerBytes(buf, answer));
    };
    const hit = streaming.segmentBytes.get(key);
    if (hit) return send(hit);
    readFile(file).then(
      (buf) => {
        if (buf.length !== known.bytes) {
          // The files changed under the cache (a retranscode elsewhere): the slow way.
          streaming.forget(trackId);
          res.statusCode = 200;
          res.removeHeader('Content-Range');
          res.removeHeader('Content-Length');
          res.removeHeader('ETag');
          return sendFileOr404(res, next, file, {});
        }
        streaming.segmentBytes.set(key, buf);
        send(buf);
      },
      (err: NodeJS.ErrnoException) => {
        res.statusCode = 200;
        res.removeHeader('Content-Range');
        next(err.code === 'ENOENT' ? notFound('File') : err);
      },
    );
  };

  const serveStreaming = (req: Request, res: Response, next: NextFunction, entry: StreamEntry) => {
    setCors(res);
    const row = entry.row;
    if (!row || !canViewTrack(row, req.user) || row.status !== 'ready') return next(notFound('Track'));
    const rel = (req.params as Record<string, string>)[0] ?? '';
    const file = storage.streamingFile(row.id, rel);
    if (!file) return next(badRequest('invalid_path', 'Not a file of this track'));
    const type = streamingContentType(rel, row.kind);
    if (!type) return next(notFound('File'));
    // A paid or subscribers' file is never kept by a shared cache; its segments are asked again.
    const scope = cacheScope(row);
    const cacheControl = row.access !== 'free' && rel.endsWith('.m4s') ? gatedSegmentCacheControl : cacheControlFor(rel, scope);
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', cacheControl);
    // Only free tracks are shared over WebTorrent (its peers would pass paid segments on).
    if (row.access !== 'free' && rel.endsWith('.torrent')) return next(notFound('File'));
    if (row.access !== 'free' && rel.endsWith('.m3u8')) return servePricedPlaylist(req, res, next, row, rel, file);
    const seg = /^([A-Za-z0-9_-]+)\/seg-(\d+)\.m4s$/.exec(rel);
    if (seg && row.access !== 'free') {
      const refusal = media.access.decide(entry, seg[1], Number(seg[2]), req.headers.authorization, req.user);
      const serve = () => serveSegment(req, res, next, entry, rel, file, type, seg);
      // Refused, but perhaps fetched by a trusted node's cache for its own (paying) listeners.
      const refused = (r: Refusal) =>
        r.status === 404
          ? refuse(req, res, next, r)
          : media.access.fromRelay({ method: req.method, url: req.originalUrl, headers: req.headers }).then((relay) => (relay ? serve() : refuse(req, res, next, r)), next);
      if (refusal instanceof Promise) {
        refusal.then((r) => (r ? refused(r) : serve()), next);
        return;
      }
      if (refusal) return refused(refusal);
    }
    serveSegment(req, res, next, entry, rel, file, type, seg);
  };

  // Each challenge costs a macaroon and an HMAC or two: a client network gets so many a minute.
  const challenges = challengeLimit(ctx);
  const refuse = (req: Request, res: Response, next: NextFunction, r: Refusal) => next(segmentRefusal(req, res, challenges, r));

  const servePricedPlaylist = (req: Request, res: Response, next: NextFunction, row: TrackRow, rel: string, file: string) => {
    readFile(file, 'utf8').then(
      (text) => {
        // Prices change without the files changing: always asked again.
        res.setHeader('Cache-Control', 'no-cache');
        const body = media.access.pricedPlaylist(row, rel, text);
        res.setHeader('Content-Length', Buffer.byteLength(body));
        if (req.method === 'HEAD') res.end();
        else res.end(body);
      },
      (err: NodeJS.ErrnoException) => next(err.code === 'ENOENT' ? notFound('File') : err),
    );
  };

  const serveSegment = (req: Request, res: Response, next: NextFunction, entry: StreamEntry, rel: string, file: string, type: string, seg: RegExpExecArray | null) => {
    const row = entry.row!;
    if (seg && req.method === 'GET') {
      meterSegment(streaming, ctx.config.media.segmentSeconds, res, entry, seg[1], Number(seg[2]), meteredRequestOf(req));
    }
    const known = entry.files.get(rel);
    if (known) return sendKnown(req, res, next, row.id, rel, file, known);
    sendFileOr404(res, next, file, { 'Content-Type': type, 'Cache-Control': res.getHeader('Cache-Control') as string });
  };

  r.get('/static/streaming/:trackId/*', isPublic, (req, res, next) => {
    // One cache entry per track, whatever the case of the id in the URL.
    const trackId = req.params.trackId.toLowerCase();
    if (!isUuid(trackId)) return next(notFound('Track'));
    // Synchronous when the track is cached (the common case): no promise per request.
    const cached = streaming.peekStreamEntry(trackId);
    if (cached) return serveStreaming(req, res, next, cached);
    streaming.streamEntry(trackId).then((entry) => serveStreaming(req, res, next, entry), next);
  });

  /** A file of a track, for whoever may see the track (CORS, an hour's caching). */
  const trackFile = (urlPath: string, fileOf: (row: TrackRow, req: Request, res: Response) => { file: string; type: string }) =>
    r.get(
      urlPath,
      isPublic,
      route(async (req, res, next) => {
        setCors(res);
        const row = await tracks.visible(req.params.trackId, req.user);
        const { file, type } = fileOf(row, req, res);
        sendFileOr404(res, next, file, { 'Content-Type': type, 'Cache-Control': hourCacheControl(row.hidden ? 'private' : row.visibility) });
      }),
    );

  trackFile('/static/download/:trackId', (row, req, res) => {
    if (!canEditTrack(row, req.user)) {
      if (!row.allow_download) throw new AppError(403, 'download_not_allowed', 'The artist does not offer this track for download');
      // The original is the whole track: a paid or subscribers' track is only streamed.
      if (row.access !== 'free') throw new AppError(403, 'download_not_allowed', `This track is for ${row.access === 'metered' ? 'paying listeners' : 'subscribers'}: it is streamed, not offered for download`);
    }
    const ext = path.extname(row.original_file);
    res.attachment(`${row.title.replace(/[\\/"\u0000-\u001f\u007f]/g, '_').slice(0, 150)}${ext}`);
    return { file: path.join(storage.root, 'originals', path.basename(row.original_file)), type: row.original_mime };
  });

  progressiveRoute(r, media);

  trackFile('/static/covers/:trackId', (row) => {
    if (!row.cover_file) throw notFound('Cover');
    return { file: path.join(storage.root, 'covers', path.basename(row.cover_file)), type: coverTypes[path.extname(row.cover_file).slice(1)] ?? 'application/octet-stream' };
  });
}
