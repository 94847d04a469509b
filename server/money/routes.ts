// Money's HTTP surface: thin handlers that validate, call the service and shape the reply.
import express, { Router, type Request } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { badRequest, notFound, route, AppError, RetryLaterError } from '../http/errors.js';
import { WindowLimit } from '../http/window-limit.js';
import { clientNetwork, DEFAULT_IPV6_PREFIX_LENGTH } from '../http/client-address.js';
import { isPublic, requireRole, requireUser } from '../accounts/middleware.js';
import { amountSchema } from './amounts.js';
import { assertMonth } from '../http/month.js';
import { monthOf } from '../../shared/month.js';
import { userActorUri } from '../../shared/actor-uris.js';
import { campaignRoutes } from './campaign-routes.js';
import { idempotencyKey } from './idempotency-key.js';
import type { MoneyService } from './service.js';
import { notSubscribed } from './subscriptions.js';

const page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const currency = z.string().min(1).max(10).optional();
const creditBody = z.object({
  amount: amountSchema, currency, reference: z.string().max(200).optional(),
  fee: z.number().int().nonnegative().optional(), rate: z.string().regex(/^\d+(\.\d+)?$/).max(40).optional(),
}).strict();
const giftBody = z.object({ amount: amountSchema, currency, message: z.string().max(500).optional(), fundFrom: z.enum(['wallet', 'node']).optional() }).strict();
const topUpBody = z.object({ amount: amountSchema, currency }).strict();
const withdrawalBody = z.object({ amount: amountSchema, currency, destination: z.string().max(500).optional() }).strict();
const settleBody = z.object({ reference: z.string().min(1).max(200) }).strict();
/** A time as ISO 8601 (with its zone) or epoch seconds; whole seconds on the books. */
const instant = z.union([
  z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with its offset, e.g. 2027-01-01T00:00:00Z' }).transform((v) => Math.floor(Date.parse(v) / 1000)),
  z.number().int().positive(),
]);
const seconds = z.number().int().min(0).max(10 * 365 * 86_400);
const linearStreamBody = z.object({
  recipient: z.string().min(1).max(200), amount: amountSchema, currency,
  startAt: instant.optional(), endAt: instant.optional(), durationSeconds: seconds.min(1).optional(),
  cliffAt: instant.optional(), cliffSeconds: seconds.optional(), cancelable: z.boolean().optional(),
}).strict();
const rateStreamBody = z.object({
  recipient: z.string().min(1).max(200), currency, startAt: instant.optional(),
  rate: z.object({ amount: amountSchema, periodSeconds: z.number().int().min(1).max(31 * 86_400) }).strict(),
  chunk: amountSchema.optional(),
}).strict();
const withdrawBody = z.object({ amount: amountSchema.optional() }).strict();
const tipBody = z.object({
  track: z.string().min(1).max(2000).optional(), channel: z.string().min(1).max(2000).optional(),
  amount: amountSchema, currency, message: z.string().max(2000).optional(),
}).strict();
const offerBody = z.object({
  track: z.string().uuid(), rendition: z.string().min(1).max(50),
  fromSegment: z.number().int().min(0).max(10_000_000).optional(), minutes: z.number().int().min(1).max(60).optional(),
}).strict();
const payBody = z.object({ invoice: z.string().min(1).max(4096) }).strict();
const dayParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'must be a calendar date');
const tipRange = z.object({ from: dayParam.optional(), to: dayParam.optional() });
const streamRole = z.object({ role: z.enum(['sent', 'received', 'all']).default('all') });

/** The optional `Idempotency-Key` header: the same key twice makes one movement. */

