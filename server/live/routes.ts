// Live routes: the directory, a stream's view, events and HLS (anyone), and each channel's
// live settings, key and health (its owner or an admin).
import { open } from 'node:fs/promises';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { notFound, route, AppError, RetryLaterError } from '../http/errors.js';
import { clientNetwork } from '../http/client-address.js';
import { isPublic, requireRole, requireUser } from '../accounts/middleware.js';
import { challengeLimit, segmentRefusal } from '../http/segment-refusal.js';
import type { NodeContext } from '../context.js';
import type { LiveService } from './service.js';
import { anonymousViewer, liveCors as cors, SEGMENT_ROUTE } from './fast-segments.js';
import { isUuid } from '../../shared/ids.js';

const choicesSchema = z
  .object({
    title: z.string().trim().min(1).max(200).nullable().optional(),
    keepReplays: z.boolean().optional(),
    pricePerMinute: z.number().int().min(0).max(1_000_000).optional(),
    // Minutes with up to two decimals (0.25: the first 15 seconds).
    freeMinutes: z.number().min(0).max(120).refine((m) => Math.abs(m * 100 - Math.round(m * 100)) < 1e-9, 'at most two decimals').optional(),
    subscriberDiscountPercent: z.number().int().min(0).max(100).optional(),
  })
  .strict();

const watchLinkSchema = z
  .object({
    amount: z.number().int().min(1).max(100_000_000),
    streamId: z.string().uuid().optional(),
    message: z.string().trim().max(300).optional(),
    fundFrom: z.enum(['wallet', 'node']).optional(),
  })
  .strict();

const offerSchema = z
  .object({
    rendition: z.string().min(1).max(64),
    fromSeq: z.number().int().min(0),
    minutes: z.number().int().min(1).max(60).default(1),
  })
  .strict();

const seqPattern = /^(\d{1,9})\.ts$/;


