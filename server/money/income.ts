// A day's income besides the subscription split, per artist, to the ledger
// (IncomeContract:submit): tips this node's listeners paid (after the node's cut; remote
// artists by their channel), payment-stream withdrawals (by the recipient's actor) and metered
// sales (pay-per-segment, after the node's cut, by the track's channel). Reported
// once per day, through the ledger outbox, after the day ends in money.timeZone; a month close
// first reports every day of its month, so the statement sums them.
import type { Sequelize } from 'sequelize';
import { select, selectOne } from '../db/index.js';
import type { AccountsApi } from '../accounts/contract.js';
import type { LedgerApi } from '../ledger/contract.js';
import { userActorUri } from '../../shared/actor-uris.js';
import { compareKeys } from '../../shared/money/index.js';
import { dateOf } from '../../shared/month.js';

export interface ArtistIncome {
  artist: string;
  tips: number;
  streams: number;
  metered: number;
}

const FN = 'IncomeContract:submit';

class AlreadyReported extends Error {}

export class IncomeReports {
  /** Ended days found without such income (not asked again in this process). */
  private readonly emptyDays = new Set<string>();

  constructor(
    private readonly db: Sequelize,
    private readonly deps: {
      publicUrl: string;
      currency: string;
      timeZone: () => string;
      ledger: () => LedgerApi;
      accounts: () => Pick<AccountsApi, 'usernames'>;
    },
  ) {}

  /** The day's income per artist (YYYY-MM-DD in money.timeZone), sorted by artist. */
  figures(day: string): Promise<ArtistIncome[]> {
    return this.figuresBetween(day, day);
  }

  /** Income per artist over days `from` to `to` (inclusive, in money.timeZone), sorted by artist. */
  async figuresBetween(from: string, to: string): Promise<ArtistIncome[]> {
    const repl = { from, to, tz: this.deps.timeZone() };
    const tips = await select<{ artist: string; amount: string }>(
      this.db,
      `SELECT artist_uri AS artist, sum(amount - node_cut) AS amount FROM money_tips
        WHERE direction IN ('local', 'out') AND (created_at AT TIME ZONE :tz)::date BETWEEN CAST(:from AS date) AND CAST(:to AS date) GROUP BY artist_uri`,
      repl,
    );
    const streams = await select<{ recipient_id: string; amount: string }>(
      this.db,
      `SELECT s.recipient_id, sum(t.amount) AS amount FROM money_transactions t JOIN money_streams s ON s.id::text = t.reference
        WHERE t.kind = 'stream.withdraw' AND (t.created_at AT TIME ZONE :tz)::date BETWEEN CAST(:from AS date) AND CAST(:to AS date) GROUP BY s.recipient_id`,
      repl,
    );
    const metered = await select<{ artist: string; amount: string }>(
      this.db,
      `SELECT artist_uri AS artist, sum(amount - node_cut) AS amount FROM money_metered_purchases
        WHERE (paid_at AT TIME ZONE :tz)::date BETWEEN CAST(:from AS date) AND CAST(:to AS date) GROUP BY artist_uri`,
      repl,
    );
    const names = await this.deps.accounts().usernames(streams.map((s) => s.recipient_id));
    const by = new Map<string, ArtistIncome>();
    const entry = (artist: string) => by.get(artist) ?? by.set(artist, { artist, tips: 0, streams: 0, metered: 0 }).get(artist)!;
    for (const t of tips) entry(t.artist).tips += Number(t.amount);
    for (const m of metered) entry(m.artist).metered += Number(m.amount);
    for (const s of streams) {
      const name = names.get(s.recipient_id);
      if (name) entry(userActorUri(this.deps.publicUrl, name)).streams += Number(s.amount);
    }
    return [...by.values()].filter((e) => e.tips + e.streams + e.metered > 0).sort((a, b) => compareKeys(a.artist, b.artist));
  }

  /**
   * Queues the day's report on the ledger outbox, once (the outbox id), or null when the
   * chaincode has no IncomeContract or the day had no such income.
   */
  async report(day: string): Promise<string | null> {
    const ledger = this.deps.ledger();
    if (!ledger.has(FN)) return null;
    const done = await selectOne<{ outbox_id: string }>(this.db, 'SELECT outbox_id FROM money_income_reports WHERE day = CAST(:day AS date)', { day });
    if (done) return done.outbox_id;
    if (this.emptyDays.has(day)) return null;
    const income = await this.figures(day);
    if (!income.length) {
      // A day that has ended cannot gain income: the worker's tick need not sum it again.
      if (day < dateOf(new Date(), this.deps.timeZone()) && this.emptyDays.size < 1000) this.emptyDays.add(day);
      return null;
    }
    try {
      return await this.db.transaction(async (t) => {
        const id = await ledger.enqueueSubmit(t, FN, [JSON.stringify({ nodeId: ledger.nodeId, day, currency: this.deps.currency, income })]);
        const [row] = await select(this.db, 'INSERT INTO money_income_reports (day, artists, outbox_id) VALUES (CAST(:day AS date), :n, :id) ON CONFLICT DO NOTHING RETURNING day', { day, n: income.length, id }, t);
        if (!row) throw new AlreadyReported();
        return id;
      });
    } catch (err) {
      if (err instanceof AlreadyReported) return this.report(day);
      throw err;
    }
  }

  /** Every day of the month reported and on the ledger (before its close). */
  async reportMonth(month: string): Promise<void> {
    const [y, m] = month.split('-').map(Number);
    const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
    for (let d = 1; d <= days; d++) {
      const id = await this.report(`${month}-${String(d).padStart(2, '0')}`);
      if (id) await this.deps.ledger().waitForOutbox(id, 120_000);
    }
  }
}
