// ReportContract: a node's daily listening report. Per-artist totals and the rows' hash are public;
// the per-listener rows travel in the transient map and are kept as the node organisation's private data.
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import {
  checkDay,
  checkMonth,
  getJson,
  getPrivateJson,
  KEY,
  listJson,
  ok,
  optStr,
  parseJsonArg,
  PRIVATE_KEY,
  putJson,
  putPrivateJson,
  rowsCollection,
  str,
  txTime,
} from './lib/ledger.js';
import { MonthListening } from './lib/month-listening.js';
import { requireNode, requireNodeCaller } from './lib/registry.js';
import { monthClosed } from './subscription-contract.js';
import { artistTotalsOf, compareKeys, reportRowsHash, type ArtistTotal, type ReportRow } from './vendor/money/index.js';

export type { ArtistTotal };

export interface ReportRecord {
  nodeId: string;
  day: string;
  month: string;
  version: number;
  /** `<nodeId>#<day>#<version>`: what `correctionOf` may name (so may the txId). */
  reportKey: string;
  hash: string;
  artistTotals: ArtistTotal[];
  rowCount: number;
  collection: string;
  correctionOf: string | null;
  reason: string | null;
  submittedAt: string;
  txId: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function versionAttr(version: number): string {
  return `v${String(version).padStart(6, '0')}`;
}

function count(value: unknown, field: string, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Error(`${where}: "${field}" must be an integer >= 0`);
  return value;
}

function text(value: unknown, field: string, where: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048 || value.includes('\u0000')) {
    throw new Error(`${where}: "${field}" must be a non-empty string`);
  }
  return value;
}

export function parseRows(raw: unknown, what: string): ReportRow[] {
  if (!Array.isArray(raw)) throw new Error(`${what}: transient "rows" must be a JSON array`);
  const seen = new Set<string>();
  return raw.map((r, i) => {
    if (!r || typeof r !== 'object') throw new Error(`${what}: row ${i} must be an object`);
    const o = r as Record<string, unknown>;
    const row: ReportRow = {
      pseudonym: text(o.pseudonym, 'pseudonym', `${what} row ${i}`),
      artist: text(o.artist, 'artist', `${what} row ${i}`),
      seconds: count(o.seconds, 'seconds', `${what} row ${i}`),
      plays: count(o.plays, 'plays', `${what} row ${i}`),
    };
    const pair = `${row.pseudonym}\u0000${row.artist}`;
    if (seen.has(pair)) throw new Error(`${what}: two rows for the same pseudonym and artist (${row.artist})`);
    seen.add(pair);
    return row;
  });
}

/** Per-artist sums of rows, sorted by artist (the shared definition). */
export const totalsOf = artistTotalsOf;

/**
 * Throws unless `totals` are exactly the per-artist sums of `rows` (any order, no duplicates): the
 * one check, shared with the month close, which runs it while filing a month's rows.
 */
export function checkTotals(rows: readonly ReportRow[], totals: readonly ArtistTotal[], where: string): void {
  new MonthListening().addDay(rows, totals, where);
}

@Info({ title: 'ReportContract', description: 'Daily listening reports: public per-artist totals, private per-listener rows' })
export class ReportContract extends Contract {
  constructor() {
    super('ReportContract');
  }

  /**
   * submit({nodeId, day, artistTotals, hash, correctionOf?, reason?}) with transient `rows`.
   * Checks the rows against the totals and the hash, stores the rows privately for the node's
   * organisation and the report publicly. One report per node and day; a later one must name the
   * current one in `correctionOf` (its reportKey or txId) and becomes the new current version.
   */
  @Transaction()
  @Returns('string')
  public async submit(ctx: Context, reportJson: string): Promise<string> {
    const what = 'submit';
    const input = parseJsonArg(reportJson, what);
    const nodeId = str(input, 'nodeId', what);
    const day = checkDay(str(input, 'day', what), what);
    const month = day.slice(0, 7);
    const hash = str(input, 'hash', what, 64).toLowerCase();
    if (!HEX64.test(hash)) throw new Error(`${what}: "hash" must be a sha256 hex digest`);
    const correctionOf = optStr(input, 'correctionOf', what);
    const reason = optStr(input, 'reason', what, 4096);
    if (!Array.isArray(input.artistTotals)) throw new Error(`${what}: "artistTotals" must be an array`);
    const artistTotals: ArtistTotal[] = input.artistTotals.map((t: unknown, i: number) => {
      const o = (t && typeof t === 'object' ? t : {}) as Record<string, unknown>;
      const where = `${what} artistTotals[${i}]`;
      return { artist: text(o.artist, 'artist', where), seconds: count(o.seconds, 'seconds', where), plays: count(o.plays, 'plays', where) };
    });

    const node = await requireNodeCaller(ctx, nodeId, what);
    if (await monthClosed(ctx, nodeId, month)) throw new Error(`${what}: month ${month} of node "${nodeId}" is already closed`);

    const transient = ctx.stub.getTransient();
    const rawRows = transient.get('rows');
    if (!rawRows || rawRows.length === 0) throw new Error(`${what}: the per-listener rows must be passed in the transient map under "rows"`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(rawRows).toString('utf8'));
    } catch {
      throw new Error(`${what}: transient "rows" is not valid JSON`);
    }
    const rows = parseRows(parsed, what);
    checkTotals(rows, artistTotals, what);
    const computed = reportRowsHash(rows);
    if (computed !== hash) throw new Error(`${what}: hash mismatch: the canonical rows hash to ${computed}, the report says ${hash}`);

