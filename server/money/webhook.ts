// Top-ups paid at an external processor: the user opens a top-up (an intent with its
// amount), pays at the processor, and the processor notifies us with a signed webhook.
// Signature: hex HMAC-SHA256 over `${timestamp}.${rawBody}` with the shared secret.
// Fails closed: no secret configured, no valid signature, stale timestamp, replayed event
// id, unknown top-up, amount or currency mismatch — nothing moves.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import { select, selectOne } from '../db/index.js';
import { AppError, badRequest, conflict, notFound } from '../http/errors.js';
import { accounts, type Books, type PostedTransaction } from './books.js';
import { amountSchema, assertAmount, assertCurrency } from './amounts.js';
import { BaseProvider } from './providers.js';
import type * as api from '../../shared/api/index.js';
import { isUuid } from '../../shared/ids.js';

export const signatureHeader = 'x-payment-signature';
export const timestampHeader = 'x-payment-timestamp';

export type TopUpIntent = api.TopUpIntent;

const eventSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  data: z.object({
    topUpId: z.string().uuid(),
    amount: amountSchema,
    currency: z.string().min(1).max(10),
    fee: z.number().int().nonnegative().default(0),
    rate: z.string().regex(/^\d+(\.\d+)?$/).max(40).default('1'),
    reference: z.string().max(200).optional(),
  }),
});

/** Signs a body the way the processor must (also used by tests and integrators). */
export function signWebhook(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

export class WebhookProvider extends BaseProvider {
  readonly name = 'webhook';
  readonly source = accounts.externalIn('webhook');

  constructor(
    books: Books,
    private readonly db: Sequelize,
    private readonly secret: () => string | undefined,
    private readonly toleranceSeconds = 300,
  ) {
    super(books);
  }

  /** Opens a pending top-up the processor will confirm. */
  async createIntent(userId: string, amount: number, currency?: string): Promise<TopUpIntent> {
    assertAmount(amount);
    assertCurrency(currency, this.books.currency);
    const row = await selectOne<Record<string, unknown>>(
      this.db,
      `INSERT INTO money_top_ups (user_id, provider, amount, currency, status) VALUES (:userId, :provider, :amount, :currency, 'pending') RETURNING *`,
      { userId, provider: this.name, amount, currency: this.books.currency },
    );
    return toIntent(row!);
  }

  async intent(id: string): Promise<TopUpIntent | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await selectOne<Record<string, unknown>>(this.db, 'SELECT * FROM money_top_ups WHERE id = :id', { id });
    return row && toIntent(row);
  }

  /** Verifies the signature and timestamp over the raw body; throws unless both hold. */
  verify(rawBody: Buffer, headers: Record<string, string | string[] | undefined>, now = Date.now()): void {
    const secret = this.secret();
    if (!secret) throw new AppError(503, 'webhook_not_configured', 'Payment webhooks are not configured on this node (no secret)');
    const tsRaw = headers[timestampHeader];
    const sigRaw = headers[signatureHeader];
    if (typeof tsRaw !== 'string' || typeof sigRaw !== 'string') {
      throw new AppError(401, 'invalid_signature', `Both ${timestampHeader} and ${signatureHeader} headers are required`);
    }
    if (!/^\d{1,12}$/.test(tsRaw)) throw new AppError(401, 'invalid_signature', `${timestampHeader} must be unix seconds`);
    const ts = Number(tsRaw);
    if (Math.abs(now / 1000 - ts) > this.toleranceSeconds) {
      throw new AppError(401, 'stale_timestamp', `The webhook timestamp is outside the ${this.toleranceSeconds} s window`);
    }
    const expected = Buffer.from(signWebhook(secret, ts, rawBody));
    // Several signatures may be sent (secret rotation): any one that matches is enough.
    const ok = sigRaw.split(/[\s,]+/).some((s) => {
      const given = Buffer.from(s);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!ok) throw new AppError(401, 'invalid_signature', 'The webhook signature does not match');
  }

  /** Handles a verified notification: credits the wallet once per top-up. */
  async handle(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<{ status: string; topUp?: TopUpIntent; transaction?: PostedTransaction }> {
    this.verify(rawBody, headers);
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw badRequest('malformed_body', 'The webhook body is not JSON');
    }
    const event = eventSchema.parse(json);
    return this.db.transaction(async (t) => {
      const row = await selectOne<Record<string, unknown>>(this.db, 'SELECT * FROM money_top_ups WHERE id = :id FOR UPDATE', { id: event.data.topUpId }, t);
      if (!row) throw notFound('Top-up');
      const fresh = await select(
        this.db,
        'INSERT INTO money_webhook_events (event_id, provider, top_up_id) VALUES (:id, :provider, :topUp) ON CONFLICT (event_id) DO NOTHING RETURNING event_id',
        { id: event.id, provider: this.name, topUp: event.data.topUpId },
        t,
      );
      if (!fresh.length) throw conflict('replayed_event', `Event ${event.id} was already processed`);
      const intent = toIntent(row);
      assertCurrency(event.data.currency, intent.currency);
      if (event.data.amount !== intent.amount) {
        throw badRequest('amount_mismatch', `The notification is for ${event.data.amount} but the top-up was opened for ${intent.amount}`);
      }
      if (event.type === 'payment.failed') {
        if (intent.status !== 'pending') return { status: 'ignored', topUp: intent };
        await select(this.db, "UPDATE money_top_ups SET status = 'failed', updated_at = now() WHERE id = :id", { id: intent.id }, t);
        return { status: 'failed', topUp: { ...intent, status: 'failed' } };
      }
      if (event.type !== 'payment.succeeded') return { status: 'ignored', topUp: intent };
      // Credited by an earlier notification: this one may carry other fee details (or none),
      // which would make the same credit look like a different movement (409 forever to the
      // processor). The books keep the first notification's fee and rate.
      const credited = intent.status === 'succeeded' ? await this.books.byKey(`top-up:${intent.id}`, t) : undefined;
      if (credited) return { status: 'already_credited', topUp: intent, transaction: { ...credited.tx, replayed: true } };
      const transaction = await this.topUp(
        {
          userId: intent.userId, amount: intent.amount, idempotencyKey: `top-up:${intent.id}`, fee: event.data.fee, rate: event.data.rate,
          reference: event.data.reference ?? event.id, memo: { topUpId: intent.id, eventId: event.id },
        },
        t,
      );
      await select(this.db, "UPDATE money_top_ups SET status = 'succeeded', transaction_id = :tx, updated_at = now() WHERE id = :id", { id: intent.id, tx: transaction.id }, t);
      return { status: transaction.replayed ? 'already_credited' : 'credited', topUp: { ...intent, status: 'succeeded' }, transaction };
    });
  }
}

function toIntent(r: Record<string, unknown>): TopUpIntent {
  return {
    id: String(r.id), userId: String(r.user_id), provider: String(r.provider), amount: Number(r.amount), currency: String(r.currency),
    status: r.status as TopUpIntent['status'], createdAt: new Date(r.created_at as Date).toISOString(),
  };
}
