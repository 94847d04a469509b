// MonthCloseContract: reconciles a node's month of daily reports and splits every subscription
// (node fee, then top-9 artists by qualified seconds) with the shared `splitSubscription`.
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import {
  checkDay,
  checkMonth,
  daysOf,
  exists,
  getJson,
  getPrivateJson,
  int,
  key,
  KEY,
  listJson,
  listPrivateJson,
  nextMonth,
  ok,
  oneOf,
  parseJsonArg,
  PRIVATE_KEY,
  putJson,
  putPrivateJson,
  rowsCollection,
  str,
  txTime,
} from './lib/ledger.js';
import { requireNodeCaller } from './lib/registry.js';
import { checkTotals, ReportRecord, versionAttr } from './report-contract.js';
import { SubscriptionRecord } from './subscription-contract.js';
import { canonicalArrayHash, canonicalJson, compareKeys, reportRowsHash, sha256Hex, splitSubscription, type ReportRow } from './vendor/money/index.js';

export type NoListeningPolicy = 'rollover' | 'node' | 'refund';

export interface CreditRecord {
  nodeId: string;
  month: string;
  pseudonym: string;
  amount: number;
  currency: string;
  fromMonth: string;
  txId: string;
}

export interface SubscriptionDetail {
  nodeId: string;
  month: string;
  pseudonym: string;
  /** false for a pseudonym that only brought a rolled-over credit into the month */
  subscribed: boolean;
  amount: number;
  creditIn: number;
  nodeFee: number;
  artists: { artist: string; seconds: number; amount: number }[];
  held: number;
  heldArtists: { artist: string; seconds: number; amount: number }[];
  rolledOver: number;
  toNode: number;
  refunded: number;
}

export interface StatementRecord {
  nodeId: string;
  month: string;
  currency: string | null;
  policy: NoListeningPolicy;
  nodeFee: number;
  subscriptions: number;
  grossTotal: number;
  creditsIn: number;
  nodeFeeTotal: number;
  payouts: { artist: string; amount: number }[];
  payoutTotal: number;
  rolledOver: number;
  toNodeTotal: number;
  refundedTotal: number;
  heldTotal: number;
  heldByArtist: { artist: string; amount: number }[];
  days: { day: string; version: number; hash: string }[];
  missingDays: string[];
  collection: string;
  /** sha256 of canonicalJson(perSubscription), the private per-subscription detail in pseudonym order */
  hash: string;
  closedAt: string;
  txId: string;
}

export interface PayoutRecord {
  artist: string;
  nodeId: string;
  month: string;
  amount: number;
  currency: string | null;
  dueBy: string;
  closedAt: string;
  txId: string;
}

interface HeldInput {
  pseudonym: string;
  artist: string;
  seconds: number;
}

function parseHeld(raw: unknown, what: string): HeldInput[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${what}: "held" must be an array`);
  return raw.map((h, i) => {
    const o = (h && typeof h === 'object' ? h : {}) as Record<string, unknown>;
    const where = `${what} held[${i}]`;
    return { pseudonym: str(o, 'pseudonym', where, 512), artist: str(o, 'artist', where), seconds: int(o, 'seconds', where, 0) };
  });
}

/** The transient `nextPseudonyms` map: {"<pseudonym of the month>": "<same listener's pseudonym of the next month>"}. */
function nextPseudonyms(ctx: Context, what: string): Map<string, string> {
  const raw = ctx.stub.getTransient().get('nextPseudonyms');
  if (!raw || raw.length === 0) throw new Error(`${what}: credit rolls over, so the transient map must carry "nextPseudonyms" (this month's pseudonym -> next month's)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    throw new Error(`${what}: transient "nextPseudonyms" is not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${what}: transient "nextPseudonyms" must be a JSON object`);
  const out = new Map<string, string>();
  for (const [from, to] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof to !== 'string' || to.length === 0 || to.length > 512 || to.includes('\u0000')) throw new Error(`${what}: transient "nextPseudonyms" values must be pseudonyms`);
    out.set(from, to);
  }
  return out;
}

function addTo(map: Map<string, number>, k: string, amount: number): void {
  map.set(k, (map.get(k) ?? 0) + amount);
}

