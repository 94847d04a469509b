// Listening: play sessions, the segment-serve log, qualified listens, anomaly holds,
// remote listens, artist statistics, pseudonyms and daily reports to the ledger.
import { z } from 'zod';
import { serviceSlot, type Capability, type NodeContext } from '../context.js';
import { ListeningService } from './service.js';
import { listeningRoutes } from './routes.js';
import { listeningOpenApi } from './openapi.js';
import { reportDue, reportDueDays } from './daily-report.js';
import { finishErasures, registerListeningAccountData } from './account-data.js';

export { ListeningService, type Listen, type QualifiedSecondsRow, type RemoteListen, type SegmentServed, type ProgressResult, type HeldListenEvidence, type SubmittedListen, type SubmitOutcome, type ListenSource } from './service.js';
export type { ListeningApi, RemoteTracksPort, RemoteTrackForListening, RangeServed } from './contract.js';
export { listeningConfigSchema, type ListeningConfig } from './config.js';
export { storedReports, type DailyReport } from './daily-report.js';

const slot = serviceSlot<ListeningService>('listening');


/** The node's listening service (listening's routes, jobs and tests; other capabilities use `ctx.services.listening`). */
export const listeningService = slot.get;

const dailyReportPayload = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() });

const ticks = new WeakMap<NodeContext, NodeJS.Timeout[]>();

/** Queues the daily report when a finished day has not been reported yet. */
async function dailyReportTick(ctx: NodeContext): Promise<void> {
  const yesterday = await reportDue(ctx);
  if (!yesterday) return;
  // At most one queued run per day and hour; the job itself is idempotent.
  const hour = Math.floor(Date.now() / 3_600_000);
  await ctx.jobs.enqueue('listening.daily-report', {}, { jobId: `listening-daily-report-${yesterday}-${hour}` });
}

export const listeningCapability: Capability = {
  name: 'listening',
  init(ctx) {
    const svc = new ListeningService(ctx);
    slot.publish(ctx, svc);
    registerListeningAccountData(ctx, svc);
    ctx.services.media.onSegmentServed(svc.recordSegmentServed);
    ctx.jobs.handle('listening.daily-report', async (payload) => {
      const { day } = dailyReportPayload.parse(payload ?? {});
      const reported = await reportDueDays(ctx, svc.pseudonyms, day);
      // A deleted account's plays of the days just reported lose their address now (docs/accounts.md).
      return { reported, pruned: await svc.segmentLog.prune(ctx.config.listening.segmentLog.retentionDays), erased: await finishErasures(ctx) };
    });
    ctx.jobs.handle('listening.flush', async () => svc.segmentLog.flush());
  },
  routes: (ctx) => listeningRoutes(ctx, listeningService(ctx)),
  openapi: listeningOpenApi,
  start(ctx) {
    const settings = ctx.config.listening.dailyReport;
    if (ctx.config.role === 'web' || !settings.enabled) return;
    const log = ctx.logger.child({ component: 'listening' });
    const tick = () => void dailyReportTick(ctx).catch((err) => log.warn({ err }, 'daily report tick failed'));
    ticks.set(ctx, [setInterval(tick, settings.tickSeconds * 1000).unref(), setTimeout(tick, 2000).unref()]);
  },
  async stop(ctx) {
    for (const timer of ticks.get(ctx) ?? []) clearTimeout(timer);
    ticks.delete(ctx);
    await listeningService(ctx).segmentLog.stop();
  },
};
