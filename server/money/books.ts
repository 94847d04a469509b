// The node's books: accounts and balanced, idempotent transactions in Postgres.
// Every movement goes through `post`; nothing else writes money_entries.
import { createHash } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { assertAmount, insufficientFunds } from './amounts.js';
import type * as api from '../../shared/api/index.js';

export type AccountKind =
  | 'wallet' | 'node_fee' | 'pool' | 'payout_due' | 'held' | 'rollover' | 'escrow' | 'payable' | 'remote_payable' | 'external';

/** How an account is named: a stable key (unique), its kind and its owner. */
export interface AccountRef {
  key: string;
  kind: AccountKind;
  userId?: string;
  actorUri?: string;
}

/** The well-known accounts. */
export const accounts = {
  wallet: (userId: string): AccountRef => ({ key: `wallet:${userId}`, kind: 'wallet', userId }),
  nodeFee: (): AccountRef => ({ key: 'node-fee', kind: 'node_fee' }),
  pool: (month: string): AccountRef => ({ key: `pool:${month}`, kind: 'pool' }),
  payoutDue: (month: string): AccountRef => ({ key: `payout-due:${month}`, kind: 'payout_due' }),
  held: (): AccountRef => ({ key: 'held', kind: 'held' }),
  rollover: (userId: string): AccountRef => ({ key: `rollover:${userId}`, kind: 'rollover', userId }),
  giftEscrow: (): AccountRef => ({ key: 'escrow:gift-links', kind: 'escrow' }),
  withdrawalsPayable: (): AccountRef => ({ key: 'payable:withdrawals', kind: 'payable' }),
  remotePayable: (actorUri: string): AccountRef => ({ key: `remote:${actorUri}`, kind: 'remote_payable', actorUri }),
  externalIn: (provider: string): AccountRef => ({ key: `external:in:${provider}`, kind: 'external' }),
  externalOut: (what: string): AccountRef => ({ key: `external:out:${what}`, kind: 'external' }),
};

/** What every movement carries besides its amounts. */
interface MovementFields {
  /** Idempotency key: the same key twice moves money once. */
  key: string;
  kind: string;
  provider?: string;
  fee?: number;
  rate?: string;
  reference?: string;
  memo?: Record<string, unknown>;
  corrects?: string;
}

export interface Movement extends MovementFields {
  from: AccountRef;
  to: AccountRef;
  amount: number;
}

/**
 * The kinds of transaction that are an artist's income (the one hook new income sources plug
 * into: give their transactions one of these kinds, or add theirs here).
 */
export const INCOME_KINDS = new Set(['payout', 'hold.release', 'tip', 'metered', 'stream.withdraw']);

export interface IncomeCredit {
  userId: string;
  amount: number;
  /** The income transaction's idempotency key. */
  key: string;
  kind: string;
}

export interface Posting extends MovementFields {
  /** Signed amounts per account; must sum to zero. Positive = into the account. */
  legs: { account: AccountRef; amount: number }[];
}

export type PostedTransaction = api.MoneyTransaction;

interface TxRow {
  id: string;
  idempotency_key: string;
  request_hash: string;
  kind: string;
  provider: string | null;
  currency: string;
  amount: string;
  fee: string;
  rate: string;
  reference: string | null;
  memo: Record<string, unknown>;
  created_at: Date;
}

export type Entry = api.WalletEntry;

export type Health = api.BooksHealth;

export class Books {
  /** Account ids by key (see ensureAccount). */
  private readonly accountIds = new Map<string, string>();
  constructor(
    private readonly db: Sequelize,
    readonly currency: string,
  ) {}