function sortedEntries(map: Map<string, number>, keep: (v: number) => boolean): { artist: string; amount: number }[] {
  return [...map]
    .filter(([, v]) => keep(v))
    .sort(([a], [b]) => compareKeys(a, b))
    .map(([artist, amount]) => ({ artist, amount }));
}

@Info({ title: 'MonthCloseContract', description: 'Monthly reconciliation and split: statements and payout obligations' })
export class MonthCloseContract extends Contract {
  constructor() {
    super('MonthCloseContract');
  }

  /**
   * close({nodeId, month, nodeFee, policy, held?, missingDays?}): reconciles every day of the month
   * (each day reported or listed in missingDays; private rows must sum to the public totals and
   * match the hash), splits each active subscription plus any rolled-over credit, and writes the
   * public statement, payout records per artist, private per-subscription detail and next month's
   * credits. Closing a closed month returns the stored statement and writes nothing.
   */
  @Transaction()
  @Returns('string')
  public async close(ctx: Context, closeJson: string): Promise<string> {
    const what = 'close';
    const input = parseJsonArg(closeJson, what);
    const nodeId = str(input, 'nodeId', what);
    const month = checkMonth(str(input, 'month', what), what);
    const node = await requireNodeCaller(ctx, nodeId, what);
    const existing = await ctx.stub.getState(ctx.stub.createCompositeKey(KEY.statement, [nodeId, month]));
    if (existing && existing.length > 0) return Buffer.from(existing).toString('utf8');

    const nodeFee = int(input, 'nodeFee', what, 0);
    const policy = oneOf(input, 'policy', what, ['rollover', 'node', 'refund'] as const);
    const held = parseHeld(input.held, what);
    if (input.missingDays !== undefined && !Array.isArray(input.missingDays)) throw new Error(`${what}: "missingDays" must be an array of days`);
    const missing = new Set<string>(
      ((input.missingDays as unknown[] | undefined) ?? []).map((d) => {
        if (typeof d !== 'string') throw new Error(`${what}: "missingDays" must hold YYYY-MM-DD strings`);
        checkDay(d, what);
        if (!d.startsWith(`${month}-`)) throw new Error(`${what}: missing day ${d} is not in ${month}`);
        return d;
      }),
    );
    const collection = rowsCollection(node.organisation);

    // 1. Reconcile the daily reports.
    const reports = new Map((await listJson<ReportRecord>(ctx, KEY.report, [nodeId, month])).map((r) => [r.day, r]));
    const listening = new Map<string, Map<string, number>>(); // pseudonym -> artist -> seconds
    const days: StatementRecord['days'] = [];
    for (const day of daysOf(month)) {
      const report = reports.get(day);
      if (!report) {
        if (!missing.has(day)) throw new Error(`${what}: no report for ${day}; submit it or list it in missingDays`);
        continue;
      }
      const raw = await ctx.stub.getPrivateData(collection, key(ctx, PRIVATE_KEY.reportRows, [nodeId, day, versionAttr(report.version)]));
      if (!raw || raw.length === 0) throw new Error(`${what}: the private rows of ${day} are not available in collection ${collection}`);
      const rows = JSON.parse(Buffer.from(raw).toString('utf8')) as ReportRow[];
      checkTotals(rows, report.artistTotals, `${what}: reconciliation of ${day}`);
      // Submit stores the rows in their canonical form, so the stored bytes hash to the report's
      // hash directly (one native pass, no re-serialisation); anything else is re-canonicalised.
      if (sha256Hex(raw) !== report.hash && reportRowsHash(rows) !== report.hash) {
        throw new Error(`${what}: reconciliation of ${day}: private rows do not match the report hash`);
      }
      for (const r of rows) {
        const perArtist = listening.get(r.pseudonym) ?? new Map<string, number>();
        addTo(perArtist, r.artist, r.seconds);
        listening.set(r.pseudonym, perArtist);
      }
      days.push({ day, version: report.version, hash: report.hash });
    }
    const missingDays = daysOf(month).filter((d) => missing.has(d) && !reports.has(d));

    // 2. Held seconds must be listening that exists.
    const heldBy = new Map<string, { artist: string; seconds: number }[]>();
    const heldSum = new Map<string, number>();
    for (const h of held) {
      const pairKey = `${h.pseudonym}\u0000${h.artist}`;
      addTo(heldSum, pairKey, h.seconds);
      const listened = listening.get(h.pseudonym)?.get(h.artist) ?? 0;
      if ((heldSum.get(pairKey) ?? 0) > listened) {
        throw new Error(`${what}: held seconds for artist "${h.artist}" exceed that listener's ${listened} qualified seconds in ${month}`);
      }
      heldBy.set(h.pseudonym, [...(heldBy.get(h.pseudonym) ?? []), { artist: h.artist, seconds: h.seconds }]);
    }

    // 3. Subscriptions and carried-in credits.
    const subs = (await listJson<SubscriptionRecord>(ctx, KEY.subscription, [nodeId, month])).filter((s) => s.status === 'active');
    const credits = await listPrivateJson<CreditRecord>(ctx, collection, PRIVATE_KEY.credit, [nodeId, month]);
    const currencies = new Set([...subs.map((s) => s.currency), ...credits.map((c) => c.currency)]);
    if (currencies.size > 1) throw new Error(`${what}: subscriptions of ${month} mix currencies (${[...currencies].sort().join(', ')})`);
    const currency = currencies.size ? [...currencies][0] : null;
    const subBy = new Map(subs.map((s) => [s.pseudonym, s]));
    const creditBy = new Map<string, number>();
    for (const c of credits) addTo(creditBy, c.pseudonym, c.amount);
    const pseudonyms = [...new Set([...subBy.keys(), ...creditBy.keys()])].sort(compareKeys);

    // 4. Split.
    const next = nextMonth(month);
    const now = txTime(ctx).iso;
    const txId = ctx.stub.getTxID();
    const perSubscription: SubscriptionDetail[] = [];
    const payouts = new Map<string, number>();
    const heldByArtist = new Map<string, number>();
    const totals = { gross: 0, creditsIn: 0, nodeFee: 0, rolledOver: 0, toNode: 0, refunded: 0, held: 0 };
    for (const pseudonym of pseudonyms) {
      const sub = subBy.get(pseudonym);
      const creditIn = creditBy.get(pseudonym) ?? 0;
      const perArtist = listening.get(pseudonym) ?? new Map<string, number>();
      const split = splitSubscription({
        amount: sub?.amount ?? 0,
        nodeFee: sub ? nodeFee : 0,
        credit: creditIn,
        artistSeconds: [...perArtist].map(([artist, seconds]) => ({ artist, seconds })),
        held: heldBy.get(pseudonym) ?? [],
      });
      const detail: SubscriptionDetail = {
        nodeId,
        month,
        pseudonym,
        subscribed: Boolean(sub),
        amount: split.amount,
        creditIn,
        nodeFee: split.nodeFee,
        artists: split.artists,
        held: split.heldTotal,
        heldArtists: split.held,
        rolledOver: policy === 'rollover' ? split.unallocated : 0,
        toNode: policy === 'node' ? split.unallocated : 0,
        refunded: policy === 'refund' ? split.unallocated : 0,
      };
      perSubscription.push(detail);
      for (const a of split.artists) addTo(payouts, a.artist, a.amount);
      for (const h of split.held) addTo(heldByArtist, h.artist, h.amount);
      totals.gross += split.amount;
      totals.creditsIn += creditIn;
      totals.nodeFee += split.nodeFee;
      totals.rolledOver += detail.rolledOver;
      totals.toNode += detail.toNode;
      totals.refunded += detail.refunded;
      totals.held += split.heldTotal;
    }
    if (totals.rolledOver > 0 && (await exists(ctx, KEY.statement, [nodeId, next]))) {
      throw new Error(`${what}: ${next} is already closed, so ${month} cannot roll credit into it; close months in order`);
    }

    const payoutList = sortedEntries(payouts, (v) => v > 0);
    // Each detail is serialised once: the same canonical text is stored and hashed.
    const detailTexts = perSubscription.map((d) => canonicalJson(d));
    const statement: StatementRecord = {
      nodeId,
      month,
      currency,
      policy,
      nodeFee,
      subscriptions: subs.length,
      grossTotal: totals.gross,
      creditsIn: totals.creditsIn,
      nodeFeeTotal: totals.nodeFee,
      payouts: payoutList,
      payoutTotal: payoutList.reduce((acc, p) => acc + p.amount, 0),
      rolledOver: totals.rolledOver,
      toNodeTotal: totals.toNode,
      refundedTotal: totals.refunded,
      heldTotal: totals.held,
      heldByArtist: sortedEntries(heldByArtist, (v) => v > 0),
      days,
      missingDays,
      collection,
      hash: canonicalArrayHash(detailTexts),
      closedAt: now,
      txId,
    };
    const accounted = statement.nodeFeeTotal + statement.payoutTotal + statement.rolledOver + statement.toNodeTotal + statement.refundedTotal + statement.heldTotal;
    if (accounted !== statement.grossTotal + statement.creditsIn) {
      throw new Error(`${what}: internal error: split does not balance (${accounted} != ${statement.grossTotal + statement.creditsIn})`);
    }

    // Rolled-over credit moves to the same listener's pseudonym of the next month (pseudonyms
    // change monthly): the node passes that mapping privately, in the transient map.
    const creditsOut = new Map<string, number>();
    if (totals.rolledOver > 0) {
      const mapping = nextPseudonyms(ctx, what);
      for (const detail of perSubscription) {
        if (detail.rolledOver <= 0) continue;
        const to = mapping.get(detail.pseudonym);
        if (!to) throw new Error(`${what}: a rolled-over pseudonym has no next-month pseudonym in the transient "nextPseudonyms" map`);
        addTo(creditsOut, to, detail.rolledOver);
      }
    }

    // 5. Write (each key once, in a fixed order).
    for (let i = 0; i < perSubscription.length; i++) {
      await ctx.stub.putPrivateData(collection, key(ctx, PRIVATE_KEY.closeDetail, [nodeId, month, perSubscription[i].pseudonym]), Buffer.from(detailTexts[i], 'utf8'));
    }
    for (const [pseudonym, amount] of [...creditsOut].sort(([a], [b]) => compareKeys(a, b))) {
      const credit: CreditRecord = { nodeId, month: next, pseudonym, amount, currency: currency ?? '', fromMonth: month, txId };
      await putPrivateJson(ctx, collection, PRIVATE_KEY.credit, [nodeId, next, pseudonym], credit);
    }
    for (const p of payoutList) {
      const payout: PayoutRecord = { artist: p.artist, nodeId, month, amount: p.amount, currency, dueBy: `${month}-25`, closedAt: now, txId };
      await putJson(ctx, KEY.payout, [p.artist, nodeId, month], payout);
    }
    await putJson(ctx, KEY.statement, [nodeId, month], statement);
    ctx.stub.setEvent('MonthClosed', Buffer.from(ok({ nodeId, month, hash: statement.hash, payoutTotal: statement.payoutTotal })));
    return ok(statement);
  }

