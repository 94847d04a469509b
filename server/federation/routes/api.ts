// REST for people: listing remote tracks and channels, following remote artists, likes
// and shares; for admins: blocks, dead letters, key rotation and what arrived.
import { Router } from 'express';
import { z } from 'zod';
import { isPublic, requireRole, requireUser } from '../../accounts/middleware.js';
import { AppError, route, notFound } from '../../http/errors.js';
import { challengeLimit, segmentRefusal } from '../../http/segment-refusal.js';
import type { FederationService } from '../service.js';
import { hlsContentType } from '../remote-cache.js';
import { WindowLimit } from '../../http/window-limit.js';
import { NEW_WINDOW } from '../discover.js';
import { setStreamingCors } from '../../media/index.js';

const paging = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
const uuid = z.string().uuid();
const iri = z.string().url().max(2048).refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

export function apiRoutes(svc: FederationService): Router {
  const r = Router();
  const challenges = challengeLimit(svc.rt.ctx);

  r.get(
    '/api/v1/federation/tracks',
    isPublic,
    route(async (req, res) => {
      const q = paging.extend({ channel: iri.optional() }).parse(req.query);
      res.json(await svc.tracks.list({ actorUri: q.channel, limit: q.limit, offset: q.offset }));
    }),
  );
  r.get(
    '/api/v1/federation/tracks/:id',
    isPublic,
    route(async (req, res) => {
      const track = await svc.tracks.byId(String(req.params.id));
      if (!track) throw notFound('Remote track');
      res.json({ ...track, localMasterPlaylistUrl: `${svc.rt.publicUrl}/api/v1/federation/tracks/${track.id}/hls/master.m3u8` });
    }),
  );

  // Watching a followed channel's live stream through this node (server/federation/remote-live.ts).
  const liveCors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-content-sha256' };
  const livePlaylist = (res: import('express').Response, text: string) => res.type(hlsContentType('index.m3u8')).set({ ...liveCors, 'cache-control': 'no-cache' }).send(text);
  r.get(
    '/live-remote/:watchId/master.m3u8',
    isPublic,
    route(async (req, res) => {
      res.set(liveCors); // errors too: players on other origins read them
      livePlaylist(res, await svc.remoteLive.master(String(req.params.watchId)));
    }),
  );
  r.get(
    '/live-remote/:watchId/:rendition/:file',
    isPublic,
    route(async (req, res) => {
      res.set(liveCors);
      const watchId = String(req.params.watchId);
      const rendition = String(req.params.rendition);
      const file = String(req.params.file);
      if (file === 'index.m3u8') return void livePlaylist(res, await svc.remoteLive.playlist(watchId, rendition));
      const m = /^(\d{1,9})\.ts$/.exec(file);
      if (!m) throw notFound('Live segment');
      const seg = await svc.remoteLive.segment(watchId, rendition, Number(m[1]));
      res
        .type(hlsContentType(file))
        .set({ ...liveCors, 'cache-control': seg.private ? 'private, no-cache' : 'public, max-age=3600, immutable', 'x-content-sha256': seg.sha256, 'x-cache': seg.cached ? 'hit' : 'miss' })
        .send(seg.body);
    }),
  );

  // Playing a remote track through this node: HLS from the home node, segments checked
  // against the home node's hashes and cached here. The CORS headers of local streaming, on
  // errors too, so players on other origins (embeds, other web clients) can read every answer.
  for (const path of ['/api/v1/federation/tracks/:id/hls/master.m3u8', '/api/v1/federation/tracks/:id/hls/:rendition/:file']) {
    r.options(path, isPublic, (_req, res) => {
      setStreamingCors(res).set('Access-Control-Max-Age', '600').status(204).end();
    });
  }
  r.use('/api/v1/federation/tracks/:id/hls/', (_req, res, next) => {
    setStreamingCors(res);
    next();
  });
  r.get(
    '/api/v1/federation/tracks/:id/hls/master.m3u8',
    isPublic,
    route(async (req, res) => {
      const text = await svc.cache.master(String(req.params.id));
      res.type(hlsContentType('master.m3u8')).set('Cache-Control', 'public, max-age=300').send(text);
    }),
  );
  r.get(
    '/api/v1/federation/tracks/:id/hls/:rendition/:file',
    isPublic,
    route(async (req, res) => {
      const id = String(req.params.id);
      const rendition = String(req.params.rendition);
      const file = String(req.params.file);
      if (file === 'playlist.m3u8') {
        const t = await svc.tracks.byId(id);
        if (!t) throw notFound('Remote track');
        // A paid track's playlist is asked again each time, as a local one's (its prices may change).
        res.type(hlsContentType(file)).set('Cache-Control', t.access.mode !== 'free' ? 'no-cache' : 'public, max-age=300').send(await svc.cache.playlist(id, rendition, t));
        return;
      }
      // A remote track that is not free: its segments are this node's to sell (metered, owed to
      // the artist) or to give its subscribers, through money's gate, as for local tracks.
      const seg = /^seg-(\d+)\.m4s$/.exec(file);
      // Read once: the gate and the cache decide on the same state of the track.
      const track = seg ? await svc.tracks.byId(id) : undefined;
      if (seg && !track) throw notFound('Remote track');
      const gated = !!track && track.access.mode !== 'free';
      if (gated) {
        const g = await svc.remoteGatedTrack(id, track);
        if (!g) throw new AppError(409, 'not_playable_here', 'This track is paid for in another currency than this node keeps, or has no prices: play it on its home node');
        const d = await svc.rt.money.segmentAccess.decide(g, rendition, Number(seg![1]), req.headers.authorization, req.user?.id);
        if (!d.ok) throw segmentRefusal(req, res, challenges, d);
      }
      const { body, cached } = await svc.cache.file(id, rendition, file, track);
      // Listening counts what this node serves, remote tracks included (user-centric payouts).
      const session = req.get('x-play-session') ?? (typeof req.query.session === 'string' ? req.query.session : null);
      const userId = req.user?.id ?? null;
      res.on('finish', () => {
        if (res.statusCode !== 200) return;
        void svc.recordRemoteSegmentServed({
          trackId: id,
          rendition,
          file,
          bytes: body.length,
          userId,
          sessionId: session ? session.slice(0, 200) : null,
          ip: req.ip ?? req.socket.remoteAddress ?? null,
          userAgent: req.get('user-agent') ?? null,
        });
      });
      res.type(hlsContentType(file)).set('Cache-Control', gated ? 'private, no-cache' : 'public, max-age=86400, immutable').set('X-Cache', cached ? 'hit' : 'miss').send(body);
    }),
  );
  r.get(
    '/api/v1/federation/playlists',
    isPublic,
    route(async (req, res) => {
      const q = paging.extend({ actor: iri.optional() }).parse(req.query);
      res.json(await svc.tracks.listPlaylists({ actorUri: q.actor, limit: q.limit, offset: q.offset }));
    }),
  );
  r.get(
    '/api/v1/federation/campaigns',
    isPublic,
    route(async (req, res) => {
      const q = paging.extend({ channel: iri.optional() }).parse(req.query);
      res.json({ data: await svc.campaigns.list({ actorUri: q.channel, limit: q.limit, offset: q.offset }) });
    }),
  );
  r.get(
    '/api/v1/federation/channels',
    isPublic,
    route(async (req, res) => {
      const q = paging.parse(req.query);
      res.json({ data: await svc.remoteChannels(q.limit, q.offset) });
    }),
  );

  r.get(
    '/api/v1/federation/follows',
    requireUser,
    route(async (req, res) => {
      res.json({ data: await svc.followsOf(req.user!.id) });
    }),
  );
  r.post(
    '/api/v1/federation/follows',
    requireUser,
    route(async (req, res) => {
      const body = z.object({ handle: z.string().min(3).max(2048) }).parse(req.body ?? {});
      res.status(201).json(await svc.follow(req.user!.id, body.handle));
    }),
  );
  r.delete(
    '/api/v1/federation/follows/:id',
    requireUser,
    route(async (req, res) => {
      await svc.unfollow(req.user!.id, uuid.parse(req.params.id));
      res.status(204).end();
    }),
  );
  r.post(
    '/api/v1/federation/likes',
    requireUser,
    route(async (req, res) => {
      const body = z.object({ object: iri }).parse(req.body ?? {});
      res.status(201).json(await svc.like(req.user!.id, body.object));
    }),
  );
  r.post(
    '/api/v1/federation/announces',
    requireUser,
    route(async (req, res) => {
      const body = z.object({ object: iri }).parse(req.body ?? {});
      res.status(201).json(await svc.announce(req.user!.id, body.object));
    }),
  );

  // --- discovery ---
  // A lookup may make this node fetch from another server: signed-in users only, counted per user.
  const lookups = new WindowLimit(svc.rt.config.federation.lookupsPerMinutePerUser);
  r.get(
    '/api/v1/discover/new',
    isPublic,
    route(async (req, res) => {
      const q = z
        .object({ limit: z.coerce.number().int().min(1).max(50).default(20), offset: z.coerce.number().int().min(0).max(NEW_WINDOW - 1).default(0), origin: z.enum(['local', 'remote']).optional() })
        .parse(req.query);
      res.set('Cache-Control', 'public, max-age=10').json({ data: await svc.discover.latest(q) });
    }),
  );
  r.get(
    '/api/v1/discover/trending',
    isPublic,
    route(async (req, res) => {
      const q = z
        .object({ limit: z.coerce.number().int().min(1).max(50).default(20), days: z.coerce.number().int().min(1).max(365).default(7), channel: z.string().min(1).max(100).optional() })
        .parse(req.query);
      res.set('Cache-Control', 'public, max-age=60').json({ data: await svc.discover.trending(q) });
    }),
  );
  const short = z.object({ limit: z.coerce.number().int().min(1).max(50).default(20) });
  r.get(
    '/api/v1/discover/recent',
    requireUser,
    route(async (req, res) => void res.set('Cache-Control', 'private, no-cache').json({ data: await svc.discover.recent(req.user!.id, short.parse(req.query).limit) })),
  );
  r.get(
    '/api/v1/discover/following',
    requireUser,
    route(async (req, res) => void res.set('Cache-Control', 'private, no-cache').json({ data: await svc.discover.following(req.user!.id, short.parse(req.query).limit) })),
  );
  r.get(
    '/api/v1/search',
    isPublic,
    route(async (req, res) => {
      const q = z.object({ q: z.string().trim().min(1).max(200), limit: z.coerce.number().int().min(1).max(50).default(20) }).parse(req.query);
      const user = req.user;
      // Only a URL or handle may fetch from another server: only those count against the lookups.
      if (user && /^(https?:\/\/|@?[^@\s/]+@)/i.test(q.q) && !lookups.take(user.id)) {
        res.set('Retry-After', String(lookups.retryAfterSeconds()));
        throw new AppError(429, 'rate_limited', `At most ${lookups.perMinute} lookups a minute`);
      }
      res.json(await svc.discover.search(q.q, q.limit, { lookup: !!user }));
    }),
  );
  r.get(
    '/api/v1/discover/lookup',
    requireUser,
    route(async (req, res) => {
      const q = z.object({ q: z.string().trim().min(3).max(2048) }).parse(req.query);
      if (!lookups.take(req.user!.id)) {
        res.set('Retry-After', String(lookups.retryAfterSeconds()));
        throw new AppError(429, 'rate_limited', `At most ${lookups.perMinute} lookups a minute`);
      }
      res.json(await svc.discover.lookup(q.q));
    }),
  );

  // --- admin ---
  r.get(
    '/api/v1/federation/admin/instance-follows',
    requireRole('admin'),
    route(async (_req, res) => void res.json({ data: await svc.instanceFollows.following() })),
  );
  r.post(
    '/api/v1/federation/admin/instance-follows',
    requireRole('admin'),
    route(async (req, res) => {
      const body = z.object({ host: z.string().trim().min(3).max(2048) }).parse(req.body ?? {});
      res.status(201).json(await svc.instanceFollows.follow(body.host));
    }),
  );
  r.delete(
    '/api/v1/federation/admin/instance-follows/:id',
    requireRole('admin'),
    route(async (req, res) => {
      await svc.instanceFollows.unfollow(String(req.params.id));
      res.status(204).end();
    }),
  );
  r.get(
    '/api/v1/federation/admin/instance-followers',
    requireRole('admin'),
    route(async (_req, res) => void res.json({ mode: svc.rt.config.federation.instanceFollowers, data: await svc.instanceFollows.followers() })),
  );
  r.post(
    '/api/v1/federation/admin/instance-followers/:id/accept',
    requireRole('admin'),
    route(async (req, res) => void res.json(await svc.instanceFollows.accept(String(req.params.id)))),
  );
  r.delete(
    '/api/v1/federation/admin/instance-followers/:id',
    requireRole('admin'),
    route(async (req, res) => {
      await svc.instanceFollows.remove(String(req.params.id));
      res.status(204).end();
    }),
  );
  r.get(
    '/api/v1/federation/admin/blocks',
    requireRole('admin'),
    route(async (_req, res) => {
      res.json({ data: await svc.blocks.list() });
    }),
  );
  r.post(
    '/api/v1/federation/admin/blocks',
    requireRole('admin'),
    route(async (req, res) => {
      const body = z
        .object({ kind: z.enum(['domain', 'actor']), value: z.string().min(1).max(2048), reason: z.string().max(1000).optional() })
        .refine((b) => (b.kind === 'domain' ? /^[a-z0-9.-]+(:\d+)?$/i.test(b.value) : /^https?:\/\//.test(b.value)), 'a domain looks like example.org; an actor is its URL')
        .parse(req.body ?? {});
      res.status(201).json(await svc.blocks.add(body.kind, body.value, body.reason));
    }),
  );
  r.delete(
    '/api/v1/federation/admin/blocks/:id',
    requireRole('admin'),
    route(async (req, res) => {
      if (!(await svc.blocks.remove(uuid.parse(req.params.id)))) throw notFound('Block');
      res.status(204).end();
    }),
  );
  r.get(
    '/api/v1/federation/admin/dead-letters',
    requireRole('admin'),
    route(async (req, res) => {
      const q = paging.parse(req.query);
      res.json(await svc.delivery.deadLetters(q.limit, q.offset));
    }),
  );
  r.post(
    '/api/v1/federation/admin/dead-letters/:id/retry',
    requireRole('admin'),
    route(async (req, res) => {
      const id = z.coerce.number().int().positive().parse(req.params.id);
      if (!(await svc.delivery.retry(String(id)))) throw notFound('Dead letter');
      res.status(202).json({ queued: true });
    }),
  );
  r.post(
    '/api/v1/federation/admin/rotate-keys',
    requireRole('admin'),
    route(async (req, res) => {
      const body = z.object({ actor: iri }).parse(req.body ?? {});
      const actor = await svc.rotateKeys(body.actor);
      res.json({ actor: actor.uri, keyId: `${actor.uri}#main-key`, publicKeyPem: actor.publicKeyPem, rotatedAt: actor.keyRotatedAt });
    }),
  );
  r.get(
    '/api/v1/federation/admin/stats',
    requireRole('admin'),
    route(async (_req, res) => {
      res.json(await svc.stats());
    }),
  );
  r.get(
    '/api/v1/federation/admin/received/:kind',
    requireRole('admin'),
    route(async (req, res) => {
      const kind = z.enum(['listens', 'subscriptions', 'streams']).parse(req.params.kind);
      const data = kind === 'listens' ? await svc.receivedListens() : kind === 'subscriptions' ? await svc.subscriptions() : await svc.streams();
      res.json({ data });
    }),
  );
  return r;
}
