// Payouts of a closed month, on the payout day: local artists' shares land in their
// wallets; shares of artists on other nodes become obligations to their actor URI (one
// payable account per remote actor), settled between nodes outside these books.
// Held shares wait in the held account until their dispute resolves (resolveHold).
import type { Sequelize } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { accounts, type Books } from './books.js';
import { assertMonth } from '../http/month.js';
import type * as api from '../../shared/api/index.js';
import { isUuid } from '../../shared/ids.js';
import { payoutMade, type Notify } from './notify.js';

export interface PayoutDeps {
  db: Sequelize;
  books: Books;
  logger: Logger;
}

export type Payout = api.Payout;

export const toPayout = (r: Record<string, unknown>): Payout => ({
  month: String(r.month), artist: String(r.artist), artistUserId: (r.artist_user_id as string) ?? null, amount: Number(r.amount),
  listeners: Number(r.listeners), status: r.status as Payout['status'], paidAt: r.paid_at ? new Date(r.paid_at as Date).toISOString() : null,
});

/** Pays every due payout of a closed month; idempotent per (month, artist). Local artists are told (after commit). */
export async function payMonth(d: PayoutDeps & { notify: Notify }, month: string): Promise<{ paid: number; obligations: number; amount: number }> {
  assertMonth(month);
  const close = await selectOne<{ status: string }>(d.db, 'SELECT status FROM month_closes WHERE month = :month', { month });
  if (!close || close.status !== 'closed') throw new AppError(409, 'month_not_closed', `Month ${month} is not closed yet; close it before paying out`);
  const due = await select<{ artist: string }>(d.db, "SELECT artist FROM money_payouts WHERE month = :month AND status = 'due' ORDER BY artist", { month });
  const result = { paid: 0, obligations: 0, amount: 0 };
  for (const { artist } of due) {
    await d.db.transaction(async (t) => {
      const row = await selectOne<Record<string, unknown>>(d.db, 'SELECT * FROM money_payouts WHERE month = :month AND artist = :artist FOR UPDATE', { month, artist }, t);
      if (!row || row.status !== 'due') return;
      const amount = Number(row.amount);
      const local = row.artist_user_id as string | null;
      const moved = await d.books.move(
        {
          key: `payout:${month}:${artist}`, kind: local ? 'payout' : 'payout.obligation', amount, from: accounts.payoutDue(month),
          to: local ? accounts.wallet(local) : accounts.remotePayable(artist), memo: { month, artist }, reference: artist,
        },
        t,
      );
      await select(
        d.db,
        'UPDATE money_payouts SET status = :status, transaction_id = :tx, paid_at = now() WHERE month = :month AND artist = :artist',
        { month, artist, status: local ? 'paid' : 'obligation', tx: moved.id },
        t,
      );
      if (local) t.afterCommit(() => d.notify(payoutMade({ month, artist, artistUserId: local, amount, currency: d.books.currency })));
      if (local) result.paid++;
      else result.obligations++;
      result.amount += amount;
    });
  }
  await select(d.db, 'UPDATE month_closes SET paid_at = coalesce(paid_at, now()) WHERE month = :month', { month });
  d.logger.info({ month, ...result }, 'month paid out');
  return result;
}

/** A dispute decided: release a held share to its artist, or refund it to the listener. */
export async function resolveHold(d: PayoutDeps, holdId: string, decision: 'release' | 'refund'): Promise<'released' | 'refunded'> {
  if (!isUuid(holdId)) throw notFound('Hold');
  return d.db.transaction(async (t) => {
    const row = await selectOne<Record<string, unknown>>(d.db, 'SELECT * FROM money_holds WHERE id = :id FOR UPDATE', { id: holdId }, t);
    if (!row) throw notFound('Hold');
    // The status travels with the refusal: a retried decision can tell it was done its way.
    if (row.status !== 'held') throw new AppError(409, 'hold_resolved', `This hold was already ${row.status}`, { status: row.status });
    const local = row.artist_user_id as string | null;
    const to = decision === 'refund' ? accounts.wallet(String(row.user_id)) : local ? accounts.wallet(local) : accounts.remotePayable(String(row.artist));
    await d.books.move({ key: `hold:${holdId}:${decision}`, kind: `hold.${decision}`, amount: Number(row.amount), from: accounts.held(), to, memo: { holdId } }, t);
    const status = decision === 'refund' ? 'refunded' : 'released';
    await select(d.db, 'UPDATE money_holds SET status = :status, resolved_at = now() WHERE id = :id', { id: holdId, status }, t);
    return status;
  });
}