  /** getStatement(nodeId, month): the public statement, or null. */
  @Transaction(false)
  @Returns('string')
  public async getStatement(ctx: Context, nodeId: string, month: string): Promise<string> {
    checkMonth(month, 'getStatement');
    return ok(await getJson<StatementRecord>(ctx, KEY.statement, [nodeId, month]));
  }

  /** payoutsForArtist(artist): every payout obligation to the artist's actor URI, by node then month. */
  @Transaction(false)
  @Returns('string')
  public async payoutsForArtist(ctx: Context, artist: string): Promise<string> {
    return ok(await listJson<PayoutRecord>(ctx, KEY.payout, [artist]));
  }

  /** getSubscriptionDetail(nodeId, month, pseudonym): private split detail, or null. Node's own organisation only. */
  @Transaction(false)
  @Returns('string')
  public async getSubscriptionDetail(ctx: Context, nodeId: string, month: string, pseudonym: string): Promise<string> {
    checkMonth(month, 'getSubscriptionDetail');
    const node = await requireNodeCaller(ctx, nodeId, 'getSubscriptionDetail');
    return ok(await getPrivateJson<SubscriptionDetail>(ctx, rowsCollection(node.organisation), PRIVATE_KEY.closeDetail, [nodeId, month, pseudonym]));
  }
}

