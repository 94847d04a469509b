// Fan investment campaigns: an artist asks for a goal by a deadline and promises a share of
// future income (basis points) until each investor has received a cap (a multiple of what they
// put in). Fans pledge from their wallet into the campaign's escrow. At the deadline a campaign
// that reached its goal pays the escrow to the artist (less the node's cut); one that did not
// refunds every pledge; the artist may cancel before the deadline (full refunds). Every move is
// a balanced, keyed transaction: a crash mid-settlement or mid-refund resumes at the next
// sweep without paying twice. Repayments come out of the artist's income as it is credited
// (repayFromIncome, called by the books), logged in the order the campaign's lock gives them.
import type { Sequelize } from 'sequelize';
import { select, selectOne, type Transaction } from '../db/index.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { MediaApi } from '../media/contract.js';
import { isUuid } from '../../shared/ids.js';
import { accounts, type AccountRef, type Books, type IncomeCredit } from './books.js';
import { basisPointsOf, splitCapped } from '../../shared/money/index.js';
import { assertAmount, assertCurrency, maxAmount } from './amounts.js';
import type * as api from '../../shared/api/index.js';

export type Campaign = api.Campaign;
export type Pledge = api.Pledge;

interface CampaignRow {
  id: string;
  channel_id: string;
  artist_user_id: string;
  title: string;
  description: string;
  currency: string;
  goal: string;
  min_pledge: string;
  deadline: Date;
  share_bp: number;
  cap_bp: number;
  node_cut_bp: number;
  status: 'open' | 'funded' | 'failed' | 'cancelled';
  raised: string;
  request_key: string | null;
  created_at: Date;
  settled_at: Date | null;
  repaid: string;
  repaid_at: Date | null;
}

interface PledgeRow {
  id: string;
  campaign_id: string;
  investor_id: string;
  amount: string;
  request_key: string | null;
  refunded_at: Date | null;
  created_at: Date;
}

export type NewCampaign = api.NewCampaign;

/** The longest a campaign may run, and the least. */
const MAX_DAYS = 365;
const MIN_SECONDS = 60;

export const campaignEscrow = (id: string): AccountRef => ({ key: `escrow:campaign:${id}`, kind: 'escrow' });

export class Campaigns {
  /** Milliseconds since the epoch: the campaigns' clock (tests move it). */
  clock: () => number = Date.now;

  constructor(
    private readonly db: Sequelize,
    private readonly books: Books,
    private readonly deps: {
      media: () => MediaApi;
      nodeCutBasisPoints: () => number;
      /** After commit: the campaign opened, settled, was cancelled or finished repaying (federation tells followers). */
      changed?: (campaignId: string) => void;
    },
  ) {}

  private async channelOf(ref: string) {
    const channel = await this.deps.media().getChannel(ref);
    if (!channel) throw notFound('Channel');
    return channel;
  }

