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
import type { Sequelize, Transaction } from 'sequelize';
import { execute, select, selectOne } from '../db/index.js';
import { pendingJobStates } from '../jobs/index.js';
import type { NodeContext } from '../context.js';
import type { Logger } from '../logger.js';

/** What admins see of the fair-share line (the queue's own counts and failures: Jobs.overview). */
export interface TranscodeLineOverview {
  processing: number;
  waitingInLine: number;
  users: { userId: string; queued: number; waiting: number }[];
}

/** One owner's processing tracks: `queued` (with a BullMQ job) and `waiting` in the node's line. */
export async function transcodeLine(db: Sequelize, ownerId: string, t?: Transaction): Promise<{ queued: number; waiting: number }> {
  const row = await selectOne<{ queued: string; waiting: string }>(
    db,
    `SELECT count(*) FILTER (WHERE t.transcode_job_id IS NOT NULL) AS queued, count(*) FILTER (WHERE t.transcode_job_id IS NULL) AS waiting
     FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id WHERE c.owner_id = :ownerId AND t.status = 'processing'`,
    { ownerId },
    t,
  );
  return { queued: Number(row?.queued ?? 0), waiting: Number(row?.waiting ?? 0) };
}

const willRun = new Set<string>(pendingJobStates);

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
    return willRun.has(await this.queue.getJobState(jobId));
  }

  /** Takes a job that has not started off the queue (a deleted track's), so it never runs. */
  async removeWaiting(jobId: string | null): Promise<void> {
    if (!jobId) return;
    const state = await this.queue.getJobState(jobId);
    if (state !== 'active' && willRun.has(state)) await this.queue.remove(jobId).catch(() => {});
  }

  /**
   * Moves the owner's waiting tracks into the queue while they have fewer than their share
   * there, even when nobody else waits. Call after a track of theirs enters `processing`
   * (after commit) or leaves it. Resolves once the jobs are in Redis.
   */
  async dispatch(ownerId: string): Promise<number> {
    const limit = this.ctx.config.media.maxQueuedTranscodesPerUser;
    const issued = await this.ctx.db.transaction(async (t) => {
      // One dispatcher per owner at a time (web and worker processes may both call it).
      await execute(this.ctx.db, `SELECT pg_advisory_xact_lock(hashtext('media.transcode:' || :ownerId))`, { ownerId }, t);
      const room = limit - (await transcodeLine(this.ctx.db, ownerId, t)).queued;
      if (room <= 0) return [];
      const next = await select<{ id: string }>(
        this.ctx.db,
        `SELECT t.id FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
         WHERE c.owner_id = :ownerId AND t.status = 'processing' AND t.transcode_job_id IS NULL
         ORDER BY t.created_at, t.id LIMIT :room`,
        { ownerId, room },
        t,
      );
      const jobs: Issued[] = [];
      for (const r of next) {
        const job = await this.issue(r.id, null, t);
        if (job) jobs.push(job);
      }
      return jobs;
    });
    await this.enqueue(issued);
    return issued.length;
  }

  /** Gives the track a new job id, only if it still has `expected` (queue it after commit). */
  private async issue(trackId: string, expected: string | null, t: Transaction): Promise<Issued | undefined> {
    const jobId = TranscodeQueue.newJobId(trackId);
    const row = await selectOne(
      this.ctx.db,
      `UPDATE media_tracks SET transcode_job_id = :jobId, transcode_queued_at = now()
       WHERE id = :trackId AND status = 'processing' AND transcode_job_id IS NOT DISTINCT FROM :expected RETURNING id`,
      { trackId, jobId, expected },
      t,
    );
    return row ? { trackId, jobId } : undefined;
  }

  /** Adds committed jobs to Redis; one that fails to be added is queued again by the sweep. */
  private async enqueue(issued: Issued[]): Promise<void> {
    await Promise.all(
      issued.map(({ trackId, jobId }) =>
        this.ctx.jobs.enqueue('media.transcode', { trackId }, { attempts: 1, jobId }).catch((err) => this.log.error({ err, trackId, jobId }, 'could not queue the transcode job; the sweep will')),
      ),
    );
  }

  /**
   * Queues again every processing track whose job is no longer live, when it was queued more
   * than `graceSeconds` ago (a job is added to Redis just after its track's commit), then
   * moves on the line of every user below their share.
   */
  async sweep(graceSeconds = 10): Promise<{ requeued: number; dispatched: number }> {
    const stale = await select<{ id: string; transcode_job_id: string }>(
      this.ctx.db,
      `SELECT id, transcode_job_id FROM media_tracks
       WHERE status = 'processing' AND transcode_job_id IS NOT NULL AND transcode_queued_at < now() - make_interval(secs => :grace)
       ORDER BY transcode_queued_at LIMIT 1000`,
      { grace: graceSeconds },
    );
    let requeued = 0;
    for (const r of stale) {
      if (await this.isLive(r.transcode_job_id)) continue;
      const issued = await this.ctx.db.transaction((t) => this.issue(r.id, r.transcode_job_id, t));
      if (!issued) continue;
      await this.enqueue([issued]);
      requeued++;
      this.log.warn({ trackId: r.id, lostJobId: r.transcode_job_id }, 'processing track had no live transcode job; queued it again');
    }
    const owners = await select<{ owner_id: string }>(
      this.ctx.db,
      `SELECT c.owner_id FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id WHERE t.status = 'processing'
       GROUP BY c.owner_id
       HAVING count(*) FILTER (WHERE t.transcode_job_id IS NULL) > 0 AND count(*) FILTER (WHERE t.transcode_job_id IS NOT NULL) < :limit`,
      { limit: this.ctx.config.media.maxQueuedTranscodesPerUser },
    );
    let dispatched = 0;
    for (const o of owners) dispatched += await this.dispatch(o.owner_id);
    return { requeued, dispatched };
  }

  /** The fair-share line: totals and the 50 users with most processing tracks. */
  async overview(): Promise<TranscodeLineOverview> {
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
    return {
      processing: Number(totals?.processing ?? 0),
      waitingInLine: Number(totals?.waiting ?? 0),
      users: users.map((u) => ({ userId: u.user_id, queued: Number(u.queued), waiting: Number(u.waiting) })),
    };
  }
}

interface Issued {
  trackId: string;
  jobId: string;
}
