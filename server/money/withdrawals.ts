// Withdrawals: an artist asks for money out; it becomes an obligation (wallet → payable)
// that an admin settles outside the node (bank transfer) and marks settled with a reference.
import { randomUUID } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import { conflict, notFound } from '../http/errors.js';
import { accounts, type Books } from './books.js';
import { assertAmount, assertCurrency } from './amounts.js';
import type * as api from '../../shared/api/index.js';
import { isUuid } from '../../shared/ids.js';

export type Withdrawal = api.Withdrawal;

const toWithdrawal = (r: Record<string, unknown>): Withdrawal => ({
  id: String(r.id), userId: String(r.user_id), amount: Number(r.amount), currency: String(r.currency), destination: (r.destination as string) ?? null,
  status: r.status as Withdrawal['status'], reference: (r.reference as string) ?? null, createdAt: new Date(r.created_at as Date).toISOString(),
  settledAt: r.settled_at ? new Date(r.settled_at as Date).toISOString() : null,
});

export class Withdrawals {
  constructor(
    private readonly db: Sequelize,
    private readonly books: Books,
  ) {}

  async request(userId: string, input: { amount: number; currency?: string; destination?: string }, requestKey?: string): Promise<Withdrawal & { replayed: boolean }> {
    assertAmount(input.amount);
    assertCurrency(input.currency, this.books.currency);
    const id = randomUUID();
    return this.db.transaction(async (t) => {
      const moved = await this.books.move(
        {
          key: requestKey ? `withdrawal:request:${userId}:${requestKey}` : `withdrawal:request:${id}`,
          kind: 'withdrawal.request', amount: input.amount, from: accounts.wallet(userId), to: accounts.withdrawalsPayable(), memo: { withdrawalId: id },
        },
        t,
      );
      if (moved.replayed) {
        const row = await selectOne<Record<string, unknown>>(this.db, 'SELECT * FROM money_withdrawals WHERE id = :id', { id: moved.memo.withdrawalId }, t);
        return { ...toWithdrawal(row!), replayed: true };
      }
      const row = await selectOne<Record<string, unknown>>(
        this.db,
        `INSERT INTO money_withdrawals (id, user_id, amount, currency, destination, status) VALUES (:id, :userId, :amount, :currency, :destination, 'requested') RETURNING *`,
        { id, userId, amount: input.amount, currency: this.books.currency, destination: input.destination ?? null },
        t,
      );
      return { ...toWithdrawal(row!), replayed: false };
    });
  }

  async list(status?: 'requested' | 'settled', limit = 50, offset = 0): Promise<{ total: number; data: Withdrawal[] }> {
    const where = status ? 'WHERE status = :status' : '';
    const rows = await select<Record<string, unknown>>(this.db, `SELECT * FROM money_withdrawals ${where} ORDER BY created_at LIMIT :limit OFFSET :offset`, { status: status ?? null, limit, offset });
    const total = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM money_withdrawals ${where}`, { status: status ?? null });
    return { total: Number(total?.n ?? 0), data: rows.map(toWithdrawal) };
  }

  /** The admin paid it outside the node: payable → external, with the payment's reference. */
  async settle(id: string, reference: string, adminId: string): Promise<Withdrawal> {
    if (!isUuid(id)) throw notFound('Withdrawal');
    return this.db.transaction(async (t) => {
      const row = await selectOne<Record<string, unknown>>(this.db, 'SELECT * FROM money_withdrawals WHERE id = :id FOR UPDATE', { id }, t);
      if (!row) throw notFound('Withdrawal');
      if (row.status === 'settled') throw conflict('already_settled', `Withdrawal ${id} was settled already (reference ${row.reference})`);
      await this.books.move(
        { key: `withdrawal:settle:${id}`, kind: 'withdrawal.settle', amount: Number(row.amount), from: accounts.withdrawalsPayable(), to: accounts.externalOut('withdrawals'), reference, memo: { withdrawalId: id } },
        t,
      );
      const updated = await selectOne<Record<string, unknown>>(
        this.db,
        "UPDATE money_withdrawals SET status = 'settled', reference = :reference, settled_by = :adminId, settled_at = now() WHERE id = :id RETURNING *",
        { id, reference, adminId },
        t,
      );
      return toWithdrawal(updated!);
    });
  }
}
