// Listening: play sessions, the segment-serve log, qualified listens, anomaly holds,
// remote listens, artist statistics, pseudonyms and daily reports to the ledger.
import { z } from 'zod';
import type { Capability, NodeContext } from '../context.js';
import { selectOne } from '../db/index.js';
import { ListeningService } from './service.js';
import { listeningRoutes } from './routes.js';
import { listeningOpenApi } from './openapi.js';
import { reportDueDays } from './daily-report.js';
import { listeningConfig } from './config.js';
import { mediaPort } from './media-port.js';

export { ListeningService, type Listen, type QualifiedSecondsRow, type RemoteListen, type SegmentServed, type ProgressResult, type HeldListenEvidence } from './service.js';
export { listeningConfigSchema, type ListeningConfig } from './config.js';
export { reportRows, artistTotalsOf, storedReports, type DailyReport } from './daily-report.js';

export const listeningService = (ctx: NodeContext) => ctx.services.listening as ListeningService;

const dailyReportPayload = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() });

const ticks = new WeakMap<NodeContext, NodeJS.Timeout[]>();

/** Drops segment serves past the retention period (the daily job does it once a day or so). */
async function pruneSegmentLog(ctx: NodeContext): Promise<number> {
  const days = listeningConfig(ctx).segmentLog.retentionDays;
  if (!days) return 0;
  const [, result] = await ctx.db.query('DELETE FROM segment_serves WHERE served_at < now() - make_interval(days => :days)', { replacements: { days } });
  return Number((result as { rowCount?: number } | undefined)?.rowCount ?? 0);
}

/** Queues the daily report when a finished day has not been reported yet. */
async function dailyReportTick(ctx: NodeContext): Promise<void> {
  const due = await selectOne<{ due: boolean; yesterday: string }>(
    ctx.db,
    `SELECT coalesce((SELECT max(day) + 1 FROM daily_reports), (SELECT min(day) FROM listens)) <= timezone(:tz, now())::date - 1 AS due,
            (timezone(:tz, now())::date - 1)::text AS yesterday`,
    { tz: ctx.config.money.timeZone },
  );
  if (!due?.due) return;
  // At most one queued run per day and hour; the job itself is idempotent.
  const hour = Math.floor(Date.now() / 3_600_000);
  await ctx.jobs.enqueue('listening.daily-report', {}, { jobId: `listening-daily-report-${due.yesterday}-${hour}` });
}

export const listeningCapability: Capability = {
  name: 'listening',
  init(ctx) {
    const svc = new ListeningService(ctx);
    ctx.services.listening = svc;
    listeningConfig(ctx); // fail at start on an invalid `listening` section
    const media = mediaPort(ctx);
    if (media?.onSegmentServed) media.onSegmentServed(svc.recordSegmentServed);
    else ctx.logger.child({ component: 'listening' }).warn('media publishes no onSegmentServed: segment serves are not logged');
    ctx.jobs.handle('listening.daily-report', async (payload) => {
      const { day } = dailyReportPayload.parse(payload ?? {});
      const reported = await reportDueDays(ctx, svc.pseudonyms, day);
      return { reported, pruned: await pruneSegmentLog(ctx) };
    });
    ctx.jobs.handle('listening.flush', async () => svc.segmentLog.flush());
  },
  routes: (ctx) => listeningRoutes(ctx, listeningService(ctx)),
  openapi: listeningOpenApi,
  start(ctx) {
    const settings = listeningConfig(ctx).dailyReport;
    if (ctx.config.role === 'web' || !settings.enabled) return;
    const log = ctx.logger.child({ component: 'listening' });
    const tick = () => void dailyReportTick(ctx).catch((err) => log.warn({ err }, 'daily report tick failed'));
    ticks.set(ctx, [setInterval(tick, settings.tickSeconds * 1000).unref(), setTimeout(tick, 2000).unref()]);
  },
  async stop(ctx) {
    for (const timer of ticks.get(ctx) ?? []) clearTimeout(timer);
    ticks.delete(ctx);
    await listeningService(ctx)?.segmentLog.stop();
  },
};
