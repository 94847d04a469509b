// Month close: for a past month, each listener's subscription charge is split — the node
// fee to the node, the rest across their top-9 artists by qualified seconds (the shared
// split, exact to the cent), held shares to the held account, and no listening per the
// node's policy. Resumable and idempotent: steps are recorded in `month_closes`, each
// listener is one database transaction with idempotency keys per (month, listener, step),
// so running it twice pays once and a crash mid-way resumes without paying twice.
import type { Sequelize, Transaction } from 'sequelize';
import { splitSubscription } from '../../shared/money/index.js';
import { select, selectOne } from '../db/index.js';
import { AppError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { accounts, type AccountRef, type Books } from './books.js';
import type { QualifiedSecondsSource } from './seconds-source.js';
import { assertMonth } from '../http/month.js';
import { monthOf } from '../../shared/month.js';
import type * as api from '../../shared/api/index.js';

export type NoListeningPolicy = 'rollover' | 'node' | 'refund';

export interface CloseDeps {
  db: Sequelize;
  books: Books;
  money: { noListeningPolicy: NoListeningPolicy; timeZone: string };
  logger: Logger;
  source: QualifiedSecondsSource;
  /**
   * Compares the books' per-artist totals with the shared ledger's close of the month;
   * returns a mismatch description, or null when they agree or no ledger is there.
   */
  reconcile?(month: string): Promise<string | null>;
}

export interface CloseHooks {
  /** Called inside each listener's transaction, before commit (tests pause here). */
  beforeUnitCommit?(index: number, userId: string): Promise<void>;
  /** Progress after each committed listener (the job reports it). */
  progress?(done: number, total: number): Promise<void> | void;
  /** Closes a month that is not over yet (tests and admins who know what they do). */
  allowCurrentMonth?: boolean;
}

export type MonthCloseState = api.MonthClose;

interface CloseRow {
  month: string;
  status: MonthCloseState['status'];
  policy: NoListeningPolicy;
  steps: MonthCloseState['steps'];
  units_total: number;
  units_done: number;
  error: string | null;
  started_at: Date;
  closed_at: Date | null;
  paid_at: Date | null;
}

export const toCloseState = (r: CloseRow): MonthCloseState => ({
  month: r.month, status: r.status, policy: r.policy, steps: r.steps, unitsTotal: r.units_total, unitsDone: r.units_done, error: r.error,
  startedAt: new Date(r.started_at).toISOString(), closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
  paidAt: r.paid_at ? new Date(r.paid_at).toISOString() : null,
});

interface UnitRow {
  month: string;
  user_id: string;
  subscription_id: string | null;
  charge_id: string | null;
  charged: string;
  node_fee: string;
  status: 'pending' | 'done';
}

export async function closeState(db: Sequelize, month: string): Promise<MonthCloseState | undefined> {
  const row = await selectOne<CloseRow>(db, 'SELECT * FROM month_closes WHERE month = :month', { month });
  return row && toCloseState(row);
}

async function markStep(db: Sequelize, month: string, step: string, extra: Record<string, unknown>, t?: Transaction): Promise<void> {
  await select(
    db,
    `UPDATE month_closes SET steps = steps || jsonb_build_object(CAST(:step AS text), CAST(:value AS jsonb)) WHERE month = :month`,
    { month, step, value: JSON.stringify({ state: 'done', at: new Date().toISOString(), ...extra }) },
    t,
  );
}

export async function closeMonth(d: CloseDeps, month: string, hooks: CloseHooks = {}): Promise<MonthCloseState> {
  assertMonth(month);
  const log = d.logger.child({ month });
  if (!hooks.allowCurrentMonth && month >= monthOf(new Date(), d.money.timeZone)) {
    throw new AppError(409, 'month_not_over', `Month ${month} is not over yet; it can be closed from the 1st of the next month`);
  }
  await select(d.db, 'INSERT INTO month_closes (month, status, policy) VALUES (:month, :status, :policy) ON CONFLICT (month) DO NOTHING', {
    month, status: 'running', policy: d.money.noListeningPolicy,
  });
  let state = (await closeState(d.db, month))!;
  if (state.status === 'closed') return state;
  const policy = state.policy;

  // Step 1 — collect: snapshot the month's qualified seconds and one unit per listener, in
  // one transaction, so a resumed close splits by exactly the same figures.
  if (!state.steps.collect) {
    const rows = await d.source.qualifiedSeconds(month);
    await d.db.transaction(async (t) => {
      const locked = await selectOne<CloseRow>(d.db, 'SELECT * FROM month_closes WHERE month = :month FOR UPDATE', { month }, t);
      if (locked!.steps.collect) return;
      // Waits for charges in flight (they hold the pool lock); later ones see month_closes and are refused.
      await d.books.lock([accounts.pool(month)], t);
      const merged = new Map<string, { userId: string; artist: string; artistUserId: string | null; seconds: number; held: boolean }>();
      const tracks = new Map<string, { userId: string; artist: string; held: boolean; trackId: string; seconds: number }>();
      for (const r of rows) {
        if (!Number.isSafeInteger(r.seconds) || r.seconds < 0) throw new Error(`qualified seconds must be non-negative integers (got ${r.seconds})`);
        const k = `${r.userId}\u0000${r.artist}\u0000${r.held}`;
        const m = merged.get(k);
        if (m) m.seconds += r.seconds;
        else merged.set(k, { userId: r.userId, artist: r.artist, artistUserId: r.artistUserId ?? null, seconds: r.seconds, held: r.held });
        for (const tr of r.tracks ?? []) {
          if (!Number.isSafeInteger(tr.seconds) || tr.seconds < 0) continue;
          const tk = `${k}\u0000${tr.trackId}`;
          const tm = tracks.get(tk);
          if (tm) tm.seconds += tr.seconds;
          else tracks.set(tk, { userId: r.userId, artist: r.artist, held: r.held, trackId: tr.trackId, seconds: tr.seconds });
        }
      }
      for (const tr of tracks.values()) {
        await select(
          d.db,
          'INSERT INTO money_close_track_seconds (month, user_id, artist, held, track_id, seconds) VALUES (:month, :userId, :artist, :held, :trackId, :seconds)',
          { month, ...tr },
          t,
        );
      }
      for (const r of merged.values()) {
        await select(
          d.db,
          `INSERT INTO money_close_seconds (month, user_id, artist, artist_user_id, seconds, held) VALUES (:month, :userId, :artist, :artistUserId, :seconds, :held)`,
          { month, ...r },
          t,
        );
      }
      await select(
        d.db,
        `INSERT INTO money_close_units (month, user_id, subscription_id, charge_id, charged, node_fee, status)
         SELECT :month, c.user_id, c.subscription_id, c.id, c.amount, c.node_fee, 'pending' FROM money_subscription_charges c WHERE c.month = :month
         ON CONFLICT DO NOTHING`,
        { month },
        t,
      );
      // Listeners with credit carried from earlier months take part even without a charge.
      await select(
        d.db,
        `INSERT INTO money_close_units (month, user_id, charged, node_fee, status)
         SELECT :month, a.user_id, 0, 0, 'pending' FROM money_accounts a WHERE a.kind = 'rollover' AND a.balance > 0
         ON CONFLICT DO NOTHING`,
        { month },
        t,
      );
      const n = await selectOne<{ n: string }>(d.db, 'SELECT count(*) AS n FROM money_close_units WHERE month = :month', { month }, t);
      await select(d.db, 'UPDATE month_closes SET units_total = :n WHERE month = :month', { month, n: Number(n!.n) }, t);
      await markStep(d.db, month, 'collect', { rows: merged.size, units: Number(n!.n) }, t);
    });
    log.info('month close: collected');
  }

  // Step 2 — split: one transaction per listener.
  const units = await select<UnitRow>(d.db, "SELECT * FROM money_close_units WHERE month = :month AND status = 'pending' ORDER BY user_id", { month });
  state = (await closeState(d.db, month))!;
  let done = state.unitsDone;
  let index = 0;
  for (const unit of units) {
    const committed = await d.db.transaction(async (t) => {
      const u = await selectOne<UnitRow>(d.db, 'SELECT * FROM money_close_units WHERE month = :month AND user_id = :userId FOR UPDATE', { month, userId: unit.user_id }, t);
      if (u!.status === 'done') return false;
      await splitUnit(d, t, month, policy, u!);
      await select(d.db, 'UPDATE month_closes SET units_done = units_done + 1 WHERE month = :month', { month }, t);
      if (hooks.beforeUnitCommit) await hooks.beforeUnitCommit(index, unit.user_id);
      return true;
    });
    index++;
    if (committed) done++;
    await hooks.progress?.(done, state.unitsTotal);
  }
  if (!state.steps.split) await markStep(d.db, month, 'split', { units: state.unitsTotal });

  // Step 3 — payouts: one due payout per artist, checked against the books.
  state = (await closeState(d.db, month))!;
  if (!state.steps.payouts) {
    await d.db.transaction(async (t) => {
      await select(
        d.db,
        `INSERT INTO money_payouts (month, artist, artist_user_id, amount, listeners, status)
         SELECT month, artist, (array_agg(artist_user_id) FILTER (WHERE artist_user_id IS NOT NULL))[1], sum(amount), count(DISTINCT user_id), 'due'
         FROM money_allocations WHERE month = :month GROUP BY month, artist HAVING sum(amount) > 0
         ON CONFLICT DO NOTHING`,
        { month },
        t,
      );
      const due = await selectOne<{ total: string }>(d.db, 'SELECT coalesce(sum(amount), 0) AS total FROM money_payouts WHERE month = :month', { month }, t);
      const balance = await d.books.balance(accounts.payoutDue(month).key, t);
      if (Number(due!.total) !== balance) throw new Error(`month ${month}: payouts (${due!.total}) do not match the payout-due account (${balance})`);
      await markStep(d.db, month, 'payouts', { total: balance }, t);
    });
  }

  // Step 4 — reconcile with the shared ledger's close (when there is one).
  state = (await closeState(d.db, month))!;
  if (!state.steps.reconcile) {
    const mismatch = d.reconcile ? await d.reconcile(month) : null;
    if (mismatch) {
      log.error({ mismatch }, 'month close refused: the books do not match the shared ledger');
      await select(d.db, "UPDATE month_closes SET status = 'refused', error = :error WHERE month = :month", { month, error: mismatch });
      throw new AppError(409, 'ledger_mismatch', `Month ${month}: the books do not match the shared ledger: ${mismatch}`);
    }
    await markStep(d.db, month, 'reconcile', { withLedger: !!d.reconcile });
  }
  await select(d.db, "UPDATE month_closes SET status = 'closed', error = NULL, closed_at = coalesce(closed_at, now()) WHERE month = :month", { month });
  log.info('month closed');
  return (await closeState(d.db, month))!;
}

async function splitUnit(d: CloseDeps, t: Transaction, month: string, policy: NoListeningPolicy, u: UnitRow): Promise<void> {
  const userId = u.user_id;
  const charged = Number(u.charged);
  const nodeFee = Number(u.node_fee);
  const rollover = accounts.rollover(userId);
  const balances = await d.books.lock([rollover, accounts.pool(month)], t);
  const carried = balances.get(rollover.key) ?? 0;
  const rows = await select<{ artist: string; artist_user_id: string | null; seconds: string; held: boolean }>(
    d.db,
    'SELECT artist, artist_user_id, seconds, held FROM money_close_seconds WHERE month = :month AND user_id = :userId',
    { month, userId },
    t,
  );
  const artistSeconds = rows.map((r) => ({ artist: r.artist, seconds: Number(r.seconds) }));
  const held = rows.filter((r) => r.held).map((r) => ({ artist: r.artist, seconds: Number(r.seconds) }));
  const localId = new Map<string, string>();
  for (const r of rows) if (r.artist_user_id) localId.set(r.artist, r.artist_user_id);
  const split = splitSubscription({ amount: charged, nodeFee: Math.min(nodeFee, charged), artistSeconds, held, credit: carried });

  if (split.nodeFee > 0) {
    await d.books.move({ key: `close:${month}:${userId}:node-fee`, kind: 'close.node-fee', amount: split.nodeFee, from: accounts.pool(month), to: accounts.nodeFee(), memo: { month, userId } }, t);
  }
  const legs: { account: AccountRef; amount: number }[] = [];
  if (charged - split.nodeFee > 0) legs.push({ account: accounts.pool(month), amount: -(charged - split.nodeFee) });
  let outcome = 'split';
  if (split.unallocated > 0) {
    // No qualified listening: the pool part follows the node's policy; credit already
    // carried stays carried (under 'rollover') or follows the policy too.
    outcome = policy;
    if (policy === 'rollover') {
      const fresh = split.unallocated - carried;
      if (fresh > 0) legs.push({ account: rollover, amount: fresh });
    } else {
      if (carried > 0) legs.push({ account: rollover, amount: -carried });
      legs.push({ account: policy === 'node' ? accounts.nodeFee() : accounts.wallet(userId), amount: split.unallocated });
    }
  } else {
    if (carried > 0) legs.push({ account: rollover, amount: -carried });
    const paid = split.artists.reduce((a, x) => a + x.amount, 0);
    if (paid > 0) legs.push({ account: accounts.payoutDue(month), amount: paid });
    if (split.heldTotal > 0) legs.push({ account: accounts.held(), amount: split.heldTotal });
  }
  const nonZero = legs.filter((l) => l.amount !== 0);
  if (nonZero.length >= 2) {
    await d.books.post({ key: `close:${month}:${userId}:split`, kind: `close.${outcome}`, legs: nonZero, memo: { month, userId, carried } }, t);
  }
  const heldBy = new Map(split.held.map((h) => [h.artist, h]));
  let rank = 0;
  for (const a of split.artists) {
    const h = heldBy.get(a.artist);
    await select(
      d.db,
      `INSERT INTO money_allocations (month, user_id, artist, artist_user_id, rank, seconds, amount, held_amount)
       VALUES (:month, :userId, :artist, :artistUserId, :rank, :seconds, :amount, :held)`,
      { month, userId, artist: a.artist, artistUserId: localId.get(a.artist) ?? null, rank: ++rank, seconds: a.seconds + (h?.seconds ?? 0), amount: a.amount, held: h?.amount ?? 0 },
      t,
    );
    if (h && h.amount > 0) {
      await select(
        d.db,
        `INSERT INTO money_holds (month, user_id, artist, artist_user_id, amount, status) VALUES (:month, :userId, :artist, :artistUserId, :amount, 'held')`,
        { month, userId, artist: a.artist, artistUserId: localId.get(a.artist) ?? null, amount: h.amount },
        t,
      );
    }
  }
  await select(
    d.db,
    `UPDATE money_close_units SET status = 'done', outcome = :outcome, carried_in = :carried, unallocated = :unallocated, done_at = now()
     WHERE month = :month AND user_id = :userId`,
    { month, userId, outcome, carried, unallocated: split.unallocated },
    t,
  );
}
