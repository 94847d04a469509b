// Monthly subscriptions. Periods are calendar months in the node's time zone: subscribing
// charges the current month, renewal charges each new month at its start. A charge moves
// the amount from the wallet into that month's pool (split at month close, not before).
//
// States: active (cancelAtPeriodEnd may be set) → canceled at the next period start;
// active → past_due when a renewal cannot be paid → active again when it can within
// config.money.graceDays, else lapsed.
import type { Sequelize, Transaction } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import { AppError, conflict } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { accounts, type Books } from './books.js';
import { insufficientFunds } from './amounts.js';
import { monthOf } from '../../shared/month.js';
import type * as api from '../../shared/api/index.js';
import { isUuid } from '../../shared/ids.js';

export type SubscriptionStatus = 'active' | 'past_due' | 'lapsed' | 'canceled';

export type Subscription = api.Subscription;

export type SubscriptionChange = 'subscribed' | 'resumed' | 'renewed' | 'cancel_requested' | 'canceled' | 'past_due' | 'lapsed' | 'recovered';

export interface SubscriptionDeps {
  db: Sequelize;
  books: Books;
  money: { subscriptionAmount: number; nodeFeeAmount: number; graceDays: number; timeZone: string };
  logger: Logger;
  /** Called inside the transaction of a charge (records it on the shared ledger). */
  recordCharge(t: Transaction, sub: Subscription, month: string, kind: 'new' | 'renewal'): Promise<void>;
  /** Called after commit for every change. */
  changed(sub: Subscription, change: SubscriptionChange): void;
}

interface SubRow {
  id: string;
  user_id: string;
  status: SubscriptionStatus;
  cancel_at_period_end: boolean;
  amount: string;
  node_fee: string;
  currency: string;
  current_month: string | null;
  past_due_month: string | null;
  past_due_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

const dayMs = 86_400_000;

export class Subscriptions {
  constructor(private readonly d: SubscriptionDeps) {}

