// The `media.transcode` job: probe, transcode into a work folder, hash, make torrents,
// move into place, mark ready. A failure marks the track failed with the reason and
// removes every partial file; it never takes the process down.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { selectOne, execute } from '../db/index.js';
import type { NodeContext } from '../context.js';
import type { User } from '../accounts/service.js';
import { AppError, conflict, forbidden } from '../http/errors.js';
import type { MediaService } from './service.js';
import type { SegmentTimeline, StoredRendition, TrackRow } from './model.js';
import { canEditTrack } from './track-view.js';
import { MediaRejected, checkSourceLimits, probeMedia } from './probe.js';
import { FfmpegError, transcode, type TranscodeRun } from './transcode.js';
import { createRenditionTorrent, type Seeder } from './torrents.js';
import type { TranscodeQueue } from './transcode-queue.js';
import { isOpenToAll } from './track-view.js';

/** A transcode job about a track this node's database does not have: fails the job, loudly. */
export class TranscodeSubjectMissing extends Error {
  constructor(trackId: string) {
    super(`media.transcode: no track ${trackId} in this node's database (deleted before its job ran, or the job of another node sharing this Redis)`);
    this.name = 'TranscodeSubjectMissing';
  }
}

/** The transcode ran past its wall-clock limit (config media.transcodeTimeoutFactor, media.transcodeTimeoutMinSeconds). */
export class TranscodeTimeout extends Error {
  constructor(limitSeconds: number, durationSeconds: number) {
    const s = (n: number) => `${Math.round(n * 10) / 10} s`;
    super(`The transcode took longer than ${s(limitSeconds)} (this node's limit for a ${s(durationSeconds)} source) and was stopped.`);
    this.name = 'TranscodeTimeout';
  }
}

export class TranscodeJobs {
  private running = new Map<string, TranscodeRun>();
  private active = new Set<string>();
  private stopping = false;
  private readonly log;

  constructor(
    private readonly ctx: NodeContext,
    private readonly media: MediaService,
    private readonly seeder: Seeder | undefined,
    private readonly queue: TranscodeQueue,
  ) {
    this.log = ctx.logger.child({ component: 'media' });
    // An admin retries a failed transcode job (POST /api/v1/admin/jobs/media/:id/retry): run as
    // it is, the job would find its track `failed` and do nothing, so the track is transcoded
    // again from its original, as a retranscode does, and the failed job goes.
    ctx.jobs.onRetry('media.transcode', async ({ trackId }, job) => {
      await this.retryFailedJob(trackId, String(job.id));
      return 'replaced';
    });
  }

  private async retryFailedJob(trackId: string, jobId: string): Promise<void> {
    const row = await this.media.tracks.row(trackId);
    if (!row) throw conflict('job_subject_gone', 'The track of this transcode is gone (deleted, or another node\'s): remove the job instead');
    if (row.status !== 'failed' || row.transcode_job_id !== jobId) {
      throw conflict('job_superseded', `This job is no longer the track's transcode (the track is ${row.status}): remove it instead`);
    }
    await this.transcodeAgain(row);
  }

  /** Stops a running transcode of the track (delete, shutdown). */
  async stop(trackId: string): Promise<void> {
    const run = this.running.get(trackId);
    if (!run) return;
    run.kill();
    await run.done.catch(() => {});
  }

  /** Shutdown: running transcodes are stopped and stay `processing`; the next start's sweep queues them again. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)));
  }

  /** Runs the job `jobId` for the track: only the job the track names (see transcode-queue.ts). */
  async run(trackId: string, jobId: string): Promise<void> {
    if (this.active.has(trackId)) return; // a duplicate job while one runs here
    const track = await this.media.tracks.row(trackId);
    if (!track) {
      // Never a silent success: a job about a track this node does not have is a lost upload
      // somewhere (e.g. two nodes consuming one Redis queue). Fail it so admins see it.
      const err = new TranscodeSubjectMissing(trackId);
      this.log.error({ trackId, jobId }, err.message);
      throw err;
    }
    if (track.status !== 'processing') {
      this.log.debug({ trackId, jobId }, 'transcode job for a track no longer processing (done by an earlier job)');
      return;
    }
    // Claim: the track's job (or a legacy job of a track not yet dispatched) runs; a superseded one does not.
    const claimed = await selectOne(
      this.ctx.db,
      `UPDATE media_tracks SET transcode_job_id = :jobId, transcode_queued_at = COALESCE(transcode_queued_at, now())
       WHERE id = :id AND status = 'processing' AND (transcode_job_id IS NULL OR transcode_job_id = :jobId) RETURNING id`,
      { id: trackId, jobId },
    );
    if (!claimed) {
      this.log.info({ trackId, jobId }, 'transcode job superseded by a newer job of the same track; skipped');
      return;
    }
    this.active.add(trackId);
    try {
      await this.transcodeTrack(track);
    } finally {
      this.active.delete(trackId);
      // The owner's next waiting track joins the queue (behind other users' tracks) before this
      // job completes, so the queue never looks idle while the owner still has tracks in line.
      if (!this.stopping) await this.queue.dispatch(track.owner_id).catch((err) => this.log.warn({ err, trackId }, 'fair-share dispatch failed; the sweep will queue the track'));
    }
  }

