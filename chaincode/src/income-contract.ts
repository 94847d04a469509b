// IncomeContract: a node's daily per-artist income besides the subscription split (tips,
// payment-stream withdrawals and metered sales: pay-per-segment), public, so an auditor sees every source of an artist's income.
// The month close sums the month's days into the statement, apart from the split.
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { checkDay, checkMonth, getJson, KEY, listJson, ok, parseJsonArg, putJson, str, txTime } from './lib/ledger.js';
import { requireNode, requireNodeCaller } from './lib/registry.js';
import { monthClosed } from './subscription-contract.js';
import { compareKeys } from './vendor/money/index.js';

/** One artist's income of a day, in minor units. */
export interface ArtistIncome {
  artist: string;
  tips: number;
  streams: number;
  /** Pay-per-segment sales (records made before it existed read as 0). */
  metered: number;
}

export interface IncomeRecord {
  nodeId: string;
  day: string;
  month: string;
  currency: string;
  income: ArtistIncome[];
  submittedAt: string;
  txId: string;
}

function amount(value: unknown, field: string, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Error(`${where}: "${field}" must be an integer >= 0`);
  return value;
}

/** Validated, one entry per artist, sorted by artist: the canonical form compared and stored. */
export function parseIncome(raw: unknown, what: string): ArtistIncome[] {
  if (!Array.isArray(raw)) throw new Error(`${what}: "income" must be an array`);
  if (raw.length > 100_000) throw new Error(`${what}: "income" has more than 100000 artists`);
  const seen = new Set<string>();
  const out = raw.map((r, i) => {
    const o = (r && typeof r === 'object' ? r : {}) as Record<string, unknown>;
    const where = `${what} income[${i}]`;
    const artist = str(o, 'artist', where);
    if (seen.has(artist)) throw new Error(`${what}: two entries for artist "${artist}"`);
    seen.add(artist);
    const entry = { artist, tips: amount(o.tips ?? 0, 'tips', where), streams: amount(o.streams ?? 0, 'streams', where), metered: amount(o.metered ?? 0, 'metered', where) };
    if (entry.tips + entry.streams + entry.metered === 0) throw new Error(`${where}: an entry must carry some income`);
    return entry;
  });
  return out.sort((a, b) => compareKeys(a.artist, b.artist));
}

/** Per-artist sums over days, sorted by artist. */
export function sumIncome(days: readonly IncomeRecord[]): ArtistIncome[] {
  const by = new Map<string, ArtistIncome>();
  for (const d of days) {
    for (const e of d.income) {
      const acc = by.get(e.artist) ?? { artist: e.artist, tips: 0, streams: 0, metered: 0 };
      acc.tips += e.tips;
      acc.streams += e.streams;
      acc.metered += e.metered ?? 0;
      by.set(e.artist, acc);
    }
  }
  return [...by.values()].sort((a, b) => compareKeys(a.artist, b.artist));
}

const same = (a: ArtistIncome[], b: ArtistIncome[]) =>
  a.length === b.length && a.every((x, i) => x.artist === b[i].artist && x.tips === b[i].tips && x.streams === b[i].streams && (x.metered ?? 0) === (b[i].metered ?? 0));

@Info({ title: 'IncomeContract', description: 'Daily per-artist income besides the subscription split: tips, payment streams and metered sales' })
export class IncomeContract extends Contract {
  constructor() {
    super('IncomeContract');
  }

  /**
   * submit({nodeId, day, currency, income: [{artist, tips, streams, metered}]}): a node's income of a day,
   * once. The same report again returns the stored record; a different one is refused, as is a
   * day of a closed month (the close has counted the month).
   */
  @Transaction()
  @Returns('string')
  public async submit(ctx: Context, incomeJson: string): Promise<string> {
    const what = 'submitIncome';
    const input = parseJsonArg(incomeJson, what);
    const nodeId = str(input, 'nodeId', what);
    const day = checkDay(str(input, 'day', what), what);
    const month = day.slice(0, 7);
    const currency = str(input, 'currency', what, 16);
    const income = parseIncome(input.income, what);
    await requireNodeCaller(ctx, nodeId, what);
    const existing = await getJson<IncomeRecord>(ctx, KEY.income, [nodeId, month, day]);
    if (existing) {
      if (existing.currency === currency && same(existing.income, income)) return ok(existing);
      throw new Error(`${what}: node "${nodeId}" already reported its income of ${day}, with other figures`);
    }
    if (await monthClosed(ctx, nodeId, month)) throw new Error(`${what}: month ${month} of node "${nodeId}" is already closed`);
    const record: IncomeRecord = { nodeId, day, month, currency, income, submittedAt: txTime(ctx).iso, txId: ctx.stub.getTxID() };
    await putJson(ctx, KEY.income, [nodeId, month, day], record);
    ctx.stub.setEvent('IncomeReported', Buffer.from(ok({ nodeId, day, artists: income.length })));
    return ok(record);
  }

  /** listForMonth(nodeId, month): the month's daily income records, by day. */
  @Transaction(false)
  @Returns('string')
  public async listForMonth(ctx: Context, nodeId: string, month: string): Promise<string> {
    await requireNode(ctx, nodeId, 'listIncome');
    return ok(await listJson<IncomeRecord>(ctx, KEY.income, [nodeId, checkMonth(month, 'listIncome')]));
  }
}