  /** Opens a campaign on the artist's channel; the same Idempotency-Key returns the same campaign. */
  async create(artist: User, channelRef: string, input: NewCampaign, requestKey?: string): Promise<{ campaign: Campaign; created: boolean }> {
    const channel = await this.channelOf(channelRef);
    if (channel.ownerId !== artist.id) throw forbidden("Only the channel's artist opens a campaign for it");
    const key = requestKey ? `${artist.id}:${requestKey}` : null;
    if (key) {
      const again = await selectOne<CampaignRow>(this.db, 'SELECT * FROM money_campaigns WHERE request_key = :key', { key });
      if (again) return { campaign: await this.view(again), created: false };
    }
    assertCurrency(input.currency, this.books.currency);
    assertAmount(input.goal, 'goal');
    assertAmount(input.minPledge, 'minPledge');
    if (input.minPledge > input.goal) throw badRequest('invalid_campaign', 'minPledge cannot be more than the goal');
    const deadline = Date.parse(input.deadline);
    const now = this.clock();
    if (!Number.isFinite(deadline)) throw badRequest('invalid_campaign', 'deadline must be a date and time (ISO 8601)');
    if (deadline < now + MIN_SECONDS * 1000) throw badRequest('invalid_campaign', 'The deadline must be in the future (at least a minute away)');
    if (deadline > now + MAX_DAYS * 86_400_000) throw badRequest('invalid_campaign', `A campaign runs at most ${MAX_DAYS} days`);
    if (!Number.isInteger(input.shareBasisPoints) || input.shareBasisPoints < 1 || input.shareBasisPoints > 10_000) {
      throw badRequest('invalid_campaign', 'shareBasisPoints is the share of future income in basis points, from 1 to 10000 (100 %)');
    }
    const capBp = Math.round(input.capMultiple * 10_000);
    if (!Number.isFinite(input.capMultiple) || capBp < 10_000 || capBp > 100_000) throw badRequest('invalid_campaign', 'capMultiple is what investors get back at most, as a multiple of what they put in: from 1 to 10');
    const title = input.title.trim();
    if (!title || title.length > 200) throw badRequest('invalid_campaign', 'title is 1 to 200 characters');
    if ((input.description ?? '').length > 5000) throw badRequest('invalid_campaign', 'description is at most 5000 characters');
    const row = await this.db.transaction(async (t) => {
      // One artist's campaigns are checked one at a time: their shares never pass 100 % together.
      await select(this.db, `SELECT pg_advisory_xact_lock(hashtext('money.campaigns:' || :artist))`, { artist: artist.id }, t);
      const promised = await selectOne<{ bp: string | null }>(
        this.db,
        // Open ones and funded ones (they repay from income until their caps) hold their shares.
        "SELECT sum(share_bp) AS bp FROM money_campaigns WHERE artist_user_id = :artist AND (status = 'open' OR (status = 'funded' AND repaid_at IS NULL))",
        { artist: artist.id },
        t,
      );
      const held = Number(promised?.bp ?? 0);
      if (held + input.shareBasisPoints > 10_000) {
        throw new AppError(409, 'share_over_100', `Your campaigns already promise ${held / 100} % of your income; this one would make it ${(held + input.shareBasisPoints) / 100} % (at most 100 %)`, { promisedBasisPoints: held });
      }
      try {
        return await selectOne<CampaignRow>(
          this.db,
          `INSERT INTO money_campaigns (channel_id, artist_user_id, title, description, currency, goal, min_pledge, deadline, share_bp, cap_bp, node_cut_bp, status, request_key)
           VALUES (:channel, :artist, :title, :description, :currency, :goal, :min, :deadline, :share, :cap, :cut, 'open', :key) RETURNING *`,
          {
            channel: channel.id, artist: artist.id, title, description: input.description ?? '', currency: this.books.currency, goal: input.goal, min: input.minPledge,
            deadline: new Date(deadline), share: input.shareBasisPoints, cap: capBp, cut: this.deps.nodeCutBasisPoints(), key,
          },
          t,
        );
      } catch (err) {
        if ((err as { parent?: { code?: string } }).parent?.code === '23505') throw conflict('campaign_open', 'This channel has an open campaign already: one at a time');
        throw err;
      }
    });
    this.deps.changed?.(row!.id);
    return { campaign: await this.view(row!), created: true };
  }

  private async row(id: string, t?: Transaction, lock = false): Promise<CampaignRow | undefined> {
    if (!isUuid(id)) return undefined;
    return selectOne<CampaignRow>(this.db, `SELECT * FROM money_campaigns WHERE id = :id${lock ? ' FOR UPDATE' : ''}`, { id }, t);
  }

  async get(id: string): Promise<Campaign> {
    const row = await this.row(id);
    if (!row) throw notFound('Campaign');
    return this.view(row);
  }

  async listByChannel(channelRef: string): Promise<Campaign[]> {
    const channel = await this.channelOf(channelRef);
    const rows = await select<CampaignRow>(this.db, 'SELECT * FROM money_campaigns WHERE channel_id = :id ORDER BY created_at DESC LIMIT 100', { id: channel.id });
    return Promise.all(rows.map((r) => this.view(r)));
  }