export function moneyRoutes(ctx: NodeContext, money: MoneyService): Router {
  const r = Router();
  const tz = ctx.config.money.timeZone;

  r.get('/api/v1/admin/money/health', requireRole('admin'), route(async (_req, res) => {
    res.json(await money.health());
  }));

  r.get('/api/v1/me/wallet', requireUser, route(async (req, res) => {
    const q = page.parse(req.query);
    res.json(await money.wallet(req.user!.id, q.limit, q.offset));
  }));

  r.post('/api/v1/admin/wallets/:userId/credit', requireRole('admin'), route(async (req, res) => {
    const body = creditBody.parse(req.body ?? {});
    const target = await ctx.services.accounts.byId(req.params.userId);
    if (!target) throw notFound('User');
    const key = idempotencyKey(req);
    const tx = await money.adminCredit.topUp({
      userId: target.id, amount: body.amount, currency: body.currency, fee: body.fee, rate: body.rate, reference: body.reference,
      idempotencyKey: `admin-credit:${key ?? randomUUID()}`, memo: { by: req.user!.id },
    });
    res.status(tx.replayed ? 200 : 201).json({ transaction: tx, balance: await money.books.balance(`wallet:${target.id}`) });
  }));

  r.post('/api/v1/me/top-ups', requireUser, route(async (req, res) => {
    const body = topUpBody.parse(req.body ?? {});
    res.status(201).json(await money.webhook.createIntent(req.user!.id, body.amount, body.currency));
  }));

  // The processor's notification. The signature covers the exact bytes, so this route
  // reads its own raw body: send it as application/octet-stream, text/plain or
  // application/webhook+json (the app's JSON parser only takes application/json).
  r.post('/api/v1/payments/webhook', isPublic, express.raw({ type: '*/*', limit: '64kb' }), route(async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : (req as Request & { rawBody?: Buffer }).rawBody;
    if (!raw) throw new AppError(415, 'raw_body_required', 'Send the webhook as application/octet-stream, text/plain or application/webhook+json: the signature is checked over the raw body');
    res.json(await money.webhook.handle(raw, req.headers));
  }));

  r.post('/api/v1/tips', requireUser, route(async (req, res) => {
    const body = tipBody.parse(req.body ?? {});
    const tipperUri = userActorUri(ctx.config.publicUrl, req.user!.username);
    const { tip, transaction, replayed } = await money.tips.send(req.user!, body, tipperUri, idempotencyKey(req));
    res.status(replayed ? 200 : 201).json({ tip, transaction, replayed });
  }));

  // Offers write nothing but cost a macaroon each: a client network gets so many a minute.
  const offers = new WindowLimit(ctx.config.money.meteredOffersPerMinute);
  r.post('/api/v1/metered/offers', isPublic, route(async (req, res) => {
    if (!offers.take(clientNetwork(req.ip, DEFAULT_IPV6_PREFIX_LENGTH))) {
      const wait = offers.retryAfterSeconds();
      throw new RetryLaterError(429, 'too_many_offers', `Too many offers asked from your network; try again in ${wait} s`, wait);
    }
    res.json(await money.metered.offer(offerBody.parse(req.body ?? {})));
  }));

  r.post('/api/v1/metered/pay', requireUser, route(async (req, res) => {
    const body = payBody.parse(req.body ?? {});
    const { purchase, transaction, replayed } = await money.metered.wallet.pay(req.user!, body.invoice, idempotencyKey(req));
    res.status(replayed ? 200 : 201).json({ purchase, transaction, replayed });
  }));

  r.get('/api/v1/metered/purchases', requireUser, route(async (req, res) => {
    const q = page.parse(req.query);
    res.json(await money.metered.purchases(req.user!, q.limit, q.offset));
  }));

  r.get('/api/v1/metered/purchases/:invoice', requireUser, route(async (req, res) => {
    res.json(await money.metered.purchase(req.user!, req.params.invoice));
  }));

  r.get('/api/v1/metered/receipt-key', isPublic, (_req, res) => {
    res.json(money.metered.receiptPublicKey());
  });

  r.get('/api/v1/me/earnings/metered', requireRole('artist'), route(async (req, res) => {
    res.json(await money.metered.earnings(req.user!.id, tz));
  }));

  r.get('/api/v1/me/tips', requireUser, route(async (req, res) => {
    const q = page.parse(req.query);
    res.json(await money.tips.sent(req.user!.id, q.limit, q.offset));
  }));

  r.get('/api/v1/me/earnings/tips', requireRole('artist'), route(async (req, res) => {
    const q = tipRange.parse(req.query);
    res.json(await money.tips.earnings(req.user!.id, tz, q.from, q.to));
  }));

  r.post('/api/v1/streams', requireUser, route(async (req, res) => {
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const key = idempotencyKey(req);
    const { stream, replayed } = raw.rate !== undefined
      ? await money.streams.createRate(req.user!, rateStreamBody.parse(raw), key)
      : await money.streams.createLinear(req.user!, linearStreamBody.parse(raw), key);
    res.status(replayed ? 200 : 201).json({ ...stream, replayed });
  }));

  r.get('/api/v1/streams', requireUser, route(async (req, res) => {
    const q = streamRole.parse(req.query);
    res.json({ data: await money.streams.list(req.user!.id, q.role) });
  }));

  r.get('/api/v1/streams/:id', requireUser, route(async (req, res) => {
    res.json(await money.streams.get(req.params.id, req.user!));
  }));

  r.post('/api/v1/streams/:id/withdraw', requireUser, route(async (req, res) => {
    const body = withdrawBody.parse(req.body ?? {});
    const { stream, transaction } = await money.streams.withdraw(req.params.id, req.user!, body.amount, idempotencyKey(req));
    res.json({ stream, transaction });
  }));

  r.post('/api/v1/streams/:id/cancel', requireUser, route(async (req, res) => {
    const { stream, refund } = await money.streams.cancel(req.params.id, req.user!);
    res.json({ stream, transaction: refund });
  }));

  r.post('/api/v1/gift-links', requireUser, route(async (req, res) => {
    const body = giftBody.parse(req.body ?? {});
    const link = await money.giftLinks.create(req.user!, body, idempotencyKey(req));
    res.status(link.replayed ? 200 : 201).json(link);
  }));

  r.get('/api/v1/gift-links/:code', isPublic, route(async (req, res) => {
    const link = await money.giftLinks.byCode(req.params.code);
    if (!link) throw notFound('Gift link');
    res.json({ ...link, qr: await money.giftLinks.qr(link.code) });
  }));

  r.post('/api/v1/gift-links/:code/redeem', requireUser, route(async (req, res) => {
    const { link, transaction } = await money.giftLinks.redeem(req.params.code, req.user!);
    res.json({ link, transaction, balance: await money.books.balance(`wallet:${req.user!.id}`) });
  }));

  // Taking one's money out publishes nothing: a silenced artist still may.
  r.post('/api/v1/me/withdrawals', requireRole('artist', { publishing: false }), route(async (req, res) => {
    const body = withdrawalBody.parse(req.body ?? {});
    const w = await money.withdrawals.request(req.user!.id, body, idempotencyKey(req));
    res.status(w.replayed ? 200 : 201).json(w);
  }));

  r.get('/api/v1/admin/withdrawals', requireRole('admin'), route(async (req, res) => {
    const q = page.extend({ status: z.enum(['requested', 'settled']).optional() }).parse(req.query);
    res.json(await money.withdrawals.list(q.status, q.limit, q.offset));
  }));

  r.post('/api/v1/admin/withdrawals/:id/settle', requireRole('admin'), route(async (req, res) => {
    const body = settleBody.parse(req.body ?? {});
    res.json(await money.withdrawals.settle(req.params.id, body.reference, req.user!.id));
  }));

  r.get('/api/v1/me/subscription', requireUser, route(async (req, res) => {
    const sub = await money.subscriptions.get(req.user!.id);
    if (!sub) throw notSubscribed();
    res.json({ ...sub, charges: await money.subscriptions.charges(req.user!.id) });
  }));

  r.post('/api/v1/me/subscription', requireUser, route(async (req, res) => {
    const { subscription, changed } = await money.subscriptions.subscribe(req.user!.id);
    res.status(changed ? 201 : 200).json(subscription);
  }));

  r.delete('/api/v1/me/subscription', requireUser, route(async (req, res) => {
    res.json(await money.subscriptions.cancel(req.user!.id));
  }));

  r.get('/api/v1/me/subscription/allocation', requireUser, route(async (req, res) => {
    const month = typeof req.query.month === 'string' ? assertMonth(req.query.month) : monthOf(new Date(), tz);
    res.json(await money.allocation(req.user!.id, month));
  }));

  r.get('/api/v1/me/earnings', requireRole('artist'), route(async (req, res) => {
    res.json(await money.earnings(req.user!.id));
  }));

  r.get('/api/v1/admin/money/statements/:month', requireRole('admin'), route(async (req, res) => {
    res.json(await money.statement(assertMonth(req.params.month)));
  }));

  r.post('/api/v1/admin/money/months/:month/close', requireRole('admin'), route(async (req, res) => {
    const month = assertMonth(req.params.month);
    if (month >= monthOf(new Date(), tz)) throw new AppError(409, 'month_not_over', `Month ${month} is not over yet`);
    const jobId = await ctx.jobs.enqueue('money.month-close', { month });
    res.status(202).json({ month, jobId });
  }));

  r.post('/api/v1/admin/money/months/:month/payout', requireRole('admin'), route(async (req, res) => {
    const month = assertMonth(req.params.month);
    const state = await money.closeState(month);
    if (state?.status !== 'closed') throw new AppError(409, 'month_not_closed', `Month ${month} is not closed yet`);
    const jobId = await ctx.jobs.enqueue('money.payout', { month });
    res.status(202).json({ month, jobId });
  }));

  r.use(campaignRoutes(money.campaigns));
  return r;
}
