// InvestmentContract: fan investment campaigns as the node settled and repaid them (decision 0309).
// A settled campaign is public (artist, goal, share, cap, raised, status, the sum of the caps and a
// hash of the investor rows); the investor rows (pseudonym, invested, cap) are the node
// organisation's private data, as listener rows are. Each day's repayments of a campaign are
// public, in the node's order, checked here against the campaign's terms, so an auditor holding
// the rows can replay the split (shared/money replayRepayments) and recompute every investor.
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { checkDay, getJson, getPrivateJson, int, KEY, listJson, ok, oneOf, parseJsonArg, PRIVATE_KEY, putJson, putPrivateJson, rowsCollection, str, txTime } from './lib/ledger.js';
import { requireNode, requireNodeCaller } from './lib/registry.js';
import { basisPointsOf, canonicalJson, investorRowsHash, type InvestorRow } from './vendor/money/index.js';

const SETTLED = ['funded', 'failed', 'cancelled'] as const;
const HEX64 = /^[0-9a-f]{64}$/;
/** The most investor rows one campaign may carry (one private value). */
const MAX_INVESTORS = 100_000;
/** The most repayments one day of one campaign may carry. */
const MAX_REPAYMENTS = 100_000;

/** The terms and outcome of a settled campaign, as the node submits them. */
export interface CampaignSettlement {
  nodeId: string;
  campaignId: string;
  /** The artist's actor URI (the campaign's channel). */
  artist: string;
  currency: string;
  goal: number;
  shareBasisPoints: number;
  capBasisPoints: number;
  raised: number;
  pledges: number;
  investors: number;
  status: (typeof SETTLED)[number];
  settledDay: string;
  investorsHash: string;
}

export interface CampaignRecord extends CampaignSettlement {
  /** The sum of the investors' caps: what the campaign may repay at most. */
  capTotal: number;
  collection: string;
  /** Paid to investors so far (the sum of the recorded repayments). */
  repaid: number;
  /** The last repayment's sequence number (0: none yet). */
  lastSeq: number;
  lastDay: string | null;
  /** The day the caps were all reached, or null. */
  repaidDay: string | null;
  recordedAt: string;
  txId: string;
}

/** One repayment: an income of the artist, the campaign's share of it, what investors took. */
export interface Repayment {
  seq: number;
  /** SHA-256 of the income's idempotency key on the node (the key itself stays there). */
  incomeHash: string;
  incomeKind: string;
  incomeAmount: number;
  share: number;
  paid: number;
}

export interface RepaymentDay {
  nodeId: string;
  campaignId: string;
  day: string;
  repayments: Repayment[];
  /** The day's total paid, and the campaign's total after it. */
  paid: number;
  repaidAfter: number;
  submittedAt: string;
  txId: string;
}

function parseInvestorRows(raw: unknown, capBasisPoints: number, what: string): InvestorRow[] {
  if (!Array.isArray(raw)) throw new Error(`${what}: transient "investors" must be a JSON array`);
  if (raw.length > MAX_INVESTORS) throw new Error(`${what}: more than ${MAX_INVESTORS} investors`);
  const seen = new Set<string>();
  return raw.map((r, i) => {
    const o = (r && typeof r === 'object' ? r : {}) as Record<string, unknown>;
    const where = `${what} investors[${i}]`;
    const row: InvestorRow = { investor: str(o, 'investor', where, 256), invested: int(o, 'invested', where, 1), cap: int(o, 'cap', where, 1) };
    if (seen.has(row.investor)) throw new Error(`${what}: two rows for investor "${row.investor}"`);
    seen.add(row.investor);
    const cap = basisPointsOf(row.invested, capBasisPoints);
    if (row.cap !== cap) throw new Error(`${where}: cap must be floor(invested × capBasisPoints / 10000) = ${cap}, not ${row.cap}`);
    return row;
  });
}

