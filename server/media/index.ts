// Media: channels, resumable uploads, probe and HLS transcode (parallel ffmpeg), loudness
// and waveform, per-segment hashes, torrents with web seed and the node's tracker,
// streaming endpoints with access rules.
import { perNode, type Capability, type NodeContext } from '../context.js';
import { MediaService } from './service.js';
import type { Tracks } from './tracks.js';
import { Uploads } from './uploads.js';
import { TranscodeJobs } from './transcode-job.js';
import { NodeTracker, Seeder } from './torrents.js';
import { mediaRoutes } from './routes.js';
import { mediaOpenApi } from './openapi.js';
import { streamingFastPath } from './fast-streaming.js';
import { NginxFront } from './front.js';
import { UserLimits } from './limits.js';
import { TranscodeQueue } from './transcode-queue.js';
import { isOpenToAll } from './track-view.js';
import { ProgressiveBackfill } from './progressive-backfill.js';
import { registerMediaAccountData } from './account-data.js';

export { MediaService } from './service.js';
export { licenses, visibilities } from './model.js';
export type { PlaylistView, ListPlaylistsQuery } from './playlists.js';
export type { Channel, TrackView, SegmentServed, ListTracksQuery, RenditionView, License, Visibility, TrackStatus, TrackKind } from './model.js';
export { ffmpegPath, ffprobePath } from './ffmpeg.js';
/** The CORS headers of streaming files, for routes that stream on the node's behalf elsewhere (federation's remote HLS). */
export { setCors as setStreamingCors } from './streaming-headers.js';

interface Internals {
  media: MediaService;
  uploads: Uploads;
  jobs: TranscodeJobs;
  tracker: NodeTracker;
  limits: UserLimits;
  queue: TranscodeQueue;
  backfill: ProgressiveBackfill;
  seeder?: Seeder;
  sweep?: NodeJS.Timeout;
  /** The periodic transcode sweep (lost jobs, fair-share line), media.sweepIntervalSeconds. */
  transcodeSweep?: NodeJS.Timeout;
  /** Behind nginx (media.frontAccessLog): the public folder and the access-log reader. */
  front?: NginxFront;
}

const { get: internalsOf, set: setInternals } = perNode<Internals>('media capability');

/** The tracks this process seeds over WebTorrent now (media's tests; none on a web-only process). */
export const seededTracks = (ctx: NodeContext): string[] => internalsOf(ctx).seeder?.seededTrackIds() ?? [];

/** The media service of this node, for media's own routes, jobs and tests (others use `ctx.services.media`). */
export const mediaService = (ctx: NodeContext): MediaService => internalsOf(ctx).media;

/** The tracker serves only this node's renditions of tracks strangers may play (cached briefly). */
function trackerAllowList(tracks: Tracks): (infoHash: string) => Promise<boolean> {
  const cache = new Map<string, { ok: boolean; until: number }>();
  return async (infoHash) => {
    const hit = cache.get(infoHash);
    if (hit && hit.until > Date.now()) return hit.ok;
    const ok = await tracks.playableRenditionHas(infoHash);
    if (cache.size > 10_000) cache.clear();
    cache.set(infoHash, { ok, until: Date.now() + (ok ? 60_000 : 10_000) });
    return ok;
  };
}

export const mediaCapability: Capability = {
  name: 'media',
  init(ctx) {
    const log = ctx.logger.child({ component: 'media' });
    const media = new MediaService(ctx);
    const limits = new UserLimits(ctx);
    const queue = new TranscodeQueue(ctx);
    const uploads = new Uploads(ctx, media, limits, queue);
    media.importer = uploads;
    const seeder = ctx.config.role !== 'web' && ctx.config.media.seed ? new Seeder(log) : undefined;
    const jobs = new TranscodeJobs(ctx, media, seeder, queue);
    const tracker = new NodeTracker(log, ctx.config.trustProxy, trackerAllowList(media.tracks));
    ctx.jobs.handle('media.transcode', async ({ trackId }, job) => jobs.run(trackId, String(job.id)));
    const backfill = new ProgressiveBackfill(ctx, media);
    ctx.jobs.handle('media.progressive-backfill', async (payload) => backfill.run(payload ?? {}));
    ctx.jobs.setConcurrency('media', ctx.config.media.transcodeConcurrency);
    ctx.services.media = media;
    registerMediaAccountData(ctx, media, jobs);
    // Seed what strangers may play without asking; stop seeding what was deleted, made private or paid.
    if (seeder) {
      ctx.events.on('track.deleted', ({ trackId }) => seeder.unseedTrack(trackId));
      ctx.events.on('track.updated', async ({ trackId }) => {
        const row = await media.tracks.row(trackId);
        if (!row || !isOpenToAll(row)) return seeder.unseedTrack(trackId);
        if (row.status === 'ready' && !seeder.isSeeding(trackId)) await jobs.seedTrack(trackId, row.renditions);
      });
    }
    const front = ctx.config.media.frontAccessLog ? new NginxFront(ctx, media, ctx.config.media.frontAccessLog, log) : undefined;
    setInternals(ctx, { media, uploads, jobs, tracker, limits, queue, backfill, seeder, front });
  },
  routes(ctx) {
    return mediaRoutes(ctx, internalsOf(ctx));
  },
  fastPath(ctx, tools) {
    return streamingFastPath(ctx, internalsOf(ctx).media, tools);
  },
  openapi: mediaOpenApi,
  start(ctx) {
    const i = internalsOf(ctx);
    const log = ctx.logger.child({ component: 'media' });
    // WebSocket announces arrive as upgrades on the node's HTTP server.
    if (ctx.httpServer) i.tracker.attach(ctx.httpServer);
    if (ctx.config.role !== 'web') {
      // At start, and then periodically: processing tracks whose job was lost (a shutdown
      // mid-transcode, a Redis flush, another node taking the job) are queued again.
      void i.queue.sweep(0).catch((err) => log.warn({ err }, 'requeue of unfinished transcodes failed'));
      let sweeping = false;
      i.transcodeSweep = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        i.queue
          .sweep()
          .then((r) => r.requeued && log.info(r, 'transcode sweep'))
          .then(() => i.jobs.reconcileSeeding())
          .then((stopped) => stopped && log.info({ stopped }, 'stopped seeding tracks strangers may no longer play'))
          .catch((err) => log.warn({ err }, 'transcode sweep failed'))
          .finally(() => (sweeping = false));
      }, ctx.config.media.sweepIntervalSeconds * 1000);
      i.transcodeSweep.unref();
      // Tracks transcoded before the progressive file existed get it, a batch at a time.
      void i.backfill.queueIfNeeded().catch((err) => log.warn({ err }, 'could not queue the progressive backfill'));
      if (i.seeder) void i.jobs.seedExisting().catch((err) => log.warn({ err }, 'seeding existing tracks failed'));
      i.sweep = setInterval(() => void i.uploads.sweepStale().catch((err) => log.warn({ err }, 'upload sweep failed')), 3600_000);
      i.sweep.unref();
    }
    i.front?.start();
  },
  async stop(ctx) {
    const i = internalsOf(ctx);
    const log = ctx.logger.child({ component: 'media' });
    if (i.sweep) clearInterval(i.sweep);
    if (i.transcodeSweep) clearInterval(i.transcodeSweep);
    await i.front?.stop();
    i.backfill.stop();
    await i.jobs.stopAll();
    log.debug('transcodes stopped');
    await i.seeder?.close();
    log.debug('seeding stopped');
    await i.tracker.close();
    log.debug('tracker closed');
  },
};
