// Payment streams (Sablier's semantics on the node's books). A linear stream moves its whole
// deposit from the sender's wallet into the stream's own escrow account at creation; what has
// streamed (stream-math.ts) is the recipient's to withdraw at any time; a cancel returns what
// has not streamed to the sender at once. A rate stream has no end: it streams an amount per
// period and is topped up from the sender's wallet in chunks, stopping where the wallet ran dry.
// Every movement is a balanced, idempotent transaction, and for every stream the escrow holds
// exactly deposited − withdrawn − refunded.
import { createHash } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import { AppError, badRequest, conflict, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { AccountsApi } from '../accounts/contract.js';
import { isUuid } from '../../shared/ids.js';
import { accounts, type AccountRef, type Books, type PostedTransaction } from './books.js';
import { assertAmount, assertCurrency, maxAmount } from './amounts.js';
import { rateExhaustedAt, streamedLinear, streamedRate } from './stream-math.js';
import type * as api from '../../shared/api/index.js';

export type PaymentStream = api.PaymentStream;

/** A rate stream is topped up when less than this many seconds of it are left in escrow. */
export const TOP_UP_AHEAD_SECONDS = 120;
/** How often the worker sweeps rate streams (server/money/index.ts). */
export const SWEEP_SECONDS = 30;
/** The longest a stream may run, and how far ahead it may start. */
const MAX_SPAN_SECONDS = 10 * 365 * 86_400;
/** A start this far in the past is taken as "now" (clocks of clients differ a little). */
const START_SLACK_SECONDS = 60;

export interface CreateLinear {
  recipient: string;
  amount: number;
  currency?: string;
  startAt?: number;
  endAt?: number;
  durationSeconds?: number;
  cliffAt?: number;
  cliffSeconds?: number;
  cancelable?: boolean;
}

export interface CreateRate {
  recipient: string;
  rate: { amount: number; periodSeconds: number };
  chunk?: number;
  currency?: string;
  startAt?: number;
  /** Whether the sender may cancel it (default yes; a stream the node closes for them is not). */
  cancelable?: boolean;
  /** An escrow account of the node's that funds it instead of the sender's wallet (a watch link's credit). */
  fundedFrom?: AccountRef;
}

interface StreamRow {
  id: string;
  sender_id: string;
  recipient_id: string;
  kind: 'linear' | 'rate';
  currency: string;
  deposited: string;
  start_at: string;
  cliff_at: string | null;
  end_at: string | null;
  rate_amount: string | null;
  rate_period: string | null;
  chunk: string | null;
  cancelable: boolean;
  withdrawn: string;
  refunded: string;
  final_streamed: string | null;
  stopped_at: string | null;
  stop_reason: 'canceled' | 'wallet_empty' | 'closed' | null;
  top_ups: number;
  funding_account: string | null;
  created_at: Date;
}

const n = (v: string | null): number | null => (v === null ? null : Number(v));
const iso = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

/** What a create asked (not what it derived, such as "now"): a retry must ask the same. */
const requestHashOf = (kind: string, input: object) => createHash('sha256').update(JSON.stringify([kind, Object.entries(input).sort(([a], [b]) => (a < b ? -1 : 1))])).digest('hex');

const withdrawKey = (id: string, requestKey: string | undefined, withdrawnBefore: number) =>
  requestKey ? `stream:withdraw:${id}:k:${requestKey}` : `stream:withdraw:${id}:n:${withdrawnBefore}`;

export const streamEscrow = (id: string): AccountRef => ({ key: `escrow:stream:${id}`, kind: 'escrow' });

/** Where a stream's deposits come from and its refunds go: the sender's wallet, or the escrow it was opened on (a watch link's credit). */
const fundingOf = (row: Pick<StreamRow, 'sender_id' | 'funding_account'>): AccountRef =>
  row.funding_account ? { key: row.funding_account, kind: 'escrow' } : accounts.wallet(row.sender_id);

/** What has streamed at `t`: frozen once the stream stopped. */
export function streamedOf(row: StreamRow, t: number): number {
  if (row.final_streamed !== null) return Number(row.final_streamed);
  const deposited = Number(row.deposited);
  if (row.kind === 'linear') return streamedLinear({ deposit: deposited, start: Number(row.start_at), cliff: n(row.cliff_at), end: Number(row.end_at) }, t);
  return streamedRate({ amount: Number(row.rate_amount), periodSeconds: Number(row.rate_period), start: Number(row.start_at) }, deposited, t);
}

function statusOf(row: StreamRow, t: number, streamed: number): PaymentStream['status'] {
  const withdrawn = Number(row.withdrawn);
  const finished = row.stopped_at !== null || (row.kind === 'linear' && t >= Number(row.end_at));
  if (finished && withdrawn === streamed) return 'depleted';
  if (row.stop_reason === 'canceled') return 'canceled';
  if (finished) return 'settled';
  return t < Number(row.start_at) ? 'pending' : 'streaming';
}

export class Streams {
  /** Milliseconds since the epoch: the streams' clock (tests move it). */
  clock: () => number = Date.now;

  constructor(
    private readonly db: Sequelize,
    private readonly books: Books,
    private readonly users: Pick<AccountsApi, 'byId' | 'byUsername' | 'usernames'>,
  ) {}

  private now(): number {
    return Math.floor(this.clock() / 1000);
  }

  private async recipientOf(sender: User, ref: string): Promise<User> {
    if (typeof ref !== 'string' || !ref) throw badRequest('invalid_recipient', 'recipient must be a user id or a username');
    const user = isUuid(ref) ? await this.users.byId(ref) : await this.users.byUsername(ref);
    if (!user) throw notFound('Recipient');
    if (user.id === sender.id) throw badRequest('invalid_recipient', 'A stream goes to someone else: the recipient is you');
    return user;
  }

  private startOf(startAt: number | undefined, now: number): number {
    if (startAt === undefined) return now;
    if (!Number.isSafeInteger(startAt)) throw badRequest('invalid_stream_times', 'startAt must be a time');
    if (startAt < now - START_SLACK_SECONDS) throw badRequest('invalid_stream_times', 'startAt is in the past: a stream starts now or later');
    if (startAt > now + MAX_SPAN_SECONDS) throw badRequest('invalid_stream_times', 'startAt is more than ten years away');
    return Math.max(startAt, now);
  }

  /** Creates a linear stream and moves its deposit into escrow; the same request key returns the same stream. */
  async createLinear(sender: User, input: CreateLinear, requestKey?: string): Promise<{ stream: PaymentStream; replayed: boolean }> {
    assertAmount(input.amount);
    assertCurrency(input.currency, this.books.currency);
    const recipient = await this.recipientOf(sender, input.recipient);
    const now = this.now();
    const start = this.startOf(input.startAt, now);
    if ((input.endAt === undefined) === (input.durationSeconds === undefined)) throw badRequest('invalid_stream_times', 'Give either endAt or durationSeconds');
    const end = input.endAt ?? start + input.durationSeconds!;
    if (!Number.isSafeInteger(end) || end <= start) throw badRequest('invalid_stream_times', 'The end must be after the start');
    if (end - start > MAX_SPAN_SECONDS) throw badRequest('invalid_stream_times', 'A stream runs at most ten years');
    if (input.cliffAt !== undefined && input.cliffSeconds !== undefined) throw badRequest('invalid_stream_times', 'Give cliffAt or cliffSeconds, not both');
    const cliff = input.cliffAt ?? (input.cliffSeconds !== undefined ? start + input.cliffSeconds : null);
    if (cliff !== null && (!Number.isSafeInteger(cliff) || cliff < start || cliff > end)) throw badRequest('invalid_stream_times', 'The cliff must fall between the start and the end');
    return this.insert(sender, recipient, requestKey, requestHashOf('linear', input), input.amount, {
      kind: 'linear', start_at: start, cliff_at: cliff, end_at: end, cancelable: input.cancelable ?? true,
    });
  }

  /** Creates an open-ended rate stream; its first chunk moves into escrow now. */
  async createRate(sender: User, input: CreateRate, requestKey?: string): Promise<{ stream: PaymentStream; replayed: boolean }> {
    assertCurrency(input.currency, this.books.currency);
    assertAmount(input.rate?.amount, 'rate.amount');
    const period = input.rate.periodSeconds;
    if (!Number.isSafeInteger(period) || period < 1 || period > 31 * 86_400) throw badRequest('invalid_rate', 'rate.periodSeconds must be a whole number of seconds from 1 to 2678400 (31 days)');
    // Ten minutes' worth by default: few top-ups, little locked away.
    const chunk = input.chunk ?? Math.max(1, Math.ceil((input.rate.amount * 600) / period));
    assertAmount(chunk, 'chunk');
    // A top-up must outlast the sweep's lead, or a funded stream would keep running short.
    const minChunk = Math.ceil((input.rate.amount * (TOP_UP_AHEAD_SECONDS + SWEEP_SECONDS)) / period);
    if (chunk < minChunk) throw badRequest('invalid_rate', `chunk must be at least ${minChunk} (${TOP_UP_AHEAD_SECONDS + SWEEP_SECONDS} s of the rate)`);
    if (chunk > maxAmount) throw badRequest('invalid_amount', `chunk must be at most ${maxAmount}`);
    const recipient = await this.recipientOf(sender, input.recipient);
    const start = this.startOf(input.startAt, this.now());
    return this.insert(sender, recipient, requestKey, requestHashOf('rate', input), chunk, {
      kind: 'rate', start_at: start, rate_amount: input.rate.amount, rate_period: period, chunk, cancelable: input.cancelable ?? true,
      funding_account: input.fundedFrom?.key ?? null,
    });
  }

  private async insert(
    sender: User,
    recipient: User,
    requestKey: string | undefined,
    requestHash: string,
    deposit: number,
    fields: Record<string, unknown> & { kind: 'linear' | 'rate' },
  ): Promise<{ stream: PaymentStream; replayed: boolean }> {
    const key = requestKey ? `${sender.id}:${requestKey}` : null;
    if (key) {
      const existing = await selectOne<StreamRow & { request_hash: string | null }>(this.db, 'SELECT * FROM money_streams WHERE request_key = :key', { key });
      if (existing) {
        if (existing.request_hash !== requestHash) throw conflict('idempotency_key_reused', `The Idempotency-Key "${requestKey}" was already used for a different stream`);
        return { stream: await this.view(existing), replayed: true };
      }
    }
    const row = await this.db.transaction(async (t) => {
      const [inserted] = await select<StreamRow>(
        this.db,
        `INSERT INTO money_streams (sender_id, recipient_id, kind, currency, deposited, start_at, cliff_at, end_at, rate_amount, rate_period, chunk, cancelable, request_key, request_hash, funding_account)
         VALUES (:sender, :recipient, :kind, :currency, :deposit, :start_at, :cliff_at, :end_at, :rate_amount, :rate_period, :chunk, :cancelable, :key, :requestHash, :funding_account)
         ON CONFLICT (request_key) DO NOTHING RETURNING *`,
        {
          sender: sender.id, recipient: recipient.id, currency: this.books.currency, deposit, key, requestHash,
          cliff_at: null, end_at: null, rate_amount: null, rate_period: null, chunk: null, funding_account: null, ...fields,
        },
        t,
      );
      if (!inserted) return undefined; // a concurrent request with the same key won
      await this.books.move(
        {
          key: `stream:deposit:${inserted.id}:0`, kind: 'stream.deposit', amount: deposit,
          from: fundingOf(inserted), to: streamEscrow(inserted.id), reference: inserted.id, memo: { streamId: inserted.id, recipient: recipient.id },
        },
        t,
      );
      return inserted;
    });
    if (!row) return this.insert(sender, recipient, requestKey, requestHash, deposit, fields);
    return { stream: await this.view(row), replayed: false };
  }

  private async row(id: string, t?: Transaction, lock = false): Promise<StreamRow | undefined> {
    if (!isUuid(id)) return undefined;
    return selectOne<StreamRow>(this.db, `SELECT * FROM money_streams WHERE id = :id${lock ? ' FOR UPDATE' : ''}`, { id }, t);
  }

  /** A stream as its sender, its recipient or an admin sees it (others: 404). */
  async get(id: string, viewer: User): Promise<PaymentStream> {
    const seen = await this.row(id);
    if (!seen || (seen.sender_id !== viewer.id && seen.recipient_id !== viewer.id && viewer.role !== 'admin')) throw notFound('Stream');
    await this.refreshQuietly(id);
    return this.view((await this.row(id))!);
  }

  async list(userId: string, role: 'sent' | 'received' | 'all' = 'all'): Promise<PaymentStream[]> {
    const where = role === 'sent' ? 'sender_id = :userId' : role === 'received' ? 'recipient_id = :userId' : '(sender_id = :userId OR recipient_id = :userId)';
    const running = await select<{ id: string }>(this.db, `SELECT id FROM money_streams WHERE ${where} AND kind = 'rate' AND stopped_at IS NULL`, { userId });
    for (const r of running) await this.refreshQuietly(r.id);
    const rows = await select<StreamRow>(this.db, `SELECT * FROM money_streams WHERE ${where} ORDER BY created_at DESC, id LIMIT 200`, { userId });
    return this.views(rows);
  }

  /** The recipient takes `amount` (default: all) of what has streamed and is not yet withdrawn. */
  async withdraw(id: string, user: User, amount?: number, requestKey?: string): Promise<{ stream: PaymentStream; transaction: PostedTransaction }> {
    if (amount !== undefined) assertAmount(amount);
    await this.refreshQuietly(id);
    const result = await this.db.transaction(async (t) => {
      const row = await this.row(id, t, true);
      if (!row || (row.recipient_id !== user.id && row.sender_id !== user.id)) throw notFound('Stream');
      if (row.recipient_id !== user.id) throw new AppError(403, 'forbidden', 'Only the recipient withdraws from a stream');
      const streamed = streamedOf(row, this.now());
      const withdrawable = streamed - Number(row.withdrawn);
      const take = amount ?? withdrawable;
      if (requestKey) {
        // A retry of a withdrawal that went through answers with that withdrawal, moving nothing.
        const done = await this.books.byKey(withdrawKey(id, requestKey, 0), t);
        if (done) return { row, tx: { ...done.tx, replayed: true } };
      }
      if (withdrawable <= 0) throw new AppError(409, 'nothing_to_withdraw', 'Nothing has streamed that is not withdrawn yet', { withdrawable: 0 });
      if (take > withdrawable) throw new AppError(409, 'exceeds_withdrawable', `Only ${withdrawable} can be withdrawn now`, { withdrawable });
      const tx = await this.books.move(
        {
          // Keyed requests and unkeyed ones never share a key: "k:" the client's key, "n:" how much was withdrawn before.
          key: withdrawKey(id, requestKey, Number(row.withdrawn)), kind: 'stream.withdraw', amount: take,
          from: streamEscrow(id), to: accounts.wallet(user.id), reference: id, memo: { streamId: id },
        },
        t,
      );
      if (tx.replayed) throw new AppError(409, 'idempotency_conflict', 'This withdrawal was already recorded; read the stream again');
      const [updated] = await select<StreamRow>(this.db, 'UPDATE money_streams SET withdrawn = withdrawn + :take WHERE id = :id RETURNING *', { id, take }, t);
      return { row: updated, tx };
    });
    return { stream: await this.view(result.row), transaction: result.tx };
  }

  /** The sender stops the stream: what streamed stays the recipient's, the rest returns now. */
  async cancel(id: string, user: User): Promise<{ stream: PaymentStream; refund: PostedTransaction | null }> {
    await this.refreshQuietly(id);
    const result = await this.db.transaction(async (t) => {
      const row = await this.row(id, t, true);
      if (!row || (row.recipient_id !== user.id && row.sender_id !== user.id)) throw notFound('Stream');
      if (row.sender_id !== user.id) throw new AppError(403, 'forbidden', 'Only the sender cancels a stream');
      if (!row.cancelable) throw conflict('not_cancelable', 'This stream was made non-cancelable');
      if (row.stop_reason === 'canceled') throw conflict('stream_canceled', 'This stream is already cancelled');
      const now = this.now();
      if (row.stopped_at !== null || (row.kind === 'linear' && now >= Number(row.end_at))) throw conflict('stream_settled', 'This stream has finished: everything in it has streamed');
      const streamed = streamedOf(row, now);
      const refund = Number(row.deposited) - streamed;
      const tx = refund > 0
        ? await this.books.move(
          { key: `stream:cancel:${id}`, kind: 'stream.refund', amount: refund, from: streamEscrow(id), to: fundingOf(row), reference: id, memo: { streamId: id } },
          t,
        )
        : null;
      const [updated] = await select<StreamRow>(
        this.db,
        `UPDATE money_streams SET final_streamed = :streamed, refunded = :refund, stopped_at = :now, stop_reason = 'canceled' WHERE id = :id RETURNING *`,
        { id, streamed, refund, now },
        t,
      );
      return { row: updated, tx };
    });
    return { stream: await this.view(result.row), refund: result.tx };
  }

  /**
   * The node closes a rate stream it opened for its sender (live's pay as you watch): it stops at
   * `at` (whole epoch seconds, clamped between its start and now, never past where its escrow ran
   * out), what streamed until then goes to the recipient's wallet and the rest back to the
   * sender, in one transaction. Closing a closed stream moves nothing.
   */
  async close(id: string, at: number): Promise<PaymentStream> {
    await this.refreshQuietly(id);
    const row = await this.db.transaction(async (t) => {
      const row = await this.row(id, t, true);
      if (!row) throw notFound('Stream');
      if (row.kind !== 'rate') throw conflict('not_a_rate_stream', 'Only rate streams are closed by the node');
      let current = row;
      if (row.stopped_at === null) {
        const stopAt = Math.max(Number(row.start_at), Math.min(Math.floor(at), this.now()));
        const streamed = streamedOf(row, stopAt);
        const refund = Number(row.deposited) - streamed;
        if (refund > 0) {
          await this.books.move(
            { key: `stream:close:${id}`, kind: 'stream.refund', amount: refund, from: streamEscrow(id), to: fundingOf(row), reference: id, memo: { streamId: id, closed: true } },
            t,
          );
        }
        [current] = await select<StreamRow>(
          this.db,
          `UPDATE money_streams SET final_streamed = :streamed, refunded = :refund, stopped_at = :stopAt, stop_reason = 'closed' WHERE id = :id RETURNING *`,
          { id, streamed, refund, stopAt },
          t,
        );
      }
      // What streamed and is not withdrawn yet is the recipient's now (also after a wallet ran dry).
      const owed = streamedOf(current, this.now()) - Number(current.withdrawn);
      if (owed > 0) {
        await this.books.move(
          { key: `stream:withdraw:${id}:closed`, kind: 'stream.withdraw', amount: owed, from: streamEscrow(id), to: accounts.wallet(current.recipient_id), reference: id, memo: { streamId: id, closed: true } },
          t,
        );
        [current] = await select<StreamRow>(this.db, 'UPDATE money_streams SET withdrawn = withdrawn + :owed WHERE id = :id RETURNING *', { id, owed }, t);
      }
      return current;
    });
    return this.view(row);
  }

  /** The stream a sender made with a request key, as the node sees it (a retry after a crash finds it). */
  async byRequestKey(senderId: string, requestKey: string): Promise<PaymentStream | undefined> {
    const row = await selectOne<StreamRow>(this.db, 'SELECT * FROM money_streams WHERE request_key = :key', { key: `${senderId}:${requestKey}` });
    return row ? this.view(row) : undefined;
  }

  /** A stream as the node sees it (no viewer check), refreshed first: for services that opened it. */
  async peek(id: string): Promise<PaymentStream | undefined> {
    await this.refreshQuietly(id);
    const row = await this.row(id);
    return row ? this.view(row) : undefined;
  }

  /**
   * A rate stream close to the end of its escrow is topped up from the sender's wallet with a
   * chunk (or what the wallet has); one whose wallet had nothing stops where its escrow ran out.
   * Linear streams and stopped streams are left as they are.
   */
  async refresh(id: string): Promise<void> {
    const peek = await this.row(id);
    if (!peek || peek.kind !== 'rate' || peek.stopped_at !== null) return;
    const terms = (r: StreamRow) => ({ amount: Number(r.rate_amount), periodSeconds: Number(r.rate_period), start: Number(r.start_at) });
    if (rateExhaustedAt(terms(peek), Number(peek.deposited)) - this.now() > TOP_UP_AHEAD_SECONDS) return;
    await this.db.transaction(async (t) => {
      const row = (await this.row(id, t, true))!;
      if (row.stopped_at !== null) return;
      const now = this.now();
      const deposited = Number(row.deposited);
      const exhaustedAt = rateExhaustedAt(terms(row), deposited);
      if (exhaustedAt - now > TOP_UP_AHEAD_SECONDS) return;
      if (now >= exhaustedAt) {
        // The escrow ran out before a top-up came: the stream stops there, whatever the wallet holds now.
        await select(this.db, `UPDATE money_streams SET final_streamed = deposited, stopped_at = :at, stop_reason = 'wallet_empty' WHERE id = :id`, { id, at: exhaustedAt }, t);
        return;
      }
      // The wallet is locked with the escrow, so the balance read is the one moved from.
      const funding = fundingOf(row);
      const balances = await this.books.lock([funding, streamEscrow(id)], t);
      const amount = Math.min(Number(row.chunk), balances.get(funding.key) ?? 0);
      if (amount > 0) {
        await this.books.move(
          {
            key: `stream:deposit:${id}:${row.top_ups + 1}`, kind: 'stream.deposit', amount,
            from: funding, to: streamEscrow(id), reference: id, memo: { streamId: id, topUp: row.top_ups + 1 },
          },
          t,
        );
        await select(this.db, 'UPDATE money_streams SET deposited = deposited + :amount, top_ups = top_ups + 1 WHERE id = :id', { id, amount }, t);
      }
    });
  }

  /** A refresh on the way to reading or moving a stream: its failure (a wallet spent meanwhile) must not stop the reader. */
  private async refreshQuietly(id: string): Promise<void> {
    await this.refresh(id).catch(() => {});
  }

  /** The worker's sweep: every running rate stream topped up or stopped; one stream's failure does not stop the others. */
  async tick(): Promise<{ checked: number; failed: number }> {
    const rows = await select<{ id: string }>(this.db, "SELECT id FROM money_streams WHERE kind = 'rate' AND stopped_at IS NULL ORDER BY start_at LIMIT 10000");
    let failed = 0;
    for (const r of rows) await this.refresh(r.id).catch(() => void failed++);
    return { checked: rows.length, failed };
  }

  /** Escrow held by streams against what they still owe (deposited − withdrawn − refunded): equal when the books are right. */
  async escrowIdentity(): Promise<{ escrow: number; outstanding: number }> {
    const row = await selectOne<{ escrow: string | null; outstanding: string | null }>(
      this.db,
      `SELECT (SELECT coalesce(sum(balance), 0) FROM money_accounts WHERE key LIKE 'escrow:stream:%') AS escrow,
              (SELECT coalesce(sum(deposited - withdrawn - refunded), 0) FROM money_streams) AS outstanding`,
    );
    return { escrow: Number(row?.escrow ?? 0), outstanding: Number(row?.outstanding ?? 0) };
  }

  private async view(row: StreamRow): Promise<PaymentStream> {
    return (await this.views([row]))[0];
  }

  /** Streams as the API shows them, with their parties' usernames read at once. */
  private async views(rows: StreamRow[]): Promise<PaymentStream[]> {
    const names = await this.users.usernames([...new Set(rows.flatMap((r) => [r.sender_id, r.recipient_id]))]);
    const t = this.now();
    return rows.map((row) => this.viewOf(row, t, names));
  }

  private viewOf(row: StreamRow, t: number, names: Map<string, string>): PaymentStream {
    const streamed = streamedOf(row, t);
    const deposited = Number(row.deposited);
    const rate = row.kind === 'rate' ? { amount: Number(row.rate_amount), periodSeconds: Number(row.rate_period) } : null;
    return {
      id: row.id,
      kind: row.kind,
      sender: { id: row.sender_id, username: names.get(row.sender_id) ?? null },
      recipient: { id: row.recipient_id, username: names.get(row.recipient_id) ?? null },
      currency: row.currency,
      deposited,
      startAt: iso(Number(row.start_at))!,
      cliffAt: iso(n(row.cliff_at)),
      endAt: iso(n(row.end_at)),
      rate,
      chunk: n(row.chunk),
      cancelable: row.cancelable,
      streamed,
      withdrawn: Number(row.withdrawn),
      withdrawable: streamed - Number(row.withdrawn),
      refunded: Number(row.refunded),
      status: statusOf(row, t, streamed),
      stoppedAt: iso(n(row.stopped_at)),
      stopReason: row.stop_reason,
      runsDryAt: rate && row.stopped_at === null ? iso(rateExhaustedAt({ ...rate, start: Number(row.start_at) }, deposited)) : null,
      createdAt: new Date(row.created_at).toISOString(),
    };
  }
}
