// The node's side of the transcode queue: a fair share per user and a sweep for lost jobs.
//
// Fair share: open-source BullMQ has no per-group limits, so the node keeps its own line. A
// processing track is either *queued* (it has a BullMQ job: `transcode_job_id` set) or
// *waiting* in the node's line (`transcode_job_id` NULL). A user (the channel owner) has at
// most media.maxQueuedTranscodesPerUser tracks queued; when one of them ends, the user's next
// waiting track joins the tail of the queue, behind other users' tracks. So one user's
// hundred uploads take turns with everyone else's instead of blocking them.
//
// Sweep: a processing track whose job is no longer live (lost from Redis, or completed or
// failed by something that did not finish the track) gets a new job. Every job id is
// `transcode-<trackId>-<n>`, recorded on the track; the handler runs only the job the track
// names, so a re-issued job and a late original never transcode one track twice.
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'sequelize';
import { execute, select, selectOne } from '../db/index.js';
import type { NodeContext } from '../context.js';
import type { Logger } from '../logger.js';

/** BullMQ states in which a job will still run (or is running). */
const liveStates = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused']);
/** States in which a job can still be taken off the queue without touching a running worker. */
const removableStates = new Set(['waiting', 'delayed', 'prioritized', 'paused']);

export interface TranscodeQueueOverview {
  counts: Record<string, number>;
  processing: number;
  waitingInLine: number;
  users: { userId: string; queued: number; waiting: number }[];
  /** The latest failed transcode jobs, with BullMQ's reason (e.g. "no track … in this node's database"). */
  recentFailures: { jobId: string; trackId: string | null; reason: string; failedAt: string | null }[];
}

export class TranscodeQueue {
  private readonly log: Logger;

  constructor(private readonly ctx: NodeContext) {
    this.log = ctx.logger.child({ component: 'media' });
  }

  private get queue() {
    return this.ctx.jobs.queue('media');
  }

  private static newJobId(trackId: string): string {
    // BullMQ refuses custom ids that contain ':' or are integers.
    return `transcode-${trackId}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  }

  /** Whether the job exists and will still run (or is running). */
  async isLive(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job) return false;
    return liveStates.has(await job.getState());
  }

  /** Takes a job that has not started off the queue (a deleted track's), so it never runs. */
  async removeWaiting(jobId: string | null): Promise<void> {
    if (!jobId) return;
    const job = await this.queue.getJob(jobId);
    if (job && removableStates.has(await job.getState())) await job.remove().catch(() => {});
  }

  /**
   * Moves the owner's waiting tracks into the queue while they have fewer than their share
   * there. Call after a track of theirs enters `processing` (after commit) or leaves it.
   */
  async dispatch(ownerId: string): Promise<number> {
    const limit = this.ctx.config.media.maxQueuedTranscodesPerUser;
    return this.ctx.db.transaction(async (t) => {
      // One dispatcher per owner at a time (web and worker processes may both call it).
      await execute(this.ctx.db, `SELECT pg_advisory_xact_lock(hashtext('media.transcode:' || :ownerId))`, { ownerId }, t);
      const queued = await selectOne<{ n: string }>(
        this.ctx.db,
        `SELECT count(*) AS n FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
         WHERE c.owner_id = :ownerId AND t.status = 'processing' AND t.transcode_job_id IS NOT NULL`,
        { ownerId },
        t,
      );
      const room = limit - Number(queued?.n ?? 0);
      if (room <= 0) return 0;
      const next = await select<{ id: string }>(
        this.ctx.db,
        `SELECT t.id FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
         WHERE c.owner_id = :ownerId AND t.status = 'processing' AND t.transcode_job_id IS NULL
         ORDER BY t.created_at, t.id LIMIT :room`,
        { ownerId, room },
        t,
      );
      for (const r of next) await this.issue(r.id, null, t);
      return next.length;
    });
  }

  /** Gives the track a new job id (only if it still has `expected`) and queues that job after commit. */
  private async issue(trackId: string, expected: string | null, t: Transaction): Promise<boolean> {
    const jobId = TranscodeQueue.newJobId(trackId);
    const row = await selectOne(
      this.ctx.db,
      `UPDATE media_tracks SET transcode_job_id = :jobId, transcode_queued_at = now()
       WHERE id = :trackId AND status = 'processing' AND transcode_job_id IS NOT DISTINCT FROM :expected RETURNING id`,
      { trackId, jobId, expected },
      t,
    );
    if (!row) return false;
    this.ctx.jobs.enqueueAfterCommit(t, 'media.transcode', { trackId }, { attempts: 1, jobId });
    return true;
  }

  /**
   * Queues again every processing track whose job is no longer live, when it was queued more
   * than `graceSeconds` ago (a job is added to Redis just after its track's commit), then
   * moves every user's line on.
   */
  async sweep(graceSeconds = 10): Promise<{ requeued: number; dispatched: number }> {
    const stale = await select<{ id: string; transcode_job_id: string; owner_id: string }>(
      this.ctx.db,
      `SELECT t.id, t.transcode_job_id, c.owner_id FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
       WHERE t.status = 'processing' AND t.transcode_job_id IS NOT NULL AND t.transcode_queued_at < now() - make_interval(secs => :grace)
       ORDER BY t.transcode_queued_at LIMIT 1000`,
      { grace: graceSeconds },
    );
    let requeued = 0;
    for (const r of stale) {
      if (await this.isLive(r.transcode_job_id)) continue;
      const issued = await this.ctx.db.transaction((t) => this.issue(r.id, r.transcode_job_id, t));
      if (issued) {
        requeued++;
        this.log.warn({ trackId: r.id, lostJobId: r.transcode_job_id }, 'processing track had no live transcode job; queued it again');
      }
    }
    const owners = await select<{ owner_id: string }>(
      this.ctx.db,
      `SELECT DISTINCT c.owner_id FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
       WHERE t.status = 'processing' AND t.transcode_job_id IS NULL`,
    );
    let dispatched = 0;
    for (const o of owners) dispatched += await this.dispatch(o.owner_id);
    return { requeued, dispatched };
  }

  /** What admins see of the transcode queue: counts, the line per user, recent failures. */
  async overview(): Promise<TranscodeQueueOverview> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed');
    const users = await select<{ user_id: string; queued: string; waiting: string }>(
      this.ctx.db,
      `SELECT c.owner_id AS user_id, count(*) FILTER (WHERE t.transcode_job_id IS NOT NULL) AS queued, count(*) FILTER (WHERE t.transcode_job_id IS NULL) AS waiting
       FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id WHERE t.status = 'processing'
       GROUP BY c.owner_id ORDER BY count(*) DESC, c.owner_id LIMIT 50`,
    );
    const totals = await selectOne<{ processing: string; waiting: string }>(
      this.ctx.db,
      `SELECT count(*) AS processing, count(*) FILTER (WHERE transcode_job_id IS NULL) AS waiting FROM media_tracks WHERE status = 'processing'`,
    );
    const failed = await this.queue.getJobs(['failed'], 0, 49, false);
    return {
      counts,
      processing: Number(totals?.processing ?? 0),
      waitingInLine: Number(totals?.waiting ?? 0),
      users: users.map((u) => ({ userId: u.user_id, queued: Number(u.queued), waiting: Number(u.waiting) })),
      recentFailures: failed
        .filter((j) => !!j)
        .map((j) => ({
          jobId: String(j.id),
          trackId: typeof j.data?.trackId === 'string' ? j.data.trackId : null,
          reason: j.failedReason ?? '',
          failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
        })),
    };
  }
}
