// The `media.progressive-backfill` job: the progressive file (progressive.ts) for ready tracks
// transcoded before it existed, remuxed from their published rendition (no encode). A job runs
// for about `batchMs` and then queues the next from where it stopped, behind the transcodes
// waiting in the same queue, so uploads are never held up for long; progress is logged per batch.
import type { NodeContext } from '../context.js';
import { select, selectOne } from '../db/index.js';
import type { JobPayloads } from '../jobs/kinds.js';
import type { MediaService } from './service.js';
import type { TrackRow } from './model.js';
import { makeProgressive, progressiveRenditionOf, publishedSegments } from './progressive.js';
import { runFfmpeg } from './transcode.js';

type Payload = JobPayloads['media.progressive-backfill'];

/** Ready audio tracks without the progressive file. */
const missing = `status = 'ready' AND progressive_audio IS NULL AND kind = 'audio'`;

/** The longest a remux of one track may take before it is stopped. */
const remuxTimeoutMs = 300_000;

export class ProgressiveBackfill {
  private readonly log;
  private stopping = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly media: MediaService,
    private readonly batchMs = 10_000,
  ) {
    this.log = ctx.logger.child({ component: 'media', job: 'media.progressive-backfill' });
  }

  /** Worker start: queues the backfill when tracks lack the file and no backfill job is queued already. */
  async queueIfNeeded(): Promise<boolean> {
    const row = await selectOne<{ n: string }>(this.ctx.db, `SELECT count(*) AS n FROM media_tracks WHERE ${missing}`);
    if (!Number(row?.n)) return false;
    const queued = await this.ctx.jobs.queue('media').getJobs(['waiting', 'active', 'delayed', 'prioritized']);
    if (queued.some((j) => j?.name === 'media.progressive-backfill')) return false;
    await this.ctx.jobs.enqueue('media.progressive-backfill', {}, { jobId: `media-progressive-backfill-${Date.now()}` });
    return true;
  }

  /** Shutdown: the running batch stops after its current track; the next start queues the rest. */
  stop(): void {
    this.stopping = true;
  }

  /** One batch, in track id order from `after`; queues the next batch when tracks are left. */
  async run(p: Payload): Promise<{ made: number; failed: number; total: number; done: boolean }> {
    const started = Date.now();
    let { after, made = 0, failed = 0 } = p;
    const total = p.total ?? Number((await selectOne<{ n: string }>(this.ctx.db, `SELECT count(*) AS n FROM media_tracks WHERE ${missing}`))?.n ?? 0);
    if (p.total === undefined) this.log.info({ total }, `progressive backfill: ${total} tracks to do`);
    const progress = () => ({ made, failed, total });
    for (;;) {
      const rows = await select<Pick<TrackRow, 'id' | 'renditions'>>(
        this.ctx.db,
        `SELECT id, renditions FROM media_tracks WHERE ${missing} ${after ? 'AND id > CAST(:after AS uuid)' : ''} ORDER BY id LIMIT 20`,
        { after: after ?? null },
      );
      if (!rows.length) {
        this.log.info(progress(), `progressive backfill: done (${made} made, ${failed} failed)`);
        return { ...progress(), done: true };
      }
      for (const row of rows) {
        if (this.stopping) return { ...progress(), done: false };
        after = row.id;
        try {
          if (await this.makeFor(row)) made++;
        } catch (err) {
          failed++;
          this.log.warn({ err, trackId: row.id }, 'progressive backfill: a track failed (it is tried again at the next start)');
        }
        if (Date.now() - started >= this.batchMs) {
          this.log.info(progress(), `progressive backfill: ${made + failed} of ${total} tracks (${made} made, ${failed} failed)`);
          await this.ctx.jobs.enqueue('media.progressive-backfill', { after, made, failed, total }, { jobId: `media-progressive-backfill-${after}` });
          return { ...progress(), done: false };
        }
      }
    }
  }

  /**
   * Makes the file of one ready track beside its renditions and records it, unless the track
   * changed meanwhile (a retranscode writes its own file; its folder replaces this one).
   */
  async makeFor(row: Pick<TrackRow, 'id' | 'renditions'>): Promise<boolean> {
    const rendition = progressiveRenditionOf(row.renditions, this.ctx.config.media.progressiveBitrateKbps);
    if (!rendition) return false;
    const dir = this.media.storage.streamingDir(row.id);
    const made = await makeProgressive(dir, await publishedSegments(dir, rendition), (args) => {
      const run = runFfmpeg(args);
      const timer = setTimeout(() => run.handle.kill(), remuxTimeoutMs);
      return run.done.finally(() => clearTimeout(timer));
    });
    const recorded = await selectOne(
      this.ctx.db,
      `UPDATE media_tracks SET progressive_audio = CAST(:made AS jsonb) WHERE id = :id AND ${missing} RETURNING id`,
      { id: row.id, made: JSON.stringify(made) },
    );
    this.media.streaming.forget(row.id);
    return !!recorded;
  }
}