function parseSettlement(input: Record<string, unknown>, what: string): CampaignSettlement {
  const s: CampaignSettlement = {
    nodeId: str(input, 'nodeId', what),
    campaignId: str(input, 'campaignId', what, 200),
    artist: str(input, 'artist', what),
    currency: str(input, 'currency', what, 16),
    goal: int(input, 'goal', what, 1),
    shareBasisPoints: int(input, 'shareBasisPoints', what, 1),
    capBasisPoints: int(input, 'capBasisPoints', what, 10_000),
    raised: int(input, 'raised', what, 0),
    pledges: int(input, 'pledges', what, 0),
    investors: int(input, 'investors', what, 0),
    status: oneOf(input, 'status', what, SETTLED),
    settledDay: checkDay(str(input, 'settledDay', what), what),
    investorsHash: str(input, 'investorsHash', what, 64).toLowerCase(),
  };
  if (s.shareBasisPoints > 10_000) throw new Error(`${what}: "shareBasisPoints" is at most 10000 (100 %)`);
  if (!HEX64.test(s.investorsHash)) throw new Error(`${what}: "investorsHash" must be a sha256 hex digest`);
  if (s.investors > s.pledges) throw new Error(`${what}: more investors (${s.investors}) than pledges (${s.pledges})`);
  if (s.status === 'funded' && s.raised < s.goal) throw new Error(`${what}: a funded campaign raised its goal (raised ${s.raised}, goal ${s.goal})`);
  if (s.status === 'failed' && s.raised >= s.goal) throw new Error(`${what}: a campaign that raised its goal did not fail (raised ${s.raised}, goal ${s.goal})`);
  return s;
}

/** Throws unless the rows are the campaign's: every investor of a funded one, their stakes summing to what it raised. */
function checkRows(s: CampaignSettlement, rows: InvestorRow[], what: string): void {
  if (s.status !== 'funded') {
    // Failed and cancelled campaigns refunded every pledge: nobody is owed anything.
    if (rows.length) throw new Error(`${what}: a ${s.status} campaign has no investor rows (its pledges were refunded)`);
  } else {
    if (rows.length !== s.investors) throw new Error(`${what}: ${rows.length} investor rows for ${s.investors} investors`);
    const invested = rows.reduce((a, r) => a + r.invested, 0);
    if (invested !== s.raised) throw new Error(`${what}: the investor rows sum to ${invested}, the campaign raised ${s.raised}`);
  }
  const hash = investorRowsHash(rows);
  if (hash !== s.investorsHash) throw new Error(`${what}: hash mismatch: the investor rows hash to ${hash}, the record says ${s.investorsHash}`);
}

const sameSettlement = (a: CampaignSettlement, b: CampaignSettlement) =>
  (Object.keys(b) as (keyof CampaignSettlement)[]).every((k) => a[k] === b[k]);

