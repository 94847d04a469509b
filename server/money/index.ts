// Money: the node's double-entry books, payment providers (admin credit, gift links,
// signed webhooks), subscriptions, month close, payouts and withdrawals.
import { serviceSlot, type Capability, type NodeContext } from '../context.js';
import { MoneyService } from './service.js';
import { SWEEP_SECONDS } from './streams.js';
import { moneyRoutes } from './routes.js';
import { moneyOpenApi } from './openapi.js';
import { campaignsOpenApi } from './campaigns-openapi.js';
import { monthOf, previousMonth } from '../../shared/month.js';
import { registerMoneyAccountData } from './account-data.js';

export { MoneyService, type AllocationView } from './service.js';
export type { MoneyApi, Hold, HoldFilter } from './contract.js';
export { accounts, Books, type AccountRef, type PostedTransaction, type Health } from './books.js';
export type { PaymentProvider, TopUpArgs } from './providers.js';
export type { Subscription, SubscriptionStatus, SubscriptionChange } from './subscriptions.js';
export type { QualifiedSecondsRow, QualifiedSecondsSource } from './seconds-source.js';
export type { MonthCloseState, CloseHooks } from './month-close.js';
export { signWebhook, signatureHeader, timestampHeader } from './webhook.js';

const slot = serviceSlot<MoneyService>('money');

/** The money service itself, for money's routes, jobs and tests (others use `ctx.services.money`). */
export const moneyService = slot.get;

/** How often the worker looks for due renewals, closes and payouts. */
const tickMs = 5 * 60_000;
const ticks = new WeakMap<NodeContext, NodeJS.Timeout>();
const streamTicks = new WeakMap<NodeContext, NodeJS.Timeout>();
const streamsTickMs = SWEEP_SECONDS * 1000;

export const moneyCapability: Capability = {
  name: 'money',
  async init(ctx) {
    const money = new MoneyService(ctx);
    await money.metered.loadKeys();
    slot.publish(ctx, money);
    registerMoneyAccountData(ctx, money);
    const tz = ctx.config.money.timeZone;
    ctx.jobs.handle('money.renew-subscriptions', (p) => money.subscriptions.renewDue(p.at ? new Date(p.at) : new Date()));
    ctx.jobs.handle('money.month-close', (p, job) => {
      const month = p.month === 'previous' ? previousMonth(monthOf(new Date(), tz)) : p.month;
      return money.closeMonth(month, { progress: (done, total) => job.updateProgress({ done, total }) });
    });
    ctx.jobs.handle('money.payout', (p) => money.payMonth(p.month));
  },
  routes: (ctx) => moneyRoutes(ctx, moneyService(ctx)),
  openapi: {
    ...moneyOpenApi,
    schemas: { ...moneyOpenApi.schemas, ...campaignsOpenApi.schemas },
    paths: { ...moneyOpenApi.paths, ...campaignsOpenApi.paths },
  },
  start(ctx) {
    if (ctx.config.role === 'web') return;
    const log = ctx.logger.child({ component: 'money' });
    // A tick rather than repeatable BullMQ jobs: nothing sits delayed in the queues, and
    // job ids (per hour, per month) keep several workers from doing the same work twice.
    const timer = setInterval(() => {
      moneyService(ctx).tick().catch((err) => log.warn({ err }, 'money tick failed'));
    }, tickMs);
    timer.unref();
    ticks.set(ctx, timer);
    // Rate streams are topped up (or stopped) well before their escrow runs out: every 30 s,
    // against TOP_UP_AHEAD_SECONDS of runway. Row locks keep several workers from doubling a top-up.
    const streamsTimer = setInterval(() => {
      moneyService(ctx).streams.tick().catch((err) => log.warn({ err }, 'payment streams tick failed'));
      // Campaigns past their deadline are settled (or refunded) within a sweep of it.
      moneyService(ctx).campaigns.sweep().catch((err) => log.warn({ err }, 'campaigns sweep failed'));
    }, streamsTickMs);
    streamsTimer.unref();
    streamTicks.set(ctx, streamsTimer);
  },
  stop(ctx) {
    const timer = ticks.get(ctx);
    if (timer) clearInterval(timer);
    ticks.delete(ctx);
    const streamsTimer = streamTicks.get(ctx);
    if (streamsTimer) clearInterval(streamsTimer);
    streamTicks.delete(ctx);
  },
};