  /** Finds or creates an account; returns its id. */
  async ensureAccount(ref: AccountRef, t?: Transaction): Promise<string> {
    const known = this.accountIds.get(ref.key);
    if (known) return known;
    const found = await selectOne<{ id: string }>(this.db, 'SELECT id FROM money_accounts WHERE key = :key', { key: ref.key }, t);
    if (found) {
      // Accounts are never deleted and their keys never change: an id seen committed is kept.
      // One seen inside a transaction may be that transaction's own insert, kept once it commits.
      const keep = () => {
        if (this.accountIds.size < 100_000) this.accountIds.set(ref.key, found.id);
      };
      if (t) t.afterCommit(keep);
      else keep();
      return found.id;
    }
    await select(
      this.db,
      `INSERT INTO money_accounts (key, kind, user_id, actor_uri, currency, may_go_negative)
       VALUES (:key, :kind, :userId, :actorUri, :currency, :neg) ON CONFLICT (key) DO NOTHING`,
      { key: ref.key, kind: ref.kind, userId: ref.userId ?? null, actorUri: ref.actorUri ?? null, currency: this.currency, neg: ref.kind === 'external' },
      t,
    );
    const row = await selectOne<{ id: string }>(this.db, 'SELECT id FROM money_accounts WHERE key = :key', { key: ref.key }, t);
    return row!.id;
  }