    const current = await getJson<ReportRecord>(ctx, KEY.report, [nodeId, month, day]);
    if (current) {
      if (!correctionOf) throw new Error(`${what}: node "${nodeId}" already reported ${day}; send a correction with correctionOf "${current.reportKey}"`);
      if (correctionOf !== current.reportKey && correctionOf !== current.txId) {
        throw new Error(`${what}: correctionOf "${correctionOf}" is not the current report of ${day} ("${current.reportKey}")`);
      }
    } else if (correctionOf) {
      throw new Error(`${what}: correctionOf given but node "${nodeId}" has no report for ${day}`);
    }

    const version = current ? current.version + 1 : 1;
    const collection = rowsCollection(node.organisation);
    const report: ReportRecord = {
      nodeId,
      day,
      month,
      version,
      reportKey: `${nodeId}#${day}#${version}`,
      hash,
      artistTotals: totalsOf(rows),
      rowCount: rows.length,
      collection,
      correctionOf: current ? current.reportKey : null,
      reason: reason ?? null,
      submittedAt: txTime(ctx).iso,
      txId: ctx.stub.getTxID(),
    };
    const canonicalRows = [...rows].sort((a, b) => compareKeys(a.pseudonym, b.pseudonym) || compareKeys(a.artist, b.artist));
    await putPrivateJson(ctx, collection, PRIVATE_KEY.reportRows, [nodeId, day, versionAttr(version)], canonicalRows);
    await putJson(ctx, KEY.reportVersion, [nodeId, month, day, versionAttr(version)], report);
    await putJson(ctx, KEY.report, [nodeId, month, day], report);
    ctx.stub.setEvent('ReportSubmitted', Buffer.from(ok({ nodeId, day, version, hash, reportKey: report.reportKey })));
    return ok(report);
  }

  /** get(nodeId, day): the current report of the day, or null. */
  @Transaction(false)
  @Returns('string')
  public async get(ctx: Context, nodeId: string, day: string): Promise<string> {
    checkDay(day, 'get');
    return ok(await getJson<ReportRecord>(ctx, KEY.report, [nodeId, day.slice(0, 7), day]));
  }

  /** listForMonth(nodeId, month): the current report of each reported day, sorted by day. */
  @Transaction(false)
  @Returns('string')
  public async listForMonth(ctx: Context, nodeId: string, month: string): Promise<string> {
    checkMonth(month, 'listForMonth');
    await requireNode(ctx, nodeId, 'listForMonth');
    return ok(await listJson<ReportRecord>(ctx, KEY.report, [nodeId, month]));
  }

  /** getRows(nodeId, day): the current report's private rows, or null. Only for the node's own organisation. */
  @Transaction(false)
  @Returns('string')
  public async getRows(ctx: Context, nodeId: string, day: string): Promise<string> {
    checkDay(day, 'getRows');
    const node = await requireNodeCaller(ctx, nodeId, 'getRows');
    const report = await getJson<ReportRecord>(ctx, KEY.report, [nodeId, day.slice(0, 7), day]);
    if (!report) return ok(null);
    return ok(await getPrivateJson<ReportRow[]>(ctx, rowsCollection(node.organisation), PRIVATE_KEY.reportRows, [nodeId, day, versionAttr(report.version)]));
  }
}