  private toSub(r: SubRow): Subscription {
    const since = r.past_due_since ? new Date(r.past_due_since) : null;
    return {
      id: r.id, userId: r.user_id, status: r.status, cancelAtPeriodEnd: r.cancel_at_period_end, amount: Number(r.amount), nodeFee: Number(r.node_fee),
      currency: r.currency, currentMonth: r.current_month, pastDueMonth: r.past_due_month, pastDueSince: since?.toISOString() ?? null,
      graceEndsAt: since && r.status === 'past_due' ? new Date(since.getTime() + this.d.money.graceDays * dayMs).toISOString() : null,
      createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  async get(userId: string): Promise<Subscription | undefined> {
    const row = await selectOne<SubRow>(this.d.db, 'SELECT * FROM money_subscriptions WHERE user_id = :userId', { userId });
    return row && this.toSub(row);
  }

  async byId(id: string): Promise<Subscription | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await selectOne<SubRow>(this.d.db, 'SELECT * FROM money_subscriptions WHERE id = :id', { id });
    return row && this.toSub(row);
  }

  async charges(userId: string): Promise<{ month: string; amount: number; nodeFee: number; transactionId: string; createdAt: string }[]> {
    const rows = await select<Record<string, unknown>>(this.d.db, 'SELECT * FROM money_subscription_charges WHERE user_id = :userId ORDER BY month DESC LIMIT 36', { userId });
    return rows.map((r) => ({ month: String(r.month), amount: Number(r.amount), nodeFee: Number(r.node_fee), transactionId: String(r.transaction_id), createdAt: new Date(r.created_at as Date).toISOString() }));
  }

  private async update(t: Transaction, id: string, set: Record<string, unknown>, change: SubscriptionChange, month: string | null): Promise<SubRow> {
    const cols = Object.keys(set).map((k) => `${k} = :${k}`).join(', ');
    const row = await selectOne<SubRow>(this.d.db, `UPDATE money_subscriptions SET ${cols}, updated_at = now() WHERE id = :id RETURNING *`, { ...set, id }, t);
    await select(this.d.db, 'INSERT INTO money_subscription_events (subscription_id, kind, status, month) VALUES (:id, :kind, :status, :month)', { id, kind: change, status: row!.status, month }, t);
    return row!;
  }

  private afterCommit(t: Transaction, row: SubRow, change: SubscriptionChange): void {
    const sub = this.toSub(row);
    t.afterCommit(() => this.d.changed(sub, change));
  }

  /** Charges the month once (idempotent per subscription and month); the caller has checked the balance. */
  private async charge(t: Transaction, row: SubRow, month: string, kind: 'new' | 'renewal'): Promise<void> {
    // The callers hold the month's pool lock (canPay); month close takes the same lock before it
    // snapshots the charges, so a charge is either in that snapshot or sees the close here.
    const closing = await selectOne<{ status: string }>(this.d.db, 'SELECT status FROM month_closes WHERE month = :month', { month }, t);
    if (closing) throw new AppError(409, 'month_closed', `Month ${month} is ${closing.status === 'closed' ? 'closed' : 'being closed'}; it takes no more charges`);
    const amount = Number(row.amount);
    const moved = await this.d.books.move(
      {
        key: `subscription:${row.id}:${month}`, kind: 'subscription.charge', amount, from: accounts.wallet(row.user_id), to: accounts.pool(month),
        memo: { subscriptionId: row.id, month, nodeFee: Number(row.node_fee) },
      },
      t,
    );
    await select(
      this.d.db,
      `INSERT INTO money_subscription_charges (subscription_id, user_id, month, amount, node_fee, currency, transaction_id)
       VALUES (:sub, :user, :month, :amount, :fee, :currency, :tx) ON CONFLICT (subscription_id, month) DO NOTHING`,
      { sub: row.id, user: row.user_id, month, amount, fee: Number(row.node_fee), currency: row.currency, tx: moved.id },
      t,
    );
    if (!moved.replayed) await this.d.recordCharge(t, this.toSub(row), month, kind);
  }

  /** Locks the wallet and the month's pool (in the books' order) and says whether it can pay. */
  private async canPay(t: Transaction, row: SubRow, month: string): Promise<{ ok: boolean; balance: number }> {
    const balances = await this.d.books.lock([accounts.wallet(row.user_id), accounts.pool(month)], t);
    const balance = balances.get(`wallet:${row.user_id}`) ?? 0;
    return { ok: balance >= Number(row.amount), balance };
  }

  private async hasCharge(t: Transaction, subId: string, month: string): Promise<boolean> {
    return !!(await selectOne(this.d.db, 'SELECT 1 FROM money_subscription_charges WHERE subscription_id = :subId AND month = :month', { subId, month }, t));
  }

  /** Subscribes (charging the current month) or resumes a subscription set to cancel. */
  async subscribe(userId: string, at = new Date()): Promise<{ subscription: Subscription; changed: boolean }> {
    const month = monthOf(at, this.d.money.timeZone);
    return this.d.db.transaction(async (t) => {
      await select(
        this.d.db,
        `INSERT INTO money_subscriptions (user_id, status, amount, node_fee, currency) VALUES (:userId, 'canceled', :amount, :fee, :currency)
         ON CONFLICT (user_id) DO NOTHING`,
        { userId, amount: this.d.money.subscriptionAmount, fee: this.d.money.nodeFeeAmount, currency: this.d.books.currency },
        t,
      );
      // Parallel requests of one user queue here; only the first can charge.
      let row = (await selectOne<SubRow>(this.d.db, 'SELECT * FROM money_subscriptions WHERE user_id = :userId FOR UPDATE', { userId }, t))!;
      if (row.status === 'active' && (row.current_month ?? '') >= month) {
        if (!row.cancel_at_period_end) return { subscription: this.toSub(row), changed: false };
        row = await this.update(t, row.id, { cancel_at_period_end: false }, 'resumed', month);
        this.afterCommit(t, row, 'resumed');
        return { subscription: this.toSub(row), changed: true };
      }
      // Terms follow the node's current configuration when a subscription (re)starts.
      if (row.status !== 'active' && row.status !== 'past_due') {
        row = (await selectOne<SubRow>(this.d.db, 'UPDATE money_subscriptions SET amount = :amount, node_fee = :fee WHERE id = :id RETURNING *', { id: row.id, amount: this.d.money.subscriptionAmount, fee: this.d.money.nodeFeeAmount }, t))!;
      }
      const wasPastDue = row.status === 'past_due';
      // On the shared ledger a month paid by a running subscription is a renewal; a (re)start is new.
      const kind = wasPastDue || row.status === 'active' ? 'renewal' : 'new';
      if (!(await this.hasCharge(t, row.id, month))) {
        const { ok, balance } = await this.canPay(t, row, month);
        if (!ok) throw insufficientFunds(Number(row.amount), balance);
        await this.charge(t, row, month, kind);
      }
      const change: SubscriptionChange = wasPastDue ? 'recovered' : 'subscribed';
      row = await this.update(t, row.id, { status: 'active', cancel_at_period_end: false, current_month: month, past_due_month: null, past_due_since: null }, change, month);
      this.afterCommit(t, row, change);
      return { subscription: this.toSub(row), changed: true };
    });
  }

  /** Stops renewal: an active subscription runs to the end of its month; a past-due one ends now. */
  async cancel(userId: string): Promise<Subscription> {
    return this.d.db.transaction(async (t) => {
      let row = await selectOne<SubRow>(this.d.db, 'SELECT * FROM money_subscriptions WHERE user_id = :userId FOR UPDATE', { userId }, t);
      if (!row || row.status === 'canceled' || row.status === 'lapsed') throw conflict('not_subscribed', 'There is no subscription to cancel');
      if (row.status === 'active') {
        if (row.cancel_at_period_end) return this.toSub(row);
        row = await this.update(t, row.id, { cancel_at_period_end: true }, 'cancel_requested', row.current_month);
        this.afterCommit(t, row, 'cancel_requested');
      } else {
        row = await this.update(t, row.id, { status: 'canceled', cancel_at_period_end: false, past_due_month: null, past_due_since: null }, 'canceled', row.past_due_month);
        this.afterCommit(t, row, 'canceled');
      }
      return this.toSub(row);
    });
  }

  /**
   * Renews what is due at `at`: active subscriptions whose month has passed are charged
   * (or canceled, or made past_due), past-due ones are retried and lapse after the grace.
   */
  async renewDue(at = new Date()): Promise<{ renewed: number; canceled: number; pastDue: number; lapsed: number; recovered: number }> {
    const month = monthOf(at, this.d.money.timeZone);
    const due = await select<{ id: string }>(
      this.d.db,
      `SELECT id FROM money_subscriptions WHERE (status = 'active' AND (current_month IS NULL OR current_month < :month)) OR status = 'past_due' ORDER BY id`,
      { month },
    );
    const counts = { renewed: 0, canceled: 0, pastDue: 0, lapsed: 0, recovered: 0 };
    for (const { id } of due) {
      try {
        const change = await this.renewOne(id, month, at);
        if (change === 'renewed') counts.renewed++;
        else if (change === 'canceled') counts.canceled++;
        else if (change === 'past_due') counts.pastDue++;
        else if (change === 'lapsed') counts.lapsed++;
        else if (change === 'recovered') counts.recovered++;
      } catch (err) {
        // One subscription's failure must not stop the others; the next run retries it.
        this.d.logger.error({ err, subscriptionId: id }, 'subscription renewal failed');
      }
    }
    return counts;
  }

  private async renewOne(id: string, month: string, at: Date): Promise<SubscriptionChange | null> {
    return this.d.db.transaction(async (t) => {
      let row = (await selectOne<SubRow>(this.d.db, 'SELECT * FROM money_subscriptions WHERE id = :id FOR UPDATE', { id }, t))!;
      let change: SubscriptionChange | null = null;
      if (row.status === 'active' && (row.current_month ?? '') < month) {
        if (row.cancel_at_period_end) {
          change = 'canceled';
          row = await this.update(t, id, { status: 'canceled', cancel_at_period_end: false }, change, month);
        } else if ((await this.canPay(t, row, month)).ok) {
          await this.charge(t, row, month, 'renewal');
          change = 'renewed';
          row = await this.update(t, id, { current_month: month }, change, month);
        } else {
          change = 'past_due';
          row = await this.update(t, id, { status: 'past_due', past_due_month: month, past_due_since: at }, change, month);
        }
      } else if (row.status === 'past_due') {
        const dueMonth = row.past_due_month ?? month;
        const graceOver = at.getTime() - new Date(row.past_due_since ?? at).getTime() >= this.d.money.graceDays * dayMs;
        if (dueMonth === month && !graceOver && (await this.canPay(t, row, dueMonth)).ok) {
          await this.charge(t, row, dueMonth, 'renewal');
          change = 'recovered';
          row = await this.update(t, id, { status: 'active', current_month: dueMonth, past_due_month: null, past_due_since: null }, change, dueMonth);
        } else if (graceOver || dueMonth !== month) {
          change = 'lapsed';
          row = await this.update(t, id, { status: 'lapsed', past_due_month: null, past_due_since: null }, change, dueMonth);
        }
      }
      if (change) this.afterCommit(t, row, change);
      return change;
    });
  }
}

export const notSubscribed = () => new AppError(404, 'not_subscribed', 'You have no subscription');
