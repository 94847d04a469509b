// Media routes: channels, uploads, tracks (REST), streaming files, downloads, covers,
// and the node's BitTorrent tracker.
import express, { Router, type Request, type Response, type NextFunction } from 'express';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { AppError, badRequest, notFound, route } from '../http/errors.js';
import { isPublic, requireRole, requireUser } from '../accounts/middleware.js';
import type { MediaService, TrackRow } from './service.js';
import type { PlaylistView } from './playlists.js';
import type { KnownFile, StreamEntry } from './stream-cache.js';
import { meterSegment, playSessionOf } from './segment-meter.js';
import { isUuid } from './storage.js';
import type { Uploads } from './uploads.js';
import { imageTypeOf, maxCoverBytes } from './uploads.js';
import type { TranscodeJobs } from './transcode-job.js';
import type { NodeTracker } from './torrents.js';
import type { UserLimits } from './limits.js';
import type { TranscodeQueue } from './transcode-queue.js';

const page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const trackQuery = page.extend({
  channel: z.string().max(100).optional(),
  kind: z.enum(['audio', 'video']).optional(),
});

const corsHeaders = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Range, X-Play-Session, Content-Type',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges, ETag, Content-Type, Last-Modified',
};

export const corsEntries = Object.entries(corsHeaders);
const cors = (res: Response) => {
  for (const [k, v] of corsEntries) res.setHeader(k, v);
  return res;
};

/** Content type of a streaming file, by name and the track's kind. */
export function streamingContentType(file: string, kind: 'audio' | 'video'): string | undefined {
  if (file.endsWith('.m3u8')) return 'application/vnd.apple.mpegurl';
  if (file.endsWith('/init.mp4') || file === 'init.mp4') return kind === 'audio' ? 'audio/mp4' : 'video/mp4';
  if (file.endsWith('.m4s')) return kind === 'audio' ? 'audio/mp4' : 'video/iso.segment';
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.torrent')) return 'application/x-bittorrent';
  return undefined;
}

export function cacheControlFor(file: string, visibility: string): string {
  const scope = visibility === 'private' ? 'private' : 'public';
  if (file.endsWith('.m4s') || file.endsWith('init.mp4')) return `${scope}, max-age=31536000, immutable`;
  if (file.endsWith('.m3u8')) return `${scope}, max-age=10`;
  return `${scope}, max-age=3600`;
}

const coverTypes: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export interface MediaRouteDeps {
  media: MediaService;
  uploads: Uploads;
  jobs: TranscodeJobs;
  tracker: NodeTracker;
  limits: UserLimits;
  queue: TranscodeQueue;
}

