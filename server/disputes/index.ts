// disputes: the three-node review ("three eyes") of held listening and contested payouts.
// Opened here, assigned and decided on the ledger (DisputeContract), reviewers notified
// with a Flag, outcomes applied to the books. See docs/disputes.md.
import { serviceSlot, type Capability, type NodeContext } from '../context.js';
import { DisputesService } from './service.js';
import { disputesRoutes } from './routes.js';
import { disputesOpenApi } from './openapi.js';

export { DisputesService } from './service.js';
export type { DisputeDetail, DisputeSummary, LedgerDispute, OpenInput, Decision } from './types.js';
export type { DisputesApi } from './contract.js';
export { evidenceHash } from './evidence.js';

const slot = serviceSlot<DisputesService>('disputes');

/** The disputes service itself, for disputes' routes, job and tests (others use `ctx.services.disputes`). */
export const disputesService = slot.get;

const timers = new WeakMap<NodeContext, NodeJS.Timeout>();

export const disputesCapability: Capability = {
  name: 'disputes',
  init(ctx) {
    const svc = new DisputesService(ctx);
    slot.publish(ctx, svc);
    ctx.jobs.setConcurrency('disputes', 1);
    ctx.jobs.handle('disputes.tick', (p) => svc.tick(p.disputeId));
  },
  routes: (ctx) => disputesRoutes(disputesService(ctx)),
  openapi: disputesOpenApi,
  start(ctx) {
    if (ctx.config.role === 'web') return;
    const ms = ctx.config.disputes.tickSeconds * 1000;
    const log = ctx.logger.child({ component: 'disputes' });
    const sweep = () => {
      // One sweep per period even with several workers: the job id is the period.
      const period = Math.floor(Date.now() / ms);
      ctx.jobs.enqueue('disputes.tick', {}, { jobId: `disputes-tick-${period}`, attempts: 1 }).catch((err) => log.warn({ err }, 'disputes tick not queued'));
    };
    timers.set(ctx, setInterval(sweep, ms).unref());
  },
  stop(ctx) {
    clearInterval(timers.get(ctx));
    timers.delete(ctx);
  },
};