  /**
   * A fan's pledge: from their wallet into the campaign's escrow, while it is open. The same
   * Idempotency-Key answers the same pledge (and moves nothing more).
   */
  async pledge(investor: User, campaignId: string, amount: number, requestKey?: string): Promise<{ pledge: Pledge; created: boolean }> {
    assertAmount(amount);
    const key = requestKey ? `${investor.id}:${requestKey}` : null;
    if (key) {
      const again = await selectOne<PledgeRow>(this.db, 'SELECT * FROM money_pledges WHERE request_key = :key', { key });
      if (again) {
        if (again.campaign_id !== campaignId || Number(again.amount) !== amount) throw conflict('idempotency_key_reused', 'This Idempotency-Key was used for another pledge');
        return { pledge: this.pledgeView(again), created: false };
      }
    }
    const row = await this.db.transaction(async (t) => {
      const c = await this.row(campaignId, t, true);
      if (key && (await selectOne(this.db, 'SELECT 1 FROM money_pledges WHERE request_key = :key', { key }, t))) return undefined; // a concurrent retry won
      if (!c) throw notFound('Campaign');
      if (c.artist_user_id === investor.id) throw badRequest('invalid_recipient', 'You cannot invest in your own campaign');
      if (c.status !== 'open') throw conflict('campaign_closed', `This campaign is ${c.status}: it takes no pledges`);
      if (c.deadline.getTime() <= this.clock()) throw conflict('campaign_closed', 'This campaign reached its deadline: it takes no pledges');
      if (amount < Number(c.min_pledge)) throw badRequest('pledge_too_small', `The smallest pledge to this campaign is ${c.min_pledge} (minor units of ${c.currency})`, { minPledge: Number(c.min_pledge) });
      if (Number(c.raised) + amount > maxAmount) throw badRequest('invalid_amount', 'This pledge would take the campaign past the largest amount the books keep');
      const [p] = await select<PledgeRow>(
        this.db,
        'INSERT INTO money_pledges (campaign_id, investor_id, amount, request_key) VALUES (:c, :investor, :amount, :key) RETURNING *',
        { c: c.id, investor: investor.id, amount, key },
        t,
      );
      // The wallet is checked by the move: short of funds, it refuses (402) and nothing is kept.
      await this.books.move(
        { key: `campaign:pledge:${p.id}`, kind: 'campaign.pledge', amount, from: accounts.wallet(investor.id), to: campaignEscrow(c.id), reference: c.id, memo: { campaign: c.id, pledge: p.id } },
        t,
      );
      await select(this.db, 'UPDATE money_campaigns SET raised = raised + :amount WHERE id = :id', { id: c.id, amount }, t);
      return p;
    });
    if (!row) return this.pledge(investor, campaignId, amount, requestKey);
    return { pledge: this.pledgeView(row), created: true };
  }

  /** The artist (or an admin) cancels an open campaign before its deadline: every pledge is refunded. */
  async cancel(user: User, campaignId: string): Promise<Campaign> {
    const done = await this.db.transaction(async (t) => {
      const c = await this.row(campaignId, t, true);
      if (!c) throw notFound('Campaign');
      if (c.artist_user_id !== user.id && user.role !== 'admin') throw forbidden("Only the campaign's artist (or an admin) cancels it");
      if (c.status !== 'open') throw conflict('campaign_closed', `This campaign is ${c.status} already`);
      if (c.deadline.getTime() <= this.clock()) throw conflict('campaign_closed', 'This campaign reached its deadline: it is settled, not cancelled');
      const [u] = await select<CampaignRow>(this.db, "UPDATE money_campaigns SET status = 'cancelled', settled_at = now() WHERE id = :id RETURNING *", { id: c.id }, t);
      return u;
    });
    this.deps.changed?.(done.id);
    await this.refundAll(done.id);
    return this.get(done.id);
  }