function sendPlaylist(res: Response, text: string): void {
  res.writeHead(200, { ...cors, 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-cache', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function liveRoutes(ctx: NodeContext, svc: LiveService): Router {
  const r = Router();
  const address = (req: Request) => clientNetwork(req.ip, ctx.config.auth.throttle.ipv6PrefixLength);
  const artist = requireRole('artist');
  // The owner's writes that put nothing before the public: a silenced artist still stops a
  // stream, revokes or rotates a key (a push stays refused), and hands out watch links.
  const manage = requireRole('artist', { publishing: false });

  r.get('/api/v1/live', isPublic, route(async (_req, res) => void res.json(await svc.directory())));
  r.get('/api/v1/live/ingest', isPublic, route(async (_req, res) => void res.json(svc.ingest())));

  r.get(
    '/api/v1/live/streams/:id',
    isPublic,
    route(async (req, res) => {
      const view = await svc.view(req.params.id);
      if (!view) throw notFound('Live stream');
      res.json(view);
    }),
  );

  r.get(
    '/api/v1/live/streams/:id/events',
    isPublic,
    route(async (req, res) => {
      const view = await svc.view(req.params.id);
      if (!view) throw notFound('Live stream');
      const initial: [string, unknown][] = [
        ['state', { state: view.state, ...(view.endReason ? { reason: view.endReason, message: view.endMessage } : {}) }],
        ['viewers', { now: view.viewers ?? 0, peak: view.peakViewers }],
      ];
      if (view.state === 'ended') {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
        for (const [event, data] of initial) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        return void res.end();
      }
      const full = svc.hub.subscribe(view.id, req, res, address(req), initial);
      if (full === 'address') throw new AppError(429, 'too_many_event_streams', 'Too many live event streams are open from this address');
      if (full === 'node') throw new RetryLaterError(503, 'event_streams_full', 'This node has as many live event streams open as it takes; try again shortly', 30);
    }),
  );

  r.get(
    '/live-hls/:id/master.m3u8',
    isPublic,
    route(async (req, res) => {
      const text = await svc.master(req.params.id);
      if (!text) throw notFound('Live playlist');
      sendPlaylist(res, text);
    }),
  );

  r.get(
    '/live-hls/:id/:rendition/index.m3u8',
    isPublic,
    route(async (req, res) => {
      const text = await svc.mediaPlaylist(req.params.id, req.params.rendition);
      if (!text) throw notFound('Live playlist');
      sendPlaylist(res, text);
    }),
  );

  r.get(
    '/live-hls/:id/:rendition/hashes.json',
    isPublic,
    route(async (req, res) => {
      // ?from=<seq>: only those from there on (a follower's node asks for the newest few).
      const from = typeof req.query.from === 'string' && /^\d{1,9}$/.test(req.query.from) ? Number(req.query.from) : 0;
      const hashes = await svc.hashes(req.params.id, req.params.rendition, from);
      if (!hashes) throw notFound('Live rendition');
      res.set({ ...cors, 'cache-control': 'no-cache' }).json({ algorithm: 'sha256', segments: hashes });
    }),
  );

  r.get(
    SEGMENT_ROUTE,
    isPublic,
    route(async (req, res) => {
      const m = seqPattern.exec(req.params.segment);
      if (!m) throw notFound('Live segment');
      const key = req.user?.id ?? anonymousViewer(address(req), req.get('user-agent'));
      const seg = await svc.segment(req.params.id, req.params.rendition, Number(m[1]), { key, user: req.user, network: address(req), authorization: req.headers.authorization });
      if (!seg) {
        // Not yet written (or no such stream): a player asks again shortly; nothing may keep this answer.
        res.set({ ...cors, 'cache-control': 'no-store' });
        throw notFound('Live segment');
      }
      if ('refusal' in seg) {
        res.set(cors);
        throw segmentRefusal(req, res, challengeLimit(ctx), seg.refusal);
      }
      // A priced stream's segments are the viewer's alone: no shared cache may keep them.
      const cache = seg.priced ? 'private, no-cache' : 'public, max-age=3600, immutable';
      // The file first: one pruned since it was listed is a clear 404, not a broken answer.
      const file = await open(seg.file).catch(() => undefined);
      if (!file) {
        res.set({ ...cors, 'cache-control': 'no-store' });
        throw new AppError(404, 'not_found', 'Live segment no longer kept (older than the node keeps while live)');
      }
      res.set({ ...cors, 'content-type': 'video/mp2t', 'content-length': String(seg.row.bytes), 'cache-control': cache, 'x-content-sha256': seg.row.sha256 });
      const stream = file.createReadStream();
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      // Counted once the whole segment went out, as media counts on-demand segments.
      res.once('finish', () => {
        // As on demand: the header, or ?session= for players that cannot set headers (native HLS).
        const session = req.get('x-play-session') ?? (typeof req.query.session === 'string' ? req.query.session : undefined);
        svc.served({ streamId: req.params.id, rendition: req.params.rendition, row: seg.row, userId: req.user?.id ?? null, sessionId: session && isUuid(session) ? session : null, ip: req.ip ?? '', userAgent: req.get('user-agent') ?? null });
      });
    }),
  );

  // ---- paying viewers ----
  r.get(
    '/api/v1/live/streams/:id/access',
    isPublic,
    route(async (req, res) => void res.set('cache-control', 'no-store').json(await svc.accessOf(req.params.id, { user: req.user, network: address(req) }))),
  );
  r.post(
    '/api/v1/live/streams/:id/watch-stream',
    requireUser,
    route(async (req, res) => {
      const { watch, opened } = await svc.access.openWatch(req.user!, req.params.id);
      res.status(opened ? 201 : 200).json(watch);
    }),
  );
  r.delete('/api/v1/live/streams/:id/watch-stream', requireUser, route(async (req, res) => void res.json(await svc.access.closeWatch(req.user!, req.params.id))));
  r.post('/api/v1/live/streams/:id/offers', requireUser, route(async (req, res) => void res.json(await svc.offer(req.user!, req.params.id, offerSchema.parse(req.body ?? {})))));

  // ---- pre-funded watch links ----
  r.post(
    '/api/v1/channels/:channel/live/watch-links',
    manage,
    route(async (req, res) => {
      const { link, qr, created } = await svc.watchLinks.create(req.user!, req.params.channel, watchLinkSchema.parse(req.body ?? {}), req.get('idempotency-key') ?? undefined);
      res.status(created ? 201 : 200).set('cache-control', 'no-store').json({ link, qr });
    }),
  );
  r.get('/api/v1/channels/:channel/live/watch-links', artist, route(async (req, res) => void res.json(await svc.watchLinks.list(req.user!, req.params.channel))));
  r.get('/api/v1/live/watch-links/:code', isPublic, route(async (req, res) => void res.set('cache-control', 'no-store').json(await svc.watchLinks.info(req.params.code))));
  r.post(
    '/api/v1/live/watch-links/:code/open',
    isPublic,
    route(async (req, res) => void res.set('cache-control', 'no-store').json(await svc.watchLinks.open(req.params.code, address(req), req.user))),
  );

  // ---- the channel's owner ----
  r.get('/api/v1/channels/:channel/live', artist, route(async (req, res) => void res.json(await svc.channelLive(req.user!, req.params.channel))));
  r.patch(
    '/api/v1/channels/:channel/live',
    artist,
    route(async (req, res) => void res.json(await svc.setChoices(req.user!, req.params.channel, choicesSchema.parse(req.body ?? {})))),
  );
  r.post('/api/v1/channels/:channel/live/key', manage, route(async (req, res) => void res.status(201).set('cache-control', 'no-store').json(await svc.rotateKey(req.user!, req.params.channel))));
  r.delete(
    '/api/v1/channels/:channel/live/key',
    manage,
    route(async (req, res) => {
      await svc.revokeKey(req.user!, req.params.channel);
      res.status(204).end();
    }),
  );
  r.post('/api/v1/channels/:channel/live/stop', manage, route(async (req, res) => void res.json(await svc.stopStream(req.user!, req.params.channel))));
  return r;
}