function parseRepayments(raw: unknown, what: string): Repayment[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${what}: "repayments" must be a non-empty array`);
  if (raw.length > MAX_REPAYMENTS) throw new Error(`${what}: more than ${MAX_REPAYMENTS} repayments in a day`);
  return raw.map((r, i) => {
    const o = (r && typeof r === 'object' ? r : {}) as Record<string, unknown>;
    const where = `${what} repayments[${i}]`;
    const incomeHash = str(o, 'incomeHash', where, 64).toLowerCase();
    if (!HEX64.test(incomeHash)) throw new Error(`${where}: "incomeHash" must be a sha256 hex digest`);
    return {
      seq: int(o, 'seq', where, 1),
      incomeHash,
      incomeKind: str(o, 'incomeKind', where, 64),
      incomeAmount: int(o, 'incomeAmount', where, 1),
      share: int(o, 'share', where, 1),
      paid: int(o, 'paid', where, 1),
    };
  });
}

@Info({ title: 'InvestmentContract', description: 'Fan investment campaigns: settlements (investor rows private), daily repayments (public)' })
export class InvestmentContract extends Contract {
  constructor() {
    super('InvestmentContract');
  }

  /**
   * recordCampaign({nodeId, campaignId, artist, currency, goal, shareBasisPoints, capBasisPoints,
   * raised, pledges, investors, status, settledDay, investorsHash}) with transient `investors`
   * (the rows of a funded campaign: [{investor, invested, cap}], in the node's tie-break order).
   * Once per campaign: the same settlement again returns the stored record, another is refused.
   */
  @Transaction()
  @Returns('string')
  public async recordCampaign(ctx: Context, campaignJson: string): Promise<string> {
    const what = 'recordCampaign';
    const s = parseSettlement(parseJsonArg(campaignJson, what), what);
    const node = await requireNodeCaller(ctx, s.nodeId, what);
    const raw = ctx.stub.getTransient().get('investors');
    let parsed: unknown = [];
    if (raw && raw.length) {
      try {
        parsed = JSON.parse(Buffer.from(raw).toString('utf8'));
      } catch {
        throw new Error(`${what}: transient "investors" is not valid JSON`);
      }
    }
    const rows = parseInvestorRows(parsed, s.capBasisPoints, what);
    checkRows(s, rows, what);
    const existing = await getJson<CampaignRecord>(ctx, KEY.campaign, [s.nodeId, s.campaignId]);
    if (existing) {
      if (sameSettlement(existing, s)) return ok(existing);
      throw new Error(`${what}: campaign "${s.campaignId}" of node "${s.nodeId}" is already recorded, with other figures`);
    }
    const collection = rowsCollection(node.organisation);
    const record: CampaignRecord = {
      ...s,
      capTotal: rows.reduce((a, r) => a + r.cap, 0),
      collection,
      repaid: 0,
      lastSeq: 0,
      lastDay: null,
      repaidDay: null,
      recordedAt: txTime(ctx).iso,
      txId: ctx.stub.getTxID(),
    };
    if (rows.length) await putPrivateJson(ctx, collection, PRIVATE_KEY.campaignInvestors, [s.nodeId, s.campaignId], rows);
    await putJson(ctx, KEY.campaign, [s.nodeId, s.campaignId], record);
    ctx.stub.setEvent('CampaignRecorded', Buffer.from(ok({ nodeId: s.nodeId, campaignId: s.campaignId, status: s.status, raised: s.raised })));
    return ok(record);
  }

  /**
   * recordRepayments({nodeId, campaignId, day, repayments: [{seq, incomeHash, incomeKind,
   * incomeAmount, share, paid}]}): a funded campaign's repayments of a day, in order, once. Each
   * share is floor(income × share / 10000); investors take all of it, or what is left under
   * their caps when that is less; seq rises across days. The same day again returns the stored
   * record; other figures, an earlier day or a repaid campaign are refused.
   */
  @Transaction()
  @Returns('string')
  public async recordRepayments(ctx: Context, repaymentsJson: string): Promise<string> {
    const what = 'recordRepayments';
    const input = parseJsonArg(repaymentsJson, what);
    const nodeId = str(input, 'nodeId', what);
    const campaignId = str(input, 'campaignId', what, 200);
    const day = checkDay(str(input, 'day', what), what);
    const repayments = parseRepayments(input.repayments, what);
    await requireNodeCaller(ctx, nodeId, what);
    const campaign = await getJson<CampaignRecord>(ctx, KEY.campaign, [nodeId, campaignId]);
    if (!campaign) throw new Error(`${what}: campaign "${campaignId}" of node "${nodeId}" is not recorded (recordCampaign first)`);
    const existing = await getJson<RepaymentDay>(ctx, KEY.campaignRepayments, [nodeId, campaignId, day]);
    if (existing) {
      if (canonicalJson(existing.repayments) === canonicalJson(repayments)) return ok(existing);
      throw new Error(`${what}: the repayments of campaign "${campaignId}" on ${day} are already recorded, with other figures`);
    }
    if (campaign.status !== 'funded') throw new Error(`${what}: campaign "${campaignId}" is ${campaign.status}: it repays nothing`);
    if (day < campaign.settledDay) throw new Error(`${what}: ${day} is before the campaign settled (${campaign.settledDay})`);
    if (campaign.lastDay && day <= campaign.lastDay) throw new Error(`${what}: days are recorded in order: ${campaign.lastDay} is recorded already`);
    let seq = campaign.lastSeq;
    let repaid = campaign.repaid;
    for (const [i, r] of repayments.entries()) {
      const where = `${what} repayments[${i}]`;
      if (r.seq <= seq) throw new Error(`${where}: seq ${r.seq} must be greater than ${seq} (repayments in the node's order, each once)`);
      const share = basisPointsOf(r.incomeAmount, campaign.shareBasisPoints);
      if (r.share !== share) throw new Error(`${where}: share must be floor(${r.incomeAmount} × ${campaign.shareBasisPoints} / 10000) = ${share}, not ${r.share}`);
      const owed = Math.min(share, campaign.capTotal - repaid);
      if (owed <= 0) throw new Error(`${where}: the campaign has repaid its caps (${campaign.capTotal}) already`);
      if (r.paid !== owed) throw new Error(`${where}: paid must be the share or what is left under the caps, ${owed}, not ${r.paid}`);
      seq = r.seq;
      repaid += r.paid;
    }
    const record: RepaymentDay = {
      nodeId, campaignId, day, repayments, paid: repaid - campaign.repaid, repaidAfter: repaid, submittedAt: txTime(ctx).iso, txId: ctx.stub.getTxID(),
    };
    await putJson(ctx, KEY.campaignRepayments, [nodeId, campaignId, day], record);
    await putJson(ctx, KEY.campaign, [nodeId, campaignId], { ...campaign, repaid, lastSeq: seq, lastDay: day, repaidDay: repaid === campaign.capTotal ? day : null });
    ctx.stub.setEvent('CampaignRepaid', Buffer.from(ok({ nodeId, campaignId, day, paid: record.paid, repaid })));
    return ok(record);
  }

  /** getCampaign(nodeId, campaignId): the campaign's record, or null. */
  @Transaction(false)
  @Returns('string')
  public async getCampaign(ctx: Context, nodeId: string, campaignId: string): Promise<string> {
    return ok(await getJson<CampaignRecord>(ctx, KEY.campaign, [nodeId, campaignId]));
  }

  /** listCampaigns(nodeId): every campaign the node recorded, by campaign id. */
  @Transaction(false)
  @Returns('string')
  public async listCampaigns(ctx: Context, nodeId: string): Promise<string> {
    await requireNode(ctx, nodeId, 'listCampaigns');
    return ok(await listJson<CampaignRecord>(ctx, KEY.campaign, [nodeId]));
  }

  /** listRepayments(nodeId, campaignId): the campaign's repayment days, in day order. */
  @Transaction(false)
  @Returns('string')
  public async listRepayments(ctx: Context, nodeId: string, campaignId: string): Promise<string> {
    return ok(await listJson<RepaymentDay>(ctx, KEY.campaignRepayments, [nodeId, campaignId]));
  }

  /** getInvestors(nodeId, campaignId): a funded campaign's private investor rows, or null. Only for the node's own organisation. */
  @Transaction(false)
  @Returns('string')
  public async getInvestors(ctx: Context, nodeId: string, campaignId: string): Promise<string> {
    const node = await requireNodeCaller(ctx, nodeId, 'getInvestors');
    const campaign = await getJson<CampaignRecord>(ctx, KEY.campaign, [nodeId, campaignId]);
    if (!campaign) return ok(null);
    if (campaign.status !== 'funded') return ok([]);
    return ok(await getPrivateJson<InvestorRow[]>(ctx, rowsCollection(node.organisation), PRIVATE_KEY.campaignInvestors, [nodeId, campaignId]));
  }
}
