// A user's money when their account is deleted (docs/accounts.md) or exported.
//
// Deleting moves no money by itself and removes nothing from the books: wallets, entries,
// transactions, subscriptions and their charges, tips, streams, pledges and withdrawals stay, as
// double-entry books must (every entry balances another account's, a month close and an audit
// recompute from them). They point at the account's id, which then names no one. What the
// account had running is ended through money's own paths, as its holder would end it: renewal
// stops (the month paid for runs out), the streams it pays are cancelled or closed (the
// unstreamed part returns to its wallet), the streams paying it are stopped (the unstreamed part
// returns to their senders), what streamed to it is withdrawn into its wallet, and
// its open campaigns are cancelled (pledges refunded). The wallet's balance stays in the wallet.
import type { NodeContext } from '../context.js';
import { select } from '../db/index.js';
import { AppError } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import { EXPORT_MAX_ROWS } from '../accounts/lifecycle/export.js';
import type { MoneyService } from './service.js';
import { accounts } from './books.js';

/** A conflict (409) answers "already ended": a deletion run again finds it done. */
const unlessEnded = (err: unknown) => {
  if (!(err instanceof AppError && err.status === 409)) throw err;
};

async function endWhatRuns(ctx: NodeContext, money: MoneyService, user: User): Promise<void> {
  const sub = await money.subscriptions.get(user.id);
  if (sub && (sub.status === 'past_due' || (sub.status === 'active' && !sub.cancelAtPeriodEnd))) await money.subscriptions.cancel(user.id).catch(unlessEnded);
  const db = ctx.db;
  const paying = await select<{ id: string; kind: string; cancelable: boolean }>(db, 'SELECT id, kind, cancelable FROM money_streams WHERE sender_id = :userId AND stopped_at IS NULL', { userId: user.id });
  for (const s of paying) {
    // A rate stream (pay as you watch) is closed as the node closes it; a linear one is cancelled
    // when its sender made it cancelable, and otherwise runs to its end as promised.
    if (s.kind === 'rate') await money.streams.close(s.id, Math.floor(money.streams.clock() / 1000)).catch(unlessEnded);
    else if (s.cancelable) await money.streams.cancel(s.id, user).catch(unlessEnded);
  }
  // What still streams to the account would pay a wallet nobody holds: each is stopped as its
  // sender would stop it (the unstreamed part returns to the sender's wallet), a rate stream
  // closed as the node closes it. A stream made non-cancelable runs to its end (its sender gave
  // that promise up; money has no path that breaks it).
  const incoming = await select<{ id: string; kind: string; sender_id: string; cancelable: boolean }>(
    db,
    'SELECT id, kind, sender_id, cancelable FROM money_streams WHERE recipient_id = :userId AND stopped_at IS NULL',
    { userId: user.id },
  );
  for (const s of incoming) {
    if (s.kind === 'rate') await money.streams.close(s.id, Math.floor(money.streams.clock() / 1000)).catch(unlessEnded);
    else if (s.cancelable) {
      const sender = await ctx.services.accounts.byId(s.sender_id);
      if (sender) await money.streams.cancel(s.id, sender).catch(unlessEnded);
    }
  }
  const receiving = await select<{ id: string }>(db, 'SELECT id FROM money_streams WHERE recipient_id = :userId', { userId: user.id });
  for (const s of receiving) await money.streams.withdraw(s.id, user).catch(unlessEnded);
  const campaigns = await select<{ id: string }>(db, "SELECT id FROM money_campaigns WHERE artist_user_id = :userId AND status = 'open'", { userId: user.id });
  for (const c of campaigns) await money.campaigns.cancel(user, c.id).catch(unlessEnded);
}

const csvCell = (v: unknown) => {
  const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Text a spreadsheet would run as a formula is kept text.
  const s = typeof v !== 'number' && /^[=+@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * The entries of the user's wallet (and of their rollover account), oldest first, as CSV: the
 * newest EXPORT_MAX_ROWS of each, and a last line `# truncated` when one had more.
 */
async function walletStatement(money: MoneyService, user: User): Promise<string> {
  const header = ['date', 'account', 'kind', 'amount', 'currency', 'transaction', 'reference', 'memo'];
  const lines = [header.join(',')];
  const cut: string[] = [];
  for (const [name, ref] of [['wallet', accounts.wallet(user.id)], ['rollover', accounts.rollover(user.id)]] as const) {
    const entries = [];
    for (let offset = 0; ; offset += 500) {
      const page = await money.books.entries(ref.key, Math.min(500, EXPORT_MAX_ROWS - offset), offset);
      entries.push(...page.data);
      if (offset + 500 >= page.total) break;
      if (offset + 500 >= EXPORT_MAX_ROWS) {
        cut.push(`${name} (${page.total} entries)`);
        break;
      }
    }
    // entries() reads newest first; a statement reads oldest first.
    for (const e of entries.reverse()) {
      lines.push([e.createdAt, name, e.kind, e.amount, money.currency, e.transactionId, e.reference, Object.keys(e.memo ?? {}).length ? e.memo : ''].map(csvCell).join(','));
    }
  }
  if (cut.length) lines.push(`# truncated: only the newest ${EXPORT_MAX_ROWS} entries of ${cut.join(' and ')}`);
  return `${lines.join('\n')}\n`;
}

/** Registers money's part of deleting and exporting an account with accounts. */
export function registerMoneyAccountData(ctx: NodeContext, money: MoneyService): void {
  ctx.services.accounts.onUserDeleting((user) => endWhatRuns(ctx, money, user));
  ctx.services.accounts.onExport({ file: 'wallet-statement.csv', collect: (user) => walletStatement(money, user) });
}
