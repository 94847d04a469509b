// Investment campaigns to the ledger (InvestmentContract, decision 0309): each settled campaign
// once (its terms and outcome public, its investor rows under the investors' pseudonyms private
// to the node's organisation), then each ended day's repayments once, in the campaign's order.
// Through the ledger outbox, inside a database transaction that also records what was sent, so
// a crash or a second worker sends nothing twice. Also the node's figures as of a repayment, for
// the auditor's recompute (the ledger's InvestmentFiguresPort).
import type { Sequelize } from 'sequelize';
import { select, selectOne, type Transaction } from '../db/index.js';
import type { LedgerApi, NodeCampaignFigures } from '../ledger/contract.js';
import type { MediaApi } from '../media/contract.js';
import { channelActorUri } from '../../shared/actor-uris.js';
import { isUuid } from '../../shared/ids.js';
import { investorRowsHash, sha256Hex, type InvestorRow } from '../../shared/money/index.js';
import { dateOf, monthOf } from '../../shared/month.js';

const RECORD = 'InvestmentContract:recordCampaign';
const REPAY = 'InvestmentContract:recordRepayments';
/** Campaigns looked at per run (the next tick takes the rest). */
const BATCH = 200;
/**
 * A repayment's day has ended: before `now`'s day, and before the database's own day (it stamps
 * the repayments; a node clock running ahead must not report a day the database still writes to).
 */
const DAY_ENDED = `(r.created_at AT TIME ZONE :tz)::date < LEAST(CAST(:today AS date), (clock_timestamp() AT TIME ZONE :tz)::date)`;

interface SettledRow {
  id: string;
  channel_id: string;
  currency: string;
  goal: string;
  share_bp: number;
  cap_bp: number;
  status: 'open' | 'funded' | 'failed' | 'cancelled';
  raised: string;
  settled_at: Date;
}

interface RepaymentRow {
  seq: string;
  income_key: string;
  income_kind: string;
  income_amount: string;
  share: string;
  paid: string;
  day: string;
}

export class CampaignLedger {
  constructor(
    private readonly db: Sequelize,
    private readonly deps: {
      publicUrl: string;
      timeZone: () => string;
      ledger: () => LedgerApi;
      media: () => Pick<MediaApi, 'getChannel'>;
      /** The investor's pseudonym of a month (listening's one pseudonym store). */
      pseudonym: (userId: string, month: string) => Promise<string>;
    },
  ) {}

  /**
   * Queues what is due: every settled campaign not on the ledger yet, then each day before
   * `now`'s day (money.timeZone) with repayments not sent yet. Returns how many writes it queued;
   * nothing when the chaincode has no InvestmentContract.
   */
  async report(now = new Date()): Promise<number> {
    const ledger = this.deps.ledger();
    if (!ledger.has(RECORD)) return 0;
    const tz = this.deps.timeZone();
    const today = dateOf(now, tz);
    const due = await select<{ id: string }>(
      this.db,
      `SELECT c.id FROM money_campaigns c
        WHERE c.status <> 'open' AND c.settled_at IS NOT NULL AND (
          NOT EXISTS (SELECT 1 FROM money_campaign_ledger_reports l WHERE l.campaign_id = c.id AND l.kind = 'settlement')
          OR (c.status = 'funded' AND EXISTS (
            SELECT 1 FROM money_campaign_repayments r
             WHERE r.campaign_id = c.id AND ${DAY_ENDED}
               AND r.seq > coalesce((SELECT max(l.last_seq) FROM money_campaign_ledger_reports l WHERE l.campaign_id = c.id AND l.kind = 'repayments'), 0))))
        ORDER BY c.settled_at, c.id LIMIT ${BATCH}`,
      { tz, today },
    );
    let queued = 0;
    let failure: unknown;
    for (const { id } of due) {
      try {
        queued += await this.db.transaction((t) => this.reportCampaign(t, ledger, id, today, tz));
      } catch (err) {
        // One campaign that cannot be reported holds back no other; the error reaches the tick.
        failure ??= err;
      }
    }
    if (failure) throw failure;
    return queued;
  }

  /** One campaign's settlement and ended days, in one transaction holding the campaign's row. */
  private async reportCampaign(t: Transaction, ledger: LedgerApi, id: string, today: string, tz: string): Promise<number> {
    // The lock waits for a repayment in flight (repayFromIncome holds the row) and keeps a second
    // reporter out: what is read below is complete up to today, and sent once.
    const c = await selectOne<SettledRow>(this.db, 'SELECT * FROM money_campaigns WHERE id = :id FOR UPDATE', { id }, t);
    if (!c || c.status === 'open') return 0;
    const sent = await select<{ kind: string; last_seq: string }>(this.db, 'SELECT kind, last_seq FROM money_campaign_ledger_reports WHERE campaign_id = :id', { id }, t);
    let queued = 0;
    if (!sent.some((s) => s.kind === 'settlement')) {
      await this.reportSettlement(t, ledger, c, tz);
      queued++;
    }
    if (c.status !== 'funded') return queued;
    const after = Math.max(0, ...sent.filter((s) => s.kind === 'repayments').map((s) => Number(s.last_seq)));
    const rows = await select<RepaymentRow>(
      this.db,
      `SELECT r.seq, r.income_key, r.income_kind, r.income_amount, r.share, r.paid, to_char((r.created_at AT TIME ZONE :tz)::date, 'YYYY-MM-DD') AS day
         FROM money_campaign_repayments r
        WHERE r.campaign_id = :id AND r.seq > :after AND ${DAY_ENDED} ORDER BY r.seq`,
      { id, after, tz, today },
      t,
    );
    // Seq and time rise together within a campaign (both taken under its lock): days come in order.
    const days = new Map<string, RepaymentRow[]>();
    for (const r of rows) days.set(r.day, [...(days.get(r.day) ?? []), r]);
    for (const [day, list] of days) {
      const repayments = list.map((r) => ({
        seq: Number(r.seq), incomeHash: sha256Hex(r.income_key), incomeKind: r.income_kind, incomeAmount: Number(r.income_amount), share: Number(r.share), paid: Number(r.paid),
      }));
      const outboxId = await ledger.enqueueSubmit(t, REPAY, [JSON.stringify({ nodeId: ledger.nodeId, campaignId: id, day, repayments })]);
      await this.markSent(t, id, 'repayments', day, outboxId, repayments.at(-1)!.seq);
      queued++;
    }
    return queued;
  }