  /**
   * Settles the campaigns whose deadline passed (funded: the escrow to the artist, less the
   * node's cut; missed: failed) and finishes the refunds of failed and cancelled ones. Each step
   * is keyed: run again after a crash, it finishes what was left and moves nothing twice.
   */
  async sweep(): Promise<{ settled: number; refunded: number }> {
    const due = await select<{ id: string }>(this.db, "SELECT id FROM money_campaigns WHERE status = 'open' AND deadline <= :now ORDER BY deadline LIMIT 500", { now: new Date(this.clock()) });
    let settled = 0;
    for (const { id } of due) if (await this.settle(id)) settled++;
    const unrefunded = await select<{ id: string }>(
      this.db,
      `SELECT DISTINCT c.id FROM money_campaigns c JOIN money_pledges p ON p.campaign_id = c.id
        WHERE c.status IN ('failed', 'cancelled') AND p.refunded_at IS NULL LIMIT 500`,
    );
    let refunded = 0;
    for (const { id } of unrefunded) refunded += await this.refundAll(id);
    return { settled, refunded };
  }

  private async settle(id: string): Promise<boolean> {
    const outcome = await this.db.transaction(async (t) => {
      const c = await this.row(id, t, true);
      if (!c || c.status !== 'open' || c.deadline.getTime() > this.clock()) return undefined;
      const raised = Number(c.raised);
      if (raised >= Number(c.goal)) {
        const cut = Math.floor((raised * c.node_cut_bp) / 10_000);
        await this.books.post(
          {
            key: `campaign:settle:${c.id}`, kind: 'campaign.funded', reference: c.id, memo: { campaign: c.id, raised, nodeCut: cut },
            legs: [
              { account: campaignEscrow(c.id), amount: -raised },
              { account: accounts.wallet(c.artist_user_id), amount: raised - cut },
              ...(cut > 0 ? [{ account: accounts.nodeFee(), amount: cut }] : []),
            ],
          },
          t,
        );
        await select(this.db, "UPDATE money_campaigns SET status = 'funded', settled_at = now() WHERE id = :id", { id }, t);
        // Each investor's stake and cap, fixed now: repayments count against them.
        await select(
          this.db,
          `INSERT INTO money_campaign_investors (campaign_id, investor_id, invested, cap)
           SELECT campaign_id, investor_id, sum(amount), floor(sum(amount) * :capBp / 10000) FROM money_pledges WHERE campaign_id = :id GROUP BY campaign_id, investor_id`,
          { id, capBp: c.cap_bp },
          t,
        );
        return 'funded' as const;
      }
      await select(this.db, "UPDATE money_campaigns SET status = 'failed', settled_at = now() WHERE id = :id", { id }, t);
      return 'failed' as const;
    });
    if (outcome) this.deps.changed?.(id);
    if (outcome === 'failed') await this.refundAll(id);
    return outcome !== undefined;
  }

  /** Refunds every pledge not refunded yet, each in its own keyed transaction. */
  private async refundAll(id: string): Promise<number> {
    const pledges = await select<PledgeRow>(this.db, 'SELECT * FROM money_pledges WHERE campaign_id = :id AND refunded_at IS NULL ORDER BY created_at', { id });
    let n = 0;
    for (const p of pledges) {
      await this.db.transaction(async (t) => {
        const [claimed] = await select<PledgeRow>(this.db, 'UPDATE money_pledges SET refunded_at = now() WHERE id = :id AND refunded_at IS NULL RETURNING *', { id: p.id }, t);
        if (!claimed) return;
        await this.books.move(
          { key: `campaign:refund:${p.id}`, kind: 'campaign.refund', amount: Number(p.amount), from: campaignEscrow(id), to: accounts.wallet(p.investor_id), reference: id, memo: { campaign: id, pledge: p.id } },
          t,
        );
        n++;
      });
    }
    return n;
  }