export function mediaRoutes(ctx: NodeContext, deps: MediaRouteDeps): Router {
  const { media, uploads, jobs, tracker, limits, queue } = deps;
  const r = Router();

  const visibleTrack = async (req: Request, id: string, cached = false): Promise<TrackRow> => {
    const row = cached ? await media.streamingRow(id) : await media.trackRow(id);
    if (!row || !media.canView(row, req.user)) throw notFound('Track');
    return row;
  };

  // --- channels ----------------------------------------------------------------------
  r.post(
    '/api/v1/channels',
    requireRole('artist'),
    route(async (req, res) => {
      res.status(201).json(await media.createChannel(req.user!, req.body ?? {}));
    }),
  );
  r.get(
    '/api/v1/channels',
    isPublic,
    route(async (req, res) => {
      const q = page.parse(req.query);
      res.json(await media.listChannels(q.limit, q.offset));
    }),
  );
  r.get(
    '/api/v1/channels/:name',
    isPublic,
    route(async (req, res) => {
      const c = await media.getChannel(req.params.name);
      if (!c) throw notFound('Channel');
      res.json(c);
    }),
  );
  r.patch(
    '/api/v1/channels/:name',
    requireUser,
    route(async (req, res) => {
      res.json(await media.updateChannel(req.user!, req.params.name, req.body ?? {}));
    }),
  );
  r.get(
    '/api/v1/me/channels',
    requireUser,
    route(async (req, res) => {
      const data = await media.channelsOfUser(req.user!.id);
      res.json({ total: data.length, data });
    }),
  );

  // --- uploads -----------------------------------------------------------------------
  r.post(
    '/api/v1/uploads',
    requireRole('artist'),
    route(async (req, res) => {
      res.status(201).json(await uploads.create(req.user!, req.body ?? {}));
    }),
  );
  r.put(
    '/api/v1/uploads/:id',
    requireRole('artist'),
    route(async (req, res) => {
      res.json(await uploads.putChunk(req.user!, req.params.id, req.get('content-range'), req));
    }),
  );
  r.get(
    '/api/v1/uploads/:id',
    requireRole('artist'),
    route(async (req, res) => {
      res.set('Cache-Control', 'no-store').json(await uploads.progress(req.user!, req.params.id));
    }),
  );
  r.delete(
    '/api/v1/uploads/:id',
    requireRole('artist'),
    route(async (req, res) => {
      await uploads.cancel(req.user!, req.params.id);
      res.status(204).end();
    }),
  );

  // --- quotas and the transcode queue ---------------------------------------------------
  r.get(
    '/api/v1/me/quota',
    requireUser,
    route(async (req, res) => {
      const { overrides: _admins, ...view } = await limits.view(req.user!.id);
      res.set('Cache-Control', 'no-store').json(view);
    }),
  );
  const quotaUser = async (id: string) => {
    const user = isUuid(id) ? await ctx.services.accounts.byId(id) : undefined;
    if (!user) throw notFound('User');
    return user;
  };
  r.get(
    '/api/v1/admin/users/:id/quota',
    requireRole('admin'),
    route(async (req, res) => {
      const user = await quotaUser(req.params.id);
      res.set('Cache-Control', 'no-store').json(await limits.view(user.id));
    }),
  );
  r.put(
    '/api/v1/admin/users/:id/quota',
    requireRole('admin'),
    route(async (req, res) => {
      const user = await quotaUser(req.params.id);
      res.json(await limits.setOverrides(user.id, req.user!.id, req.body ?? {}));
    }),
  );
  r.get(
    '/api/v1/admin/media/transcodes',
    requireRole('admin'),
    route(async (_req, res) => {
      // The line is media's own; the queue's counts and failed jobs are the admin jobs listing's.
      res.set('Cache-Control', 'no-store').json({ ...(await queue.overview()), jobs: await ctx.jobs.overview(50, 'media') });
    }),
  );

  // --- tracks ------------------------------------------------------------------------
  r.get(
    '/api/v1/tracks',
    isPublic,
    route(async (req, res) => {
      const q = trackQuery.parse(req.query);
      const list = await media.listTracks({ ...q, viewerId: req.user?.id ?? null });
      res.json({ total: list.total, data: list.data.map((t) => media.apiTrack(t)) });
    }),
  );
  r.get(
    '/api/v1/tracks/:id',
    isPublic,
    route(async (req, res) => {
      const row = await visibleTrack(req, req.params.id);
      res.set('Cache-Control', 'no-cache').json(media.apiTrack(media.view(row)));
    }),
  );
  r.patch(
    '/api/v1/tracks/:id',
    requireUser,
    route(async (req, res) => {
      res.json(media.apiTrack(await media.updateTrack(req.user!, req.params.id, req.body ?? {})));
    }),
  );
  r.put(
    '/api/v1/tracks/:id/cover',
    requireUser,
    express.raw({ type: ['image/jpeg', 'image/png', 'image/webp'], limit: maxCoverBytes }),
    route(async (req, res) => {
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) throw new AppError(415, 'unsupported_image', 'Send the cover as an image/jpeg, image/png or image/webp body');
      const ext = imageTypeOf(body);
      if (!ext) throw new AppError(415, 'unsupported_image', 'The body is not a JPEG, PNG or WebP image');
      res.json(media.apiTrack(await media.setCover(req.user!, req.params.id, body, ext)));
    }),
  );
  r.delete(
    '/api/v1/tracks/:id',
    requireUser,
    route(async (req, res) => {
      await media.deleteTrack(req.user!, req.params.id, jobs);
      res.status(204).end();
    }),
  );
  r.post(
    '/api/v1/tracks/:id/retranscode',
    requireUser,
    route(async (req, res) => {
      const row = await jobs.retranscode(req.user!, req.params.id);
      res.status(202).json(media.apiTrack(media.view(row)));
    }),
  );
  r.get(
    '/api/v1/tracks/:id/waveform',
    isPublic,
    route(async (req, res) => {
      const row = await visibleTrack(req, req.params.id);
      if (row.status !== 'ready') throw notFound('Waveform');
      const text = await readFile(path.join(media.storage.streamingDir(row.id), 'waveform.json'), 'utf8').catch(() => undefined);
      if (!text) throw notFound('Waveform');
      res.set('Cache-Control', `${row.visibility === 'private' ? 'private' : 'public'}, max-age=3600`).type('application/json').send(text);
    }),
  );

  // --- playlists -----------------------------------------------------------------------
  const playlistJson = (p: PlaylistView) => {
    const { name: _n, tracks, ...rest } = p;
    return { ...rest, tracks: tracks.map((t) => media.apiTrack(t)) };
  };
  const playlistQuery = page.extend({ channel: z.string().max(100).optional() });
  r.post(
    '/api/v1/playlists',
    requireUser,
    route(async (req, res) => {
      res.status(201).json(playlistJson(await media.playlists.create(req.user!, req.body ?? {})));
    }),
  );
  r.get(
    '/api/v1/playlists',
    isPublic,
    route(async (req, res) => {
      const q = playlistQuery.parse(req.query);
      const list = await media.listPlaylists({ ...q, viewer: req.user ?? null });
      res.json({ total: list.total, data: list.data.map(playlistJson) });
    }),
  );
  r.get(
    '/api/v1/me/playlists',
    requireUser,
    route(async (req, res) => {
      const q = page.parse(req.query);
      const list = await media.listPlaylists({ ...q, ownerId: req.user!.id, viewer: req.user! });
      res.json({ total: list.total, data: list.data.map(playlistJson) });
    }),
  );
  r.get(
    '/api/v1/playlists/:id',
    isPublic,
    route(async (req, res) => {
      const p = await media.getPlaylist(req.params.id, req.user ?? null);
      if (!p) throw notFound('Playlist');
      res.set('Cache-Control', 'no-cache').json(playlistJson(p));
    }),
  );
  r.patch(
    '/api/v1/playlists/:id',
    requireUser,
    route(async (req, res) => {
      res.json(playlistJson(await media.playlists.update(req.user!, req.params.id, req.body ?? {})));
    }),
  );
  r.delete(
    '/api/v1/playlists/:id',
    requireUser,
    route(async (req, res) => {
      await media.playlists.delete(req.user!, req.params.id);
      res.status(204).end();
    }),
  );

  // --- streaming files, downloads, covers -------------------------------------------------
  r.options('/static/*', isPublic, (_req, res) => {
    cors(res).set('Access-Control-Max-Age', '600').status(204).end();
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
    res.setHeader('ETag', known.etag);
    res.setHeader('Accept-Ranges', 'bytes');
    const inm = req.headers['if-none-match'];
    if (inm && (inm === known.etag || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === known.etag || t.trim() === '*'))) {
      res.statusCode = 304;
      res.end();
      return;
    }
    const size = known.bytes;
    let start = 0;
    let end = size - 1;
    const range = req.headers.range;
    const ifRange = req.headers['if-range'];
    if (range && (!ifRange || ifRange === known.etag)) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (m && (m[1] || m[2])) {
        if (m[1]) {
          start = Number(m[1]);
          end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
        } else {
          start = Math.max(0, size - Number(m[2]));
        }
        if (start > end || start >= size) {
          res.statusCode = 416;
          res.setHeader('Content-Range', `bytes */${size}`);
          res.end();
          return;
        }
        res.statusCode = 206;
        res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
      }
      // Multiple ranges or a malformed header: the whole file (allowed by RFC 9110).
    }
    res.setHeader('Content-Length', String(end - start + 1));
    const key = `${trackId}/${rel}/${known.etag}`;
    const send = (buf: Buffer) => {
      if (req.method === 'HEAD') res.end();
      else res.end(start === 0 && end === buf.length - 1 ? buf : buf.subarray(start, end + 1));
    };
    const hit = media.segmentBytes.get(key);
    if (hit) return send(hit);
    readFile(file).then(
      (buf) => {
        if (buf.length !== size) {
          // The files changed under the cache (a retranscode elsewhere): the slow way.
          media.forgetTimeline(trackId);
          res.statusCode = 200;
          res.removeHeader('Content-Range');
          res.removeHeader('Content-Length');
          res.removeHeader('ETag');
          return sendFileOr404(res, next, file, {});
        }
        media.segmentBytes.set(key, buf);
        send(buf);
      },
      (err: NodeJS.ErrnoException) => {
        res.statusCode = 200;
        res.removeHeader('Content-Range');
        next(err.code === 'ENOENT' ? notFound('File') : err);
      },
    );
  };

  const serveStreaming = (req: Request, res: Response, next: NextFunction, entry: StreamEntry, trackId: string) => {
    cors(res);
    const row = entry.row;
    if (!row || !media.canView(row, req.user) || row.status !== 'ready') return next(notFound('Track'));
    const rel = (req.params as Record<string, string>)[0] ?? '';
    const file = media.storage.streamingFile(row.id, rel);
    if (!file) return next(badRequest('invalid_path', 'Not a file of this track'));
    const type = streamingContentType(rel, row.kind);
    if (!type) return next(notFound('File'));
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', cacheControlFor(rel, row.visibility));
    const seg = req.method === 'GET' ? /^([A-Za-z0-9_-]+)\/seg-(\d+)\.m4s$/.exec(rel) : null;
    if (seg) {
      meterSegment(media, ctx.config.media.segmentSeconds, res, entry, seg[1], Number(seg[2]), {
        userId: req.user?.id ?? null,
        session: playSessionOf(req.headers['x-play-session'], req.query.session),
        ip: req.ip ?? req.socket.remoteAddress ?? '',
        userAgent: req.headers['user-agent'] ?? null,
      });
    }
    const known = entry.files.get(rel);
    if (known) return sendKnown(req, res, next, row.id, rel, file, known);
    sendFileOr404(res, next, file, { 'Content-Type': type, 'Cache-Control': cacheControlFor(rel, row.visibility) });
  };

  r.get('/static/streaming/:trackId/*', isPublic, (req, res, next) => {
    const trackId = req.params.trackId;
    if (!isUuid(trackId)) return next(notFound('Track'));
    // Synchronous when the track is cached (the common case): no promise per request.
    const cached = media.peekStreamEntry(trackId);
    if (cached) return serveStreaming(req, res, next, cached, trackId);
    media.streamEntry(trackId).then((entry) => serveStreaming(req, res, next, entry, trackId), next);
  });

  r.get(
    '/static/download/:trackId',
    isPublic,
    route(async (req, res, next) => {
      cors(res);
      const row = await visibleTrack(req, req.params.trackId);
      if (!row.allow_download && !media.canEdit(row, req.user)) throw new AppError(403, 'download_not_allowed', 'The artist does not offer this track for download');
      const ext = path.extname(row.original_file);
      const name = `${row.title.replace(/[\\/"\u0000-\u001f\u007f]/g, '_').slice(0, 150)}${ext}`;
      res.attachment(name);
      sendFileOr404(res, next, path.join(media.storage.root, 'originals', path.basename(row.original_file)), {
        'Content-Type': row.original_mime,
        'Cache-Control': `${row.visibility === 'private' ? 'private' : 'public'}, max-age=3600`,
      });
    }),
  );

  r.get(
    '/static/covers/:trackId',
    isPublic,
    route(async (req, res, next) => {
      cors(res);
      const row = await visibleTrack(req, req.params.trackId);
      if (!row.cover_file) throw notFound('Cover');
      const ext = path.extname(row.cover_file).slice(1);
      sendFileOr404(res, next, path.join(media.storage.root, 'covers', path.basename(row.cover_file)), {
        'Content-Type': coverTypes[ext] ?? 'application/octet-stream',
        'Cache-Control': `${row.visibility === 'private' ? 'private' : 'public'}, max-age=3600`,
      });
    }),
  );

  // --- tracker -----------------------------------------------------------------------
  r.get('/tracker/announce', isPublic, (req, res) => {
    cors(res);
    tracker.announce(req, res);
  });
  r.get('/tracker/scrape', isPublic, (req, res, next) => {
    cors(res);
    // A scrape without info_hash would list every swarm: not offered.
    if (!req.query.info_hash) return next(badRequest('info_hash_required', 'Scrape needs at least one info_hash'));
    tracker.scrape(req, res);
  });

  return r;
}
