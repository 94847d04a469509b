// disputes: the three-node review ("three eyes") of held listening and contested payouts.
// Opened here, assigned and decided on the ledger (DisputeContract), reviewers notified
// with a Flag, outcomes applied to the books. See docs/disputes.md.
import type { Capability, NodeContext } from '../context.js';
import { DisputesService } from './service.js';
import { disputesRoutes } from './routes.js';
import { disputesOpenApi } from './openapi.js';
import { disputesConfig } from './config.js';

export { DisputesService, type DisputeDetail, type DisputeSummary, type LedgerDispute, type OpenInput, type Decision } from './service.js';
export { disputesConfigSchema, disputesConfig, type DisputesConfig } from './config.js';
export { isDisputeFlag } from './process-flag.js';
export { evidenceHash } from './evidence.js';

export const disputesService = (ctx: NodeContext) => ctx.services.disputes as DisputesService;

const timers = new WeakMap<NodeContext, NodeJS.Timeout>();

export const disputesCapability: Capability = {
  name: 'disputes',
  init(ctx) {
    disputesConfig(ctx); // fail at start on an invalid `disputes` section
    const svc = new DisputesService(ctx);
    ctx.services.disputes = svc;
    ctx.jobs.setConcurrency('disputes', 1);
    ctx.jobs.handle('disputes.tick', (p) => svc.tick(p.disputeId));
  },
  routes: (ctx) => disputesRoutes(ctx, () => disputesService(ctx)),
  openapi: disputesOpenApi,
  start(ctx) {
    if (ctx.config.role === 'web') return;
    const ms = disputesConfig(ctx).tickSeconds * 1000;
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