  /**
   * Income credited to an artist (books' onIncome, inside its transaction): each of their funded
   * campaigns still repaying takes its share of it, older campaigns first, split among its
   * investors by what each put in (largest remainder), none past their cap. One keyed
   * transaction per income: a retried income is replayed by the books and repays nothing again.
   */
  async repayFromIncome(t: Transaction, credit: IncomeCredit): Promise<void> {
    const open = await select<CampaignRow>(
      this.db,
      "SELECT * FROM money_campaigns WHERE artist_user_id = :u AND status = 'funded' AND repaid_at IS NULL ORDER BY settled_at, id FOR UPDATE",
      { u: credit.userId },
      t,
    );
    if (!open.length) return;
    const legs: { account: AccountRef; amount: number }[] = [];
    let total = 0;
    const paidPer: Record<string, number> = {};
    for (const c of open) {
      const share = basisPointsOf(credit.amount, c.share_bp);
      if (share <= 0) continue;
      const investors = await select<{ investor_id: string; invested: string; cap: string; received: string }>(
        this.db,
        'SELECT * FROM money_campaign_investors WHERE campaign_id = :id AND received < cap ORDER BY investor_id FOR UPDATE',
        { id: c.id },
        t,
      );
      const pays = splitCapped(share, investors.map((i) => ({ key: i.investor_id, weight: Number(i.invested), room: Number(i.cap) - Number(i.received) })));
      let paid = 0;
      const paidTo: string[] = [];
      const paidAmounts: number[] = [];
      for (const [investor, amount] of pays) {
        if (amount <= 0) continue;
        legs.push({ account: accounts.wallet(investor), amount });
        paidTo.push(investor);
        paidAmounts.push(amount);
        paid += amount;
      }
      if (!paid) continue;
      // One statement for every investor paid (a campaign may have thousands).
      await select(
        this.db,
        `UPDATE money_campaign_investors i SET received = i.received + p.amount
           FROM unnest(CAST(:investors AS uuid[]), CAST(:amounts AS bigint[])) AS p(investor_id, amount)
          WHERE i.campaign_id = :c AND i.investor_id = p.investor_id`,
        { c: c.id, investors: `{${paidTo.join(',')}}`, amounts: `{${paidAmounts.join(',')}}` },
        t,
      );
      // The repayment in the campaign's order (its rows are locked), and each investor's part of it.
      const [logged] = await select<{ seq: string }>(
        this.db,
        `INSERT INTO money_campaign_repayments (campaign_id, income_key, income_kind, income_amount, share, paid)
         VALUES (:c, :key, :kind, :amount, :share, :paid) RETURNING seq`,
        { c: c.id, key: credit.key, kind: credit.kind, amount: credit.amount, share, paid },
        t,
      );
      await select(
        this.db,
        `INSERT INTO money_campaign_repayment_shares (seq, investor_id, amount)
         SELECT :seq, p.investor_id, p.amount FROM unnest(CAST(:investors AS uuid[]), CAST(:amounts AS bigint[])) AS p(investor_id, amount)`,
        { seq: logged.seq, investors: `{${paidTo.join(',')}}`, amounts: `{${paidAmounts.join(',')}}` },
        t,
      );
      total += paid;
      paidPer[c.id] = paid;
      const left = await selectOne<{ n: string }>(this.db, 'SELECT count(*) AS n FROM money_campaign_investors WHERE campaign_id = :id AND received < cap', { id: c.id }, t);
      await select(
        this.db,
        `UPDATE money_campaigns SET repaid = repaid + :paid, repaid_at = CASE WHEN :done THEN now() ELSE NULL END WHERE id = :id`,
        { id: c.id, paid, done: Number(left?.n ?? 0) === 0 },
        t,
      );
      if (Number(left?.n ?? 0) === 0) t.afterCommit(() => this.deps.changed?.(c.id));
    }
    if (total <= 0) return;
    await this.books.post(
      { key: `campaign:repay:${credit.key}:${credit.userId}`, kind: 'campaign.repay', reference: credit.key, memo: { income: credit.key, incomeKind: credit.kind, amount: credit.amount, campaigns: paidPer }, legs: [{ account: accounts.wallet(credit.userId), amount: -total }, ...legs] },
      t,
    );
  }

