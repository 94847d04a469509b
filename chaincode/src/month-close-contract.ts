// MonthCloseContract: reconciles a node's month of daily reports and splits every subscription
// (node fee, then top-9 artists by qualified seconds) with the shared `subscriptionDetail` (splitSubscription plus the no-listening policy).
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
  previousMonth,
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
import { sumIncome, type ArtistIncome, type IncomeRecord } from './income-contract.js';
import { MonthListening } from './lib/month-listening.js';
import { ReportRecord, versionAttr } from './report-contract.js';
import { SubscriptionRecord } from './subscription-contract.js';
import { CanonicalArrayChunker, compareKeys, reportRowsHash, sha256Hex, subscriptionDetail, type NoListeningPolicy, type ReportRow, type SubscriptionDetail } from './vendor/money/index.js';

export type { NoListeningPolicy, SubscriptionDetail };

export interface CreditRecord {
  nodeId: string;
  month: string;
  pseudonym: string;
  amount: number;
  currency: string;
  fromMonth: string;
  txId: string;
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
  /** Income besides the split, from the month's IncomeContract days: per artist, and the totals. */
  income: ArtistIncome[];
  incomeTotals: { tips: number; streams: number; metered: number };
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

const PREFETCH_DAYS = 3;
/** Subscriptions per stored chunk of close detail. */
export const DETAIL_CHUNK = 1000;

export function chunkAttr(index: number): string {
  return `c${String(index).padStart(6, '0')}`;
}

/**
 * canonicalJson for SubscriptionDetail, written out by hand (keys in code-unit order) because a
 * month close serialises one per subscription; the strings that repeat (node, month, artists) are
 * escaped once. test/chaincode checks it against canonicalJson.
 */
export function detailSerializer(nodeId: string, month: string): (d: SubscriptionDetail) => string {
  const quoted = new Map<string, string>();
  const q = (text: string) => {
    let out = quoted.get(text);
    if (out === undefined) {
      out = JSON.stringify(text);
      if (quoted.size < 100_000) quoted.set(text, out);
    }
    return out;
  };
  const shares = (list: SubscriptionDetail['artists']) => {
    let out = '[';
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (i > 0) out += ',';
      out += `{"amount":${jsonInt(a.amount)},"artist":${q(a.artist)},"seconds":${jsonInt(a.seconds)}}`;
    }
    return `${out}]`;
  };
  return (d) => {
    if (d.nodeId !== nodeId || d.month !== month) throw new Error('detailSerializer: detail of another node or month');
    return (
      `{"amount":${jsonInt(d.amount)},"artists":${shares(d.artists)},"creditIn":${jsonInt(d.creditIn)},"held":${jsonInt(d.held)},` +
      `"heldArtists":${shares(d.heldArtists)},"month":${q(month)},"nodeFee":${jsonInt(d.nodeFee)},"nodeId":${q(nodeId)},` +
      `"pseudonym":${JSON.stringify(d.pseudonym)},"refunded":${jsonInt(d.refunded)},"rolledOver":${jsonInt(d.rolledOver)},` +
      `"subscribed":${d.subscribed ? 'true' : 'false'},"toNode":${jsonInt(d.toNode)}}`
    );
  };
}

/** A safe integer as JSON (every amount and count in a detail is one). */
function jsonInt(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`detailSerializer: ${n} is not a safe integer`);
  return String(n);
}

/**
 * The month's active subscriptions as the split needs them (pseudonym -> amount, and their
 * currencies): a large month has a million records, and only this much of them is kept.
 */