  /**
   * A track is about to be deleted (its row locked): take its job off the queue first, so the
   * job never runs against a missing row and raises a false "no track" alarm.
   */
  async beforeDelete(row: Pick<TrackRow, 'id' | 'transcode_job_id'>): Promise<void> {
    await this.queue.removeWaiting(row.transcode_job_id).catch((err) => this.log.warn({ err, trackId: row.id }, 'could not remove the queued transcode job'));
  }

  /** A track was deleted: stop its transcode here, let the owner's line move on. */
  async afterDelete(row: Pick<TrackRow, 'id' | 'owner_id'>): Promise<void> {
    await this.stop(row.id);
    await this.queue.dispatch(row.owner_id).catch((err) => this.log.warn({ err, trackId: row.id }, 'fair-share dispatch failed'));
  }

  private async transcodeTrack(track: TrackRow): Promise<void> {
    const trackId = track.id;
    const storage = this.media.storage;
    const workDir = storage.workDir(trackId);
    const log = this.log.child({ trackId });
    try {
      await rm(workDir, { recursive: true, force: true });
      await mkdir(workDir, { recursive: true });
      const original = path.join(storage.root, 'originals', track.original_file);
      // The upload already probed the file; probe again only for rows that lack it.
      const probed = track.probe ?? (await probeMedia(original));
      const m = this.ctx.config.media;
      // The limits may have been lowered since the upload: refuse before any ffmpeg starts.
      checkSourceLimits(probed, m);
      let lastWrite = 0;
      let lastValue = -1;
      const setProgress = (value: number) => {
        const now = Date.now();
        if (value === lastValue || now - lastWrite < 500) return;
        lastWrite = now;
        lastValue = value;
        execute(this.ctx.db, `UPDATE media_tracks SET progress = :value WHERE id = :id AND status = 'processing' AND progress < :value`, { id: trackId, value }).catch(() => {});
      };
      const t0 = Date.now();
      const run = transcode(original, workDir, probed, m, (f) => setProgress(Math.min(90, Math.floor(f * 90))));
      this.running.set(trackId, run);
      // Wall-clock limit proportional to the source's length, so a file that decodes far
      // slower (or longer) than it claims cannot hold a worker and a core for ever.
      const limitSeconds = Math.max(m.transcodeTimeoutMinSeconds, m.transcodeTimeoutFactor * probed.durationSeconds);
      // SIGKILL: a killed ffmpeg never exits 0, so a cut-off output is never published.
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        log.warn({ limitSeconds }, 'transcode ran out of time; killing ffmpeg');
        run.kill();
      }, limitSeconds * 1000);
      let out;
      try {
        out = await run.done;
      } catch (err) {
        throw timedOut ? new TranscodeTimeout(limitSeconds, probed.durationSeconds) : err;
      } finally {
        clearTimeout(timer);
        this.running.delete(trackId);
      }
      const t1 = Date.now();
      // Without the progressive file the track still plays over HLS; the backfill tries again.
      if (out.progressive && 'error' in out.progressive) log.warn({ err: out.progressive.error }, 'progressive file not made');
      const progressive = out.progressive && !('error' in out.progressive) ? out.progressive : null;
      const stored: StoredRendition[] = [];
      const timeline: SegmentTimeline = {};
      const torrents = await Promise.all(
        out.renditions.map((r) => createRenditionTorrent(path.join(workDir, r.name), { trackId, publicUrl: this.ctx.config.publicUrl, nodeName: this.ctx.config.nodeName })),
      );
      out.renditions.forEach((r, i) => {
        const { segments, init: _init, ...rest } = r;
        stored.push({ ...rest, infoHash: torrents[i].infoHash, magnetUri: torrents[i].magnetUri, segmentCount: segments.length });
        timeline[r.name] = segments.map((s) => [s.startSeconds, s.durationSeconds]);
      });
      // Deleted meanwhile? Then drop the result.
      if (!(await this.media.tracks.row(trackId))) {
        await rm(workDir, { recursive: true, force: true });
        return;
      }
      const t2 = Date.now();
      const target = storage.streamingDir(trackId);
      await rm(target, { recursive: true, force: true });
      await rename(workDir, target);
      let published = false;
      let visibility = track.visibility as string;
      let free = true;
      await this.ctx.db.transaction(async (t) => {
        const row = await selectOne<{ visibility: string; published: boolean; access: string }>(
          this.ctx.db,
          `UPDATE media_tracks SET status = 'ready', progress = 100, failure_reason = NULL, duration_seconds = :duration,
             integrated_lufs = :lufs, true_peak_dbtp = :tp, lra = :lra, renditions = CAST(:renditions AS jsonb),
             segment_timeline = CAST(:timeline AS jsonb), progressive_audio = CAST(:progressive AS jsonb), updated_at = now(),
             published_at = CASE WHEN visibility = 'public' THEN COALESCE(published_at, now()) ELSE published_at END
           WHERE id = :id AND status = 'processing' RETURNING visibility, access, published_at IS NOT NULL AS published`,
          {
            id: trackId,
            duration: out.durationSeconds,
            lufs: out.loudness.integratedLufs,
            tp: out.loudness.truePeakDbtp,
            lra: out.loudness.lra,
            renditions: JSON.stringify(stored),
            timeline: JSON.stringify(timeline),
            progressive: progressive ? JSON.stringify(progressive) : null,
          },
          t,
        );
        visibility = row?.visibility ?? visibility;
        free = (row?.access ?? 'free') === 'free';
        published = visibility === 'public';
        t.afterCommit(() => {
          this.media.streaming.forget(trackId);
          this.ctx.events.emit('track.status', { trackId, status: 'ready' });
          if (published) this.ctx.events.emit('track.published', { trackId });
        });
      });
      log.info({ renditions: stored.map((r) => r.name), durationSeconds: out.durationSeconds, ms: { transcode: t1 - t0, torrents: t2 - t1, publish: Date.now() - t2 } }, 'track ready');
      if (this.seeder && visibility !== 'private' && free) {
        // Seed only what strangers may play now: a moderator may have hidden the track meanwhile.
        const now = await this.media.tracks.row(trackId);
        if (now && isOpenToAll(now)) void this.seedTrack(trackId, stored);
      }
    } catch (err) {
      await rm(workDir, { recursive: true, force: true }).catch(() => {});
      if (this.stopping) {
        log.info('transcode interrupted by shutdown; it resumes at the next start');
        throw err;
      }
      if (!(await this.media.tracks.row(trackId).catch(() => track))) {
        await rm(storage.streamingDir(trackId), { recursive: true, force: true }).catch(() => {});
        log.info('track deleted during its transcode');
        return;
      }
      const reason = failureReason(err);
      log.warn({ err: reason }, 'transcode failed');
      await rm(storage.streamingDir(trackId), { recursive: true, force: true }).catch(() => {});
      // The original is always kept (a source over limits lowered since its upload too): the
      // owner deletes the track, or an admin raises the limit and it is transcoded again.
      await execute(
        this.ctx.db,
        `UPDATE media_tracks SET status = 'failed', failure_reason = :reason, updated_at = now() WHERE id = :id`,
        { id: trackId, reason },
      ).then(
        () => this.ctx.events.emit('track.status', { trackId, status: 'failed' }),
        (e) => log.error({ err: e }, 'could not record the failure'),
      );
      throw new Error(`transcode of ${trackId} failed: ${reason}`);
    }
  }

  /**
   * Transcodes a ready or failed track again from its stored original (owner or admin).
   * Listeners lose the track until it is ready again; the job announces it as usual.
   */
  async retranscode(user: User, trackId: string): Promise<TrackRow> {
    const row = await this.media.tracks.visible(trackId, user);
    if (!canEditTrack(row, user)) throw forbidden('Only the owner or an admin can transcode this track again');
    if (row.status === 'processing') throw conflict('track_processing', 'The track is being transcoded already');
    await this.transcodeAgain(row);
    return (await this.media.tracks.row(trackId))!;
  }

  /** Puts a ready or failed track back into its owner's line, to be transcoded from its stored original. */
  private async transcodeAgain(row: TrackRow): Promise<void> {
    const trackId = row.id;
    const original = path.join(this.media.storage.root, 'originals', path.basename(row.original_file));
    if (!existsSync(original)) throw conflict('original_missing', 'The original file of this track is no longer stored');
    // Limits lowered since the upload: refuse here, while the track is still as it was (the
    // job would fail it and drop its renditions).
    try {
      checkSourceLimits(row.probe ?? (await probeMedia(original)), this.ctx.config.media);
    } catch (err) {
      if (err instanceof MediaRejected) throw new AppError(422, err.code, err.message, err.details);
      throw err;
    }
    await this.ctx.db.transaction(async (t) => {
      const updated = await selectOne(
        this.ctx.db,
        // Back into the owner's fair-share line (no job yet); the dispatch below queues it when it is their turn.
        `UPDATE media_tracks SET status = 'processing', progress = 0, failure_reason = NULL, transcode_job_id = NULL, transcode_queued_at = NULL, updated_at = now()
         WHERE id = :id AND status IN ('ready', 'failed') RETURNING id`,
        { id: trackId },
        t,
      );
      if (!updated) throw conflict('track_processing', 'The track is being transcoded already');
      t.afterCommit(() => {
        this.media.streaming.forget(trackId);
        this.ctx.events.emit('track.status', { trackId, status: 'processing' });
      });
    });
    await this.queue.dispatch(row.owner_id).catch((err) => this.log.warn({ err, trackId }, 'fair-share dispatch failed; the sweep will queue the track'));
    await this.seeder?.unseedTrack(trackId).catch((err) => this.log.warn({ err, trackId }, 'could not stop seeding'));
  }

  async seedTrack(trackId: string, renditions: Pick<StoredRendition, 'name'>[]): Promise<void> {
    if (!this.seeder) return;
    const dir = this.media.storage.streamingDir(trackId);
    for (const r of renditions) {
      try {
        await this.seeder.seed(trackId, await readFile(path.join(dir, `${r.name}.torrent`)), dir);
      } catch (err) {
        this.log.warn({ err, trackId, rendition: r.name }, 'could not seed');
      }
    }
  }

  /**
   * Stops seeding what strangers may no longer play: a track hidden, made private or paid by a
   * process other than this worker (whose own events it does not hear). Run with the transcode sweep.
   */
  async reconcileSeeding(): Promise<number> {
    if (!this.seeder) return 0;
    let stopped = 0;
    for (const trackId of this.seeder.seededTrackIds()) {
      const row = await this.media.tracks.row(trackId);
      if (row && isOpenToAll(row)) continue;
      await this.seeder.unseedTrack(trackId);
      stopped++;
    }
    return stopped;
  }

  /** Seeds the most recent ready tracks at start (worker role). */
  async seedExisting(limit = 200): Promise<void> {
    if (!this.seeder) return;
    const rows = await this.ctx.db.query(`SELECT id, renditions FROM media_tracks WHERE status = 'ready' AND visibility <> 'private' AND access = 'free' AND NOT hidden ORDER BY updated_at DESC LIMIT ${Number(limit)}`);
    for (const r of rows[0] as Pick<TrackRow, 'id' | 'renditions'>[]) await this.seedTrack(r.id, r.renditions);
  }
}

/** A reason an artist can read: one sentence, no server paths, no memory addresses, no ffmpeg banner. */
export function failureReason(err: unknown): string {
  if (err instanceof TranscodeTimeout) return err.message;
  if (err instanceof FfmpegError) return `The media could not be transcoded: ${err.reason}`.slice(0, 500);
  if (err instanceof MediaRejected) return err.message.slice(0, 500);
  const msg = (err instanceof Error ? err.message : String(err))
    .split('\n')[0]
    .replace(/\/[^\s'"]*\/(originals|work|streaming)\/[^\s'"]*/g, 'the file')
    .replace(/(^|\s)(\/[^\s:'"]+)+/g, '$1')
    .replace(/ @ 0x[0-9a-f]+\]/g, ']')
    .trim();
  return `The media could not be transcoded: ${msg || 'unknown error'}`.slice(0, 500);
}