  /** What an investor put into funded campaigns, has been paid back, and may still be (up to each cap). */
  async investmentsOf(investorId: string): Promise<api.Investment[]> {
    const rows = await select<{ campaign_id: string; title: string; invested: string; cap: string; received: string; repaid_at: Date | null }>(
      this.db,
      `SELECT i.campaign_id, c.title, i.invested, i.cap, i.received, c.repaid_at FROM money_campaign_investors i JOIN money_campaigns c ON c.id = i.campaign_id
        WHERE i.investor_id = :investorId ORDER BY c.settled_at DESC`,
      { investorId },
    );
    return rows.map((r) => ({
      campaignId: r.campaign_id, title: r.title, invested: Number(r.invested), cap: Number(r.cap), received: Number(r.received),
      remaining: Number(r.cap) - Number(r.received), done: Number(r.received) >= Number(r.cap),
    }));
  }

  /** Every repayment an investor received, oldest first (at most the last 5000), optionally of one campaign. */
  async repaymentsOf(investorId: string, campaignId?: string): Promise<api.Repayment[]> {
    if (campaignId !== undefined && !isUuid(campaignId)) throw badRequest('invalid_campaign', 'campaign is a campaign id');
    const rows = await select<{ campaign_id: string; created_at: Date; amount: string; income_kind: string }>(
      this.db,
      `SELECT * FROM (
         SELECT r.campaign_id, r.created_at, s.amount, r.income_kind, s.seq FROM money_campaign_repayment_shares s JOIN money_campaign_repayments r ON r.seq = s.seq
          WHERE s.investor_id = :investorId ${campaignId ? 'AND r.campaign_id = :campaignId' : ''} ORDER BY s.seq DESC LIMIT 5000
       ) last ORDER BY seq`,
      { investorId, campaignId },
    );
    return rows.map((r) => ({ campaignId: r.campaign_id, at: r.created_at.toISOString(), amount: Number(r.amount), incomeKind: r.income_kind }));
  }

  /** An investor's pledges, newest first. */
  async pledgesOf(investorId: string): Promise<Pledge[]> {
    const rows = await select<PledgeRow>(this.db, 'SELECT * FROM money_pledges WHERE investor_id = :investorId ORDER BY created_at DESC LIMIT 500', { investorId });
    return rows.map((r) => this.pledgeView(r));
  }

  private pledgeView(r: PledgeRow): Pledge {
    return { id: r.id, campaignId: r.campaign_id, amount: Number(r.amount), refunded: r.refunded_at !== null, createdAt: r.created_at.toISOString() };
  }

  private async view(r: CampaignRow): Promise<Campaign> {
    const channel = await this.deps.media().getChannel(r.channel_id);
    const n = await selectOne<{ n: string; investors: string; owed: string | null }>(
      this.db,
      `SELECT count(*) AS n, count(DISTINCT investor_id) AS investors,
              (SELECT sum(cap - received) FROM money_campaign_investors WHERE campaign_id = :id) AS owed
         FROM money_pledges WHERE campaign_id = :id`,
      { id: r.id },
    );
    return {
      id: r.id,
      channel: { id: r.channel_id, name: channel?.name ?? '', displayName: channel?.displayName ?? '' },
      artistUserId: r.artist_user_id,
      title: r.title,
      description: r.description,
      currency: r.currency,
      goal: Number(r.goal),
      minPledge: Number(r.min_pledge),
      deadline: r.deadline.toISOString(),
      shareBasisPoints: r.share_bp,
      capMultiple: r.cap_bp / 10_000,
      nodeCutBasisPoints: r.node_cut_bp,
      status: r.status,
      raised: Number(r.raised),
      pledges: Number(n?.n ?? 0),
      investors: Number(n?.investors ?? 0),
      createdAt: r.created_at.toISOString(),
      settledAt: r.settled_at?.toISOString() ?? null,
      repaid: Number(r.repaid),
      repaidAt: r.repaid_at?.toISOString() ?? null,
      owed: Number(n?.owed ?? 0),
    };
  }
}