  /** The ids of many accounts (created when missing): the known ones read in one query (an income may repay thousands of investors). */
  async ensureAccounts(refs: AccountRef[], t?: Transaction): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const unknown = new Map<string, AccountRef>();
    for (const ref of refs) {
      const known = this.accountIds.get(ref.key);
      if (known) ids.set(ref.key, known);
      else unknown.set(ref.key, ref);
    }
    if (unknown.size > 1) {
      const rows = await select<{ id: string; key: string }>(this.db, 'SELECT id, key FROM money_accounts WHERE key IN (:keys)', { keys: [...unknown.keys()] }, t);
      for (const r of rows) {
        ids.set(r.key, r.id);
        unknown.delete(r.key);
      }
      const keep = () => {
        for (const r of rows) if (this.accountIds.size < 100_000) this.accountIds.set(r.key, r.id);
      };
      if (t) t.afterCommit(keep);
      else keep();
    }
    for (const ref of unknown.values()) ids.set(ref.key, await this.ensureAccount(ref, t));
    return ids;
  }

  /** Locks accounts (created when missing) in id order, like `post` does; returns balances by key. */
  async lock(refs: AccountRef[], t: Transaction): Promise<Map<string, number>> {
    const ids: string[] = [];
    for (const ref of refs) ids.push(await this.ensureAccount(ref, t));
    const rows = await select<{ key: string; balance: string }>(
      this.db,
      'SELECT key, balance FROM money_accounts WHERE id IN (:ids) ORDER BY id FOR UPDATE',
      { ids },
      t,
    );
    return new Map(rows.map((r) => [r.key, Number(r.balance)]));
  }

  async balance(key: string, t?: Transaction): Promise<number> {
    const row = await selectOne<{ balance: string }>(this.db, 'SELECT balance FROM money_accounts WHERE key = :key', { key }, t);
    return Number(row?.balance ?? 0);
  }

  /** A simple two-leg movement from one account to another. */
  async move(m: Movement, t?: Transaction): Promise<PostedTransaction> {
    assertAmount(m.amount);
    const { from, to, amount, ...rest } = m;
    return this.post({ ...rest, legs: [{ account: from, amount: -amount }, { account: to, amount }] }, t);
  }

  /**
   * Posts a balanced transaction once per idempotency key. Locks the accounts it touches
   * in a fixed order (by id), refuses an overdraft of any non-external account, and
   * returns the first result when the key was used before (`replayed: true`).
   */
  /** Called inside the transaction that credits income to a wallet (investment repayments). */
  onIncome?: (t: Transaction, credit: IncomeCredit) => Promise<void>;

  async post(p: Posting, outer?: Transaction): Promise<PostedTransaction> {
    if (!p.key || p.key.length > 300) throw new AppError(400, 'invalid_idempotency_key', 'An idempotency key (1-300 characters) is required');
    if (p.legs.length < 2) throw new AppError(500, 'unbalanced', 'A transaction needs at least two entries');
    for (const leg of p.legs) {
      if (!Number.isSafeInteger(leg.amount) || leg.amount === 0) throw new AppError(400, 'invalid_amount', `Entry amounts must be non-zero whole numbers, got ${leg.amount}`);
    }
    const sum = p.legs.reduce((a, l) => a + l.amount, 0);
    if (sum !== 0) throw new AppError(500, 'unbalanced', `Entries must sum to zero (got ${sum})`);
    if (p.fee !== undefined && (!Number.isSafeInteger(p.fee) || p.fee < 0)) throw new AppError(400, 'invalid_amount', 'fee must be a non-negative whole number');
    const gross = p.legs.filter((l) => l.amount > 0).reduce((a, l) => a + l.amount, 0);
    const requestHash = createHash('sha256')
      .update(JSON.stringify([p.kind, p.legs.map((l) => [l.account.key, l.amount]), p.fee ?? 0, p.rate ?? '1']))
      .digest('hex');

    const run = async (t: Transaction): Promise<PostedTransaction> => {
      const inserted = await select<TxRow>(
        this.db,
        `INSERT INTO money_transactions (idempotency_key, request_hash, kind, provider, currency, amount, fee, rate, reference, memo, corrects)
         VALUES (:key, :hash, :kind, :provider, :currency, :amount, :fee, :rate, :reference, :memo, :corrects)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        {
          key: p.key, hash: requestHash, kind: p.kind, provider: p.provider ?? null, currency: this.currency, amount: gross,
          fee: p.fee ?? 0, rate: p.rate ?? '1', reference: p.reference ?? null, memo: JSON.stringify(p.memo ?? {}), corrects: p.corrects ?? null,
        },
        t,
      );
      if (!inserted.length) {
        const existing = await this.byKey(p.key, t);
        if (!existing) throw new AppError(409, 'idempotency_conflict', 'A concurrent request with this idempotency key did not complete; retry');
        if (existing.hash !== requestHash) {
          throw conflict('idempotency_key_reused', `The idempotency key "${p.key}" was already used for a different movement`);
        }
        return { ...existing.tx, replayed: true };
      }
      const tx = inserted[0];
      const ids = await this.ensureAccounts(p.legs.map((l) => l.account), t);
      // Lock every touched account in id order: concurrent posts never deadlock, and the
      // balance we check is the one we change.
      const locked = await select<{ id: string; key: string; balance: string; may_go_negative: boolean; currency: string }>(
        this.db,
        'SELECT id, key, balance, may_go_negative, currency FROM money_accounts WHERE id IN (:ids) ORDER BY id FOR UPDATE',
        { ids: [...ids.values()] },
        t,
      );
      const foreign = locked.find((a) => a.currency !== this.currency);
      if (foreign) throw new AppError(409, 'currency_mismatch', `Account ${foreign.key} is kept in ${foreign.currency}, not ${this.currency}; the books never convert`);
      const delta = new Map<string, number>();
      for (const leg of p.legs) delta.set(leg.account.key, (delta.get(leg.account.key) ?? 0) + leg.amount);
      for (const acc of locked) {
        const d = delta.get(acc.key) ?? 0;
        const balance = Number(acc.balance);
        if (!acc.may_go_negative && balance + d < 0) throw insufficientFunds(-d, balance);
      }
      const values = p.legs.map((_, i) => `(:tx, :acc${i}, :amt${i})`).join(', ');
      const repl: Record<string, unknown> = { tx: tx.id };
      p.legs.forEach((leg, i) => {
        repl[`acc${i}`] = ids.get(leg.account.key);
        repl[`amt${i}`] = leg.amount;
      });
      await select(this.db, `INSERT INTO money_entries (transaction_id, account_id, amount) VALUES ${values}`, repl, t);
      // Income credited to a user's wallet: what is owed out of it (investors' shares) is taken in
      // the same database transaction, so it can neither be missed nor spent first.
      if (this.onIncome && INCOME_KINDS.has(p.kind)) {
        // One call per user credited (two legs to one wallet are one income of it).
        const credited = new Map<string, number>();
        for (const leg of p.legs) if (leg.amount > 0 && leg.account.kind === 'wallet' && leg.account.userId) credited.set(leg.account.userId, (credited.get(leg.account.userId) ?? 0) + leg.amount);
        for (const [userId, amount] of credited) await this.onIncome(t, { userId, amount, key: p.key, kind: p.kind });
      }
      return { ...toPosted(tx, p.legs.map((l) => ({ account: l.account.key, amount: l.amount }))), replayed: false };
    };

    if (outer) return run(outer);
    try {
      return await this.db.transaction((t) => run(t));
    } catch (err) {
      // Two first-time posts with one key raced: the loser's insert waited, then found the row.
      if (/money_transactions_idempotency/.test(String((err as Error).message))) {
        const existing = await this.byKey(p.key);
        if (existing) return { ...existing.tx, replayed: true };
      }
      throw err;
    }
  }

  async byKey(key: string, t?: Transaction): Promise<{ tx: Omit<PostedTransaction, 'replayed'>; hash: string } | undefined> {
    const row = await selectOne<TxRow>(this.db, 'SELECT * FROM money_transactions WHERE idempotency_key = :key', { key }, t);
    if (!row) return undefined;
    const entries = await select<{ key: string; amount: string }>(
      this.db,
      'SELECT a.key, e.amount FROM money_entries e JOIN money_accounts a ON a.id = e.account_id WHERE e.transaction_id = :id ORDER BY e.id',
      { id: row.id },
      t,
    );
    return { tx: toPosted(row, entries.map((e) => ({ account: e.key, amount: Number(e.amount) }))), hash: row.request_hash };
  }

  async transaction(id: string): Promise<Omit<PostedTransaction, 'replayed'>> {
    const row = await selectOne<TxRow>(this.db, 'SELECT * FROM money_transactions WHERE id = :id', { id });
    if (!row) throw notFound('Transaction');
    return (await this.byKey(row.idempotency_key))!.tx;
  }

  /** An account's entries, newest first, paged. */
  async entries(key: string, limit: number, offset: number): Promise<{ total: number; data: Entry[] }> {
    const rows = await select<{ id: string; transaction_id: string; kind: string; amount: string; provider: string | null; reference: string | null; memo: Record<string, unknown>; created_at: Date }>(
      this.db,
      `SELECT e.id, e.transaction_id, t.kind, e.amount, t.provider, t.reference, t.memo, e.created_at
       FROM money_entries e JOIN money_accounts a ON a.id = e.account_id JOIN money_transactions t ON t.id = e.transaction_id
       WHERE a.key = :key ORDER BY e.id DESC LIMIT :limit OFFSET :offset`,
      { key, limit, offset },
    );
    const total = await selectOne<{ n: string }>(
      this.db,
      'SELECT count(*) AS n FROM money_entries e JOIN money_accounts a ON a.id = e.account_id WHERE a.key = :key',
      { key },
    );
    return {
      total: Number(total?.n ?? 0),
      data: rows.map((r) => ({
        id: Number(r.id), transactionId: r.transaction_id, kind: r.kind, amount: Number(r.amount), provider: r.provider,
        reference: r.reference, memo: r.memo, createdAt: new Date(r.created_at).toISOString(),
      })),
    };
  }

  /** The books balance: every account summed is zero, balances match their entries. */
  async health(): Promise<Health> {
    const totals = await selectOne<{ sum: string; n: string }>(this.db, 'SELECT coalesce(sum(balance), 0) AS sum, count(*) AS n FROM money_accounts');
    const drift = await selectOne<{ n: string }>(
      this.db,
      `SELECT count(*) AS n FROM money_accounts a
       WHERE a.balance <> coalesce((SELECT sum(amount) FROM money_entries e WHERE e.account_id = a.id), 0)`,
    );
    const unbalanced = await selectOne<{ n: string }>(
      this.db,
      'SELECT count(*) AS n FROM (SELECT transaction_id FROM money_entries GROUP BY transaction_id HAVING sum(amount) <> 0) x',
    );
    const sum = Number(totals?.sum ?? 0);
    const drifted = Number(drift?.n ?? 0);
    const unbalancedTransactions = Number(unbalanced?.n ?? 0);
    return { balanced: sum === 0 && drifted === 0 && unbalancedTransactions === 0, sum, accounts: Number(totals?.n ?? 0), drifted, unbalancedTransactions };
  }
}

function toPosted(row: TxRow, entries: { account: string; amount: number }[]): Omit<PostedTransaction, 'replayed'> {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    kind: row.kind,
    provider: row.provider,
    currency: row.currency,
    amount: Number(row.amount),
    fee: Number(row.fee),
    rate: row.rate,
    reference: row.reference,
    memo: row.memo,
    createdAt: new Date(row.created_at).toISOString(),
    entries,
  };
}