  private async reportSettlement(t: Transaction, ledger: LedgerApi, c: SettledRow, tz: string): Promise<void> {
    const month = monthOf(c.settled_at, tz);
    const settledDay = dateOf(c.settled_at, tz);
    const counts = await selectOne<{ pledges: string; investors: string }>(
      this.db,
      'SELECT count(*) AS pledges, count(DISTINCT investor_id) AS investors FROM money_pledges WHERE campaign_id = :id',
      { id: c.id },
      t,
    );
    // In the order the books split in (ascending account id): the replay breaks ties the same way.
    const stakes = await select<{ investor_id: string; invested: string; cap: string }>(
      this.db,
      'SELECT investor_id, invested, cap FROM money_campaign_investors WHERE campaign_id = :id ORDER BY investor_id',
      { id: c.id },
      t,
    );
    const rows: InvestorRow[] = [];
    for (const s of stakes) rows.push({ investor: await this.deps.pseudonym(s.investor_id, month), invested: Number(s.invested), cap: Number(s.cap) });
    const channel = await this.deps.media().getChannel(c.channel_id);
    if (!channel) throw new Error(`campaign ${c.id}: its channel ${c.channel_id} is gone`);
    const settlement = {
      nodeId: ledger.nodeId,
      campaignId: c.id,
      artist: channelActorUri(this.deps.publicUrl, channel.name),
      currency: c.currency,
      goal: Number(c.goal),
      shareBasisPoints: c.share_bp,
      capBasisPoints: c.cap_bp,
      raised: Number(c.raised),
      pledges: Number(counts?.pledges ?? 0),
      investors: Number(counts?.investors ?? 0),
      status: c.status,
      settledDay,
      investorsHash: investorRowsHash(rows),
    };
    const outboxId = await ledger.enqueueSubmit(t, RECORD, [JSON.stringify(settlement)], rows.length ? { investors: JSON.stringify(rows) } : undefined);
    await this.markSent(t, c.id, 'settlement', settledDay, outboxId, 0);
  }

  private async markSent(t: Transaction, campaignId: string, kind: 'settlement' | 'repayments', day: string, outboxId: string, lastSeq: number): Promise<void> {
    await select(
      this.db,
      'INSERT INTO money_campaign_ledger_reports (campaign_id, kind, day, last_seq, outbox_id) VALUES (:campaignId, :kind, CAST(:day AS date), :lastSeq, :outboxId)',
      { campaignId, kind, day, lastSeq, outboxId },
      t,
    );
  }

  /**
   * The node's figures of a campaign as they stood after repayment `throughSeq` (what the ledger
   * has so far): money_campaigns.repaid and each investor's money_campaign_investors.received,
   * less what later repayments added, by the investor's pseudonym. Undefined when no such
   * campaign is settled here.
   */
  async figures(campaignId: string, throughSeq: number): Promise<NodeCampaignFigures | undefined> {
    if (!isUuid(campaignId)) return undefined;
    const c = await selectOne<{ repaid: string; later: string; settled_at: Date | null }>(
      this.db,
      `SELECT c.repaid, c.settled_at,
              (SELECT coalesce(sum(r.paid), 0) FROM money_campaign_repayments r WHERE r.campaign_id = c.id AND r.seq > :throughSeq) AS later
         FROM money_campaigns c WHERE c.id = :campaignId`,
      { campaignId, throughSeq },
    );
    if (!c?.settled_at) return undefined;
    const month = monthOf(c.settled_at, this.deps.timeZone());
    const investors = await select<{ investor_id: string; received: string; later: string }>(
      this.db,
      `SELECT i.investor_id, i.received,
              (SELECT coalesce(sum(s.amount), 0) FROM money_campaign_repayment_shares s JOIN money_campaign_repayments r ON r.seq = s.seq
                WHERE r.campaign_id = i.campaign_id AND s.investor_id = i.investor_id AND s.seq > :throughSeq) AS later
         FROM money_campaign_investors i WHERE i.campaign_id = :campaignId ORDER BY i.investor_id`,
      { campaignId, throughSeq },
    );
    const out: NodeCampaignFigures['investors'] = [];
    for (const i of investors) out.push({ investor: await this.deps.pseudonym(i.investor_id, month), received: Number(i.received) - Number(i.later) });
    return { campaignId, repaid: Number(c.repaid) - Number(c.later), investors: out };
  }
}