async function activeSubscriptions(ctx: Context, nodeId: string, month: string): Promise<{ amounts: Map<string, number>; currencies: Set<string> }> {
  const amounts = new Map<string, number>();
  const currencies = new Set<string>();
  for (const s of await listJson<SubscriptionRecord>(ctx, KEY.subscription, [nodeId, month])) {
    if (s.status !== 'active') continue;
    amounts.set(s.pseudonym, s.amount);
    currencies.add(s.currency);
  }
  return { amounts, currencies };
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

/**
 * The credits carried into `month`: none unless the month before was closed with money rolled
 * over; then the one record that close wrote (point reads only, so the close may write). A
 * month closed before that record existed (embedded ledgers only: on Fabric such a close could
 * not have written) is read by listing its credit keys.
 */
async function creditsCarriedInto(ctx: Context, collection: string, nodeId: string, month: string): Promise<CreditRecord[]> {
  const before = await getJson<StatementRecord>(ctx, KEY.statement, [nodeId, previousMonth(month)]);
  if (!before || !(before.rolledOver > 0)) return [];
  const carried = await getPrivateJson<CreditRecord[]>(ctx, collection, PRIVATE_KEY.creditsIn, [nodeId, month]);
  return carried ?? listPrivateJson<CreditRecord>(ctx, collection, PRIVATE_KEY.credit, [nodeId, month]);
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

    // Subscriptions and credits are read while the days are reconciled (step 3 uses them).
    const subsRead = activeSubscriptions(ctx, nodeId, month);
    const creditsRead = creditsCarriedInto(ctx, collection, nodeId, month);
    // A refusal before step 3 must not leave these reads unobserved.
    subsRead.catch(() => {});
    creditsRead.catch(() => {});

    // 1. Reconcile the daily reports.
    const reports = new Map((await listJson<ReportRecord>(ctx, KEY.report, [nodeId, month])).map((r) => [r.day, r]));
    const listening = new MonthListening();
    const days: StatementRecord['days'] = [];
    // The private rows of the next few days are requested while one day is checked, so the
    // state reads overlap the work (a peer's shim queues them; the results are the same).
    const rowKey = (report: ReportRecord) => key(ctx, PRIVATE_KEY.reportRows, [nodeId, report.day, versionAttr(report.version)]);
    const reported = daysOf(month).filter((d) => reports.has(d));
    const fetches = new Map<string, Promise<Uint8Array>>();
    const fetchAhead = (from: number) => {
      for (let i = from; i < Math.min(from + PREFETCH_DAYS, reported.length); i++) {
        if (!fetches.has(reported[i])) fetches.set(reported[i], ctx.stub.getPrivateData(collection, rowKey(reports.get(reported[i])!)));
      }
    };
    for (const day of daysOf(month)) {
      const report = reports.get(day);
      if (!report) {
        if (!missing.has(day)) throw new Error(`${what}: no report for ${day}; submit it or list it in missingDays`);
        continue;
      }
      fetchAhead(reported.indexOf(day));
      const raw = await fetches.get(day)!;
      fetches.delete(day);
      if (!raw || raw.length === 0) throw new Error(`${what}: the private rows of ${day} are not available in collection ${collection}`);
      const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const rows = JSON.parse(bytes.toString('utf8')) as ReportRow[];
      listening.addDay(rows, report.artistTotals, `${what}: reconciliation of ${day}`);
      // Submit stores the rows in their canonical form, so the stored bytes hash to the report's
      // hash directly (one native pass, no re-serialisation); anything else is re-canonicalised.
      if (sha256Hex(bytes) !== report.hash && reportRowsHash(rows) !== report.hash) {
        throw new Error(`${what}: reconciliation of ${day}: private rows do not match the report hash`);
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
      const listened = listening.secondsOf(h.pseudonym, h.artist);
      if ((heldSum.get(pairKey) ?? 0) > listened) {
        throw new Error(`${what}: held seconds for artist "${h.artist}" exceed that listener's ${listened} qualified seconds in ${month}`);
      }
      heldBy.set(h.pseudonym, [...(heldBy.get(h.pseudonym) ?? []), { artist: h.artist, seconds: h.seconds }]);
    }

    // 3. Subscriptions and carried-in credits.
    const subs = await subsRead;
    const credits = await creditsRead;
    const currencies = new Set([...subs.currencies, ...credits.map((c) => c.currency)]);
    if (currencies.size > 1) throw new Error(`${what}: subscriptions of ${month} mix currencies (${[...currencies].sort().join(', ')})`);
    const currency = currencies.size ? [...currencies][0] : null;
    const subBy = subs.amounts;
    const creditBy = new Map<string, number>();
    for (const c of credits) addTo(creditBy, c.pseudonym, c.amount);
    const pseudonyms = [...new Set([...subBy.keys(), ...creditBy.keys()])].sort(compareKeys);

    // 4. Split.
    const next = nextMonth(month);
    const now = txTime(ctx).iso;
    const txId = ctx.stub.getTxID();
    // Each detail is serialised and encoded once, as it is made: the same canonical bytes are
    // stored (in chunks) and hashed, and only what later steps need is kept.
    const json = detailSerializer(nodeId, month);
    const details = new CanonicalArrayChunker(DETAIL_CHUNK);
    const firstPseudonyms: string[] = [];
    let detailCount = 0;
    const rolledOverBy: [string, number][] = [];
    const payouts = new Map<string, number>();
    const heldByArtist = new Map<string, number>();
    const totals = { gross: 0, creditsIn: 0, nodeFee: 0, rolledOver: 0, toNode: 0, refunded: 0, held: 0 };
    for (const pseudonym of pseudonyms) {
      const creditIn = creditBy.get(pseudonym) ?? 0;
      const detail = subscriptionDetail({
        nodeId, month, pseudonym, amount: subBy.get(pseudonym), nodeFee, creditIn,
        artistSeconds: listening.artistSeconds(pseudonym), held: heldBy.get(pseudonym) ?? [], policy,
      });
      if (detailCount++ % DETAIL_CHUNK === 0) firstPseudonyms.push(pseudonym);
      details.add(json(detail));
      if (detail.rolledOver > 0) rolledOverBy.push([pseudonym, detail.rolledOver]);
      for (const a of detail.artists) addTo(payouts, a.artist, a.amount);
      for (const h of detail.heldArtists) addTo(heldByArtist, h.artist, h.amount);
      totals.gross += detail.amount;
      totals.creditsIn += creditIn;
      totals.nodeFee += detail.nodeFee;
      totals.rolledOver += detail.rolledOver;
      totals.toNode += detail.toNode;
      totals.refunded += detail.refunded;
      totals.held += detail.held;
    }
    if (totals.rolledOver > 0 && (await exists(ctx, KEY.statement, [nodeId, next]))) {
      throw new Error(`${what}: ${next} is already closed, so ${month} cannot roll credit into it; close months in order`);
    }

    const income = sumIncome(await listJson<IncomeRecord>(ctx, KEY.income, [nodeId, month]));
    const payoutList = sortedEntries(payouts, (v) => v > 0);
    const stored = details.finish();
    const statement: StatementRecord = {
      nodeId,
      month,
      currency,
      policy,
      nodeFee,
      subscriptions: subs.amounts.size,
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
      income,
      incomeTotals: { tips: income.reduce((a, e) => a + e.tips, 0), streams: income.reduce((a, e) => a + e.streams, 0), metered: income.reduce((a, e) => a + (e.metered ?? 0), 0) },
      days,
      missingDays,
      collection,
      hash: stored.hash,
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
      for (const [pseudonym, amount] of rolledOverBy) {
        const to = mapping.get(pseudonym);
        if (!to) throw new Error(`${what}: a rolled-over pseudonym has no next-month pseudonym in the transient "nextPseudonyms" map`);
        addTo(creditsOut, to, amount);
      }
    }

    // 5. Write (each key once, in a fixed order).
    for (let c = 0; c < stored.chunks.length; c++) {
      await ctx.stub.putPrivateData(collection, key(ctx, PRIVATE_KEY.closeDetails, [nodeId, month, chunkAttr(c)]), stored.chunks[c]);
    }
    await putPrivateJson(ctx, collection, PRIVATE_KEY.closeDetailIndex, [nodeId, month], { chunkSize: DETAIL_CHUNK, firstPseudonyms });
    const carried: CreditRecord[] = [];
    for (const [pseudonym, amount] of [...creditsOut].sort(([a], [b]) => compareKeys(a, b))) {
      const credit: CreditRecord = { nodeId, month: next, pseudonym, amount, currency: currency ?? '', fromMonth: month, txId };
      await putPrivateJson(ctx, collection, PRIVATE_KEY.credit, [nodeId, next, pseudonym], credit);
      carried.push(credit);
    }
    if (carried.length) await putPrivateJson(ctx, collection, PRIVATE_KEY.creditsIn, [nodeId, next], carried);
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
    const collection = rowsCollection(node.organisation);
    const index = await getPrivateJson<{ firstPseudonyms: string[] }>(ctx, collection, PRIVATE_KEY.closeDetailIndex, [nodeId, month]);
    if (!index) return ok(null);
    // The chunk is the last one whose first pseudonym is not after this one.
    let lo = 0;
    let hi = index.firstPseudonyms.length - 1;
    if (hi < 0 || compareKeys(pseudonym, index.firstPseudonyms[0]) < 0) return ok(null);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (compareKeys(index.firstPseudonyms[mid], pseudonym) <= 0) lo = mid;
      else hi = mid - 1;
    }
    const chunk = await getPrivateJson<SubscriptionDetail[]>(ctx, collection, PRIVATE_KEY.closeDetails, [nodeId, month, chunkAttr(lo)]);
    return ok(chunk?.find((d) => d.pseudonym === pseudonym) ?? null);
  }
}
