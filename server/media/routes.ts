// Media routes: channels, uploads, quotas, tracks and playlists (REST), the files under
// /static (static-routes.ts), and the node's BitTorrent tracker.
import express, { Router } from 'express';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { AppError, badRequest, notFound, route } from '../http/errors.js';
import { isPublic, requireRole, requireUser } from '../accounts/middleware.js';
import type { MediaService } from './service.js';
import type { PlaylistView } from './playlists.js';
import { isUuid } from './storage.js';
import type { Uploads } from './uploads.js';
import { imageTypeOf, maxCoverBytes } from './uploads.js';
import type { TranscodeJobs } from './transcode-job.js';
import type { NodeTracker } from './torrents.js';
import type { UserLimits } from './limits.js';
import type { TranscodeQueue } from './transcode-queue.js';
import { apiTrack } from './track-view.js';
import { hourCacheControl, setCors } from './streaming-headers.js';
import { staticRoutes } from './static-routes.js';

const page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const trackQuery = page.extend({
  channel: z.string().max(100).optional(),
  kind: z.enum(['audio', 'video']).optional(),
});

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
  const { channels, tracks, playlists } = media;
  const r = Router();

  // --- channels ----------------------------------------------------------------------
  r.post(
    '/api/v1/channels',
    requireRole('artist'),
    route(async (req, res) => {
      res.status(201).json(await channels.create(req.user!, req.body ?? {}));
    }),
  );
  r.get(
    '/api/v1/channels',
    isPublic,
    route(async (req, res) => {
      const q = page.parse(req.query);
      res.json(await channels.list(q.limit, q.offset));
    }),
  );
  r.get(
    '/api/v1/channels/:name',
    isPublic,
    route(async (req, res) => {
      const c = await channels.get(req.params.name);
      if (!c) throw notFound('Channel');
      res.json(c);
    }),
  );
  // --- browsing: albums (from the tracks' album tags) and genres ---
  r.get('/api/v1/channels/:name/albums', isPublic, route(async (req, res) => void res.json({ data: await media.catalog.albums(req.params.name) })));
  r.get(
    '/api/v1/channels/:name/albums/:album',
    isPublic,
    route(async (req, res) => {
      const album = z.string().min(1).max(500).parse(req.params.album);
      const { trackList, ...summary } = await media.catalog.album(req.params.name, album);
      res.json({ ...summary, trackList: trackList.map(apiTrack) });
    }),
  );
  r.get(
    '/api/v1/genres',
    isPublic,
    route(async (req, res) => {
      const q = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).parse(req.query);
      res.set('Cache-Control', 'public, max-age=60').json({ data: await media.catalog.genres(q.limit) });
    }),
  );
  r.get(
    '/api/v1/genres/:genre/tracks',
    isPublic,
    route(async (req, res) => {
      const genre = z.string().min(1).max(200).parse(req.params.genre);
      const q = page.parse(req.query);
      res.json({ data: (await media.catalog.byGenre(genre, q.limit, q.offset)).map(apiTrack) });
    }),
  );
  r.patch(
    '/api/v1/channels/:name',
    requireRole('artist'),
    route(async (req, res) => {
      res.json(await channels.update(req.user!, req.params.name, req.body ?? {}));
    }),
  );
  r.get(
    '/api/v1/me/channels',
    requireUser,
    route(async (req, res) => {
      const data = await channels.ofUser(req.user!.id);
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
    // Cancelling publishes nothing: a silenced artist still may.
    requireRole('artist', { publishing: false }),
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
      const list = await tracks.list({ ...q, viewerId: req.user?.id ?? null });
      res.json({ total: list.total, data: list.data.map(apiTrack) });
    }),
  );
  r.get(
    '/api/v1/tracks/:id',
    isPublic,
    route(async (req, res) => {
      const row = await tracks.visible(req.params.id, req.user);
      res.set('Cache-Control', 'no-cache').json(apiTrack(tracks.view(row)));
    }),
  );
  r.patch(
    '/api/v1/tracks/:id',
    requireRole('artist'),
    route(async (req, res) => {
      res.json(apiTrack(await tracks.update(req.user!, req.params.id, req.body ?? {})));
    }),
  );
  r.put(
    '/api/v1/tracks/:id/cover',
    requireRole('artist'),
    express.raw({ type: ['image/jpeg', 'image/png', 'image/webp'], limit: maxCoverBytes }),
    route(async (req, res) => {
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) throw new AppError(415, 'unsupported_image', 'Send the cover as an image/jpeg, image/png or image/webp body');
      const ext = imageTypeOf(body);
      if (!ext) throw new AppError(415, 'unsupported_image', 'The body is not a JPEG, PNG or WebP image');
      res.json(apiTrack(await tracks.setCover(req.user!, req.params.id, body, ext)));
    }),
  );
  r.delete(
    '/api/v1/tracks/:id',
    requireUser,
    route(async (req, res) => {
      await tracks.delete(req.user!, req.params.id, jobs);
      res.status(204).end();
    }),
  );
  r.post(
    '/api/v1/tracks/:id/retranscode',
    requireUser,
    route(async (req, res) => {
      const row = await jobs.retranscode(req.user!, req.params.id);
      res.status(202).json(apiTrack(tracks.view(row)));
    }),
  );
  r.get(
    '/api/v1/tracks/:id/waveform',
    isPublic,
    route(async (req, res) => {
      const row = await tracks.visible(req.params.id, req.user);
      if (row.status !== 'ready') throw notFound('Waveform');
      const text = await readFile(path.join(media.storage.streamingDir(row.id), 'waveform.json'), 'utf8').catch(() => undefined);
      if (!text) throw notFound('Waveform');
      res.set('Cache-Control', hourCacheControl(row.visibility)).type('application/json').send(text);
    }),
  );

  // --- playlists -----------------------------------------------------------------------
  const playlistJson = (p: PlaylistView) => {
    const { name: _n, tracks: list, ...rest } = p;
    return { ...rest, tracks: list.map(apiTrack) };
  };
  const playlistQuery = page.extend({ channel: z.string().max(100).optional() });
  r.post(
    '/api/v1/playlists',
    requireUser,
    route(async (req, res) => {
      res.status(201).json(playlistJson(await playlists.create(req.user!, req.body ?? {})));
    }),
  );
  r.get(
    '/api/v1/playlists',
    isPublic,
    route(async (req, res) => {
      const q = playlistQuery.parse(req.query);
      const list = await playlists.list({ ...q, viewer: req.user ?? null });
      res.json({ total: list.total, data: list.data.map(playlistJson) });
    }),
  );
  r.get(
    '/api/v1/me/playlists',
    requireUser,
    route(async (req, res) => {
      const q = page.parse(req.query);
      const list = await playlists.list({ ...q, ownerId: req.user!.id, viewer: req.user! });
      res.json({ total: list.total, data: list.data.map(playlistJson) });
    }),
  );
  r.get(
    '/api/v1/playlists/:id',
    isPublic,
    route(async (req, res) => {
      const p = await playlists.get(req.params.id, req.user ?? null);
      if (!p) throw notFound('Playlist');
      res.set('Cache-Control', 'no-cache').json(playlistJson(p));
    }),
  );
  r.patch(
    '/api/v1/playlists/:id',
    requireUser,
    route(async (req, res) => {
      res.json(playlistJson(await playlists.update(req.user!, req.params.id, req.body ?? {})));
    }),
  );
  r.delete(
    '/api/v1/playlists/:id',
    requireUser,
    route(async (req, res) => {
      await playlists.delete(req.user!, req.params.id);
      res.status(204).end();
    }),
  );

  staticRoutes(r, ctx, media);

  // --- tracker -----------------------------------------------------------------------
  r.get('/tracker/announce', isPublic, (req, res) => {
    setCors(res);
    tracker.announce(req, res);
  });
  r.get('/tracker/scrape', isPublic, (req, res, next) => {
    setCors(res);
    // A scrape without info_hash would list every swarm: not offered.
    if (!req.query.info_hash) return next(badRequest('info_hash_required', 'Scrape needs at least one info_hash'));
    tracker.scrape(req, res);
  });

  return r;
}
