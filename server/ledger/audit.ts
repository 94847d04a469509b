// What auditors read: the transaction log (paged, filtered), the chain check, public
// records by key, and the independent recomputation of a month's payouts from the
// ledger's own data (reports, private rows, subscriptions, credits and the close
// transaction's arguments) with the shared money split. Each engine supplies the data:
// the embedded engine from its tables, the fabric engine from the chaincode's read
// functions and the peer's blocks (fabric-blocks.ts, fabric-recompute-source.ts).
import type pg from 'pg';
import { canonicalHash, compareKeys, reportRowsHash, subscriptionDetail, type ReportRow } from '../../shared/money/index.js';
import type { EmbeddedLedger } from './embedded.js';
import type { FabricLedger } from './fabric.js';
import type { VerifyReport } from './chain.js';
import { chaincodeRecomputeSource } from './fabric-recompute-source.js';
import { PUBLIC } from './stub.js';
import type * as api from '../../shared/api/index.js';

export type TxSummary = api.LedgerTransaction;

export interface TxDetail extends TxSummary {
  channel: string;
  argsHash: string;
  rwset: unknown;
  events: { name: string; payload: string }[];
  result: string;
}

/** The transaction log as auditors read it, whichever engine keeps it. */
export interface TransactionLog {
  list(f: TxFilter): Promise<{ total: number; data: TxSummary[] }>;
  get(txId: string): Promise<TxDetail | undefined>;
  /** Recomputes every block's hashes and links, in order; reports the first broken block. */
  verify(): Promise<VerifyReport>;
}

/** The embedded engine's log is its `ledger_transactions` table; a Fabric peer's is its blocks. */
export function transactionLogOf(ledger: EmbeddedLedger | FabricLedger): TransactionLog {
  if (ledger.engine === 'fabric') return ledger.blocks;
  return {
    list: (f) => listTransactions(ledger.pool, f),
    get: (txId) => getTransactionDetail(ledger.pool, txId),
    verify: () => ledger.verify(),
  };
}

export interface TxFilter {
  fn?: string;
  creator?: string;
  fromBlock?: number;
  limit: number;
  offset: number;
}

export async function listTransactions(pool: pg.Pool, f: TxFilter): Promise<{ total: number; data: TxSummary[] }> {
  const where = ['($1::text IS NULL OR fn = $1 OR fn LIKE $1 || \':%\')', '($2::text IS NULL OR creator_id = $2)', '($3::bigint IS NULL OR block_number >= $3)'];
  const params = [f.fn ?? null, f.creator ?? null, f.fromBlock ?? null];
  const total = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ledger_transactions WHERE ${where.join(' AND ')}`, params);
  const rows = await pool.query(
    `SELECT block_number, tx_id, fn, args, creator_msp, creator_id, tx_timestamp, hash, prev_hash FROM ledger_transactions
      WHERE ${where.join(' AND ')} ORDER BY block_number LIMIT $4 OFFSET $5`,
    [...params, f.limit, f.offset],
  );
  return { total: Number(total.rows[0].n), data: rows.rows.map(summary) };
}

function summary(r: Record<string, any>): TxSummary {
  return {
    blockNumber: Number(r.block_number),
    txId: r.tx_id,
    fn: r.fn,
    args: JSON.parse(r.args),
    creatorMsp: r.creator_msp,
    creatorId: r.creator_id,
    timestamp: new Date(r.tx_timestamp).toISOString(),
    hash: r.hash,
    prevHash: r.prev_hash,
  };
}

export async function getTransactionDetail(pool: pg.Pool, txId: string): Promise<TxDetail | undefined> {
  const r = await pool.query('SELECT * FROM ledger_transactions WHERE tx_id = $1', [txId]);
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    ...summary(row),
    channel: row.channel,
    argsHash: row.args_hash,
    rwset: JSON.parse(row.rwset),
    events: (JSON.parse(row.events) as { name: string; payload: string }[]).map((e) => ({ name: e.name, payload: Buffer.from(e.payload, 'base64').toString('utf8') })),
    result: Buffer.from(row.result, 'base64').toString('utf8'),
  };
}

/** Fabric's composite key form. */
export const compositeKey = (objectType: string, attributes: string[]) => `\u0000${objectType}\u0000${attributes.map((a) => `${a}\u0000`).join('')}`;

async function stateJson<T>(pool: pg.Pool, collection: string, key: string): Promise<T | null> {
  const r = await pool.query<{ value: Buffer }>('SELECT value FROM ledger_state WHERE collection = $1 AND key = $2', [collection, Buffer.from(key, 'utf8')]);
  return r.rows[0] ? (JSON.parse(r.rows[0].value.toString('utf8')) as T) : null;
}

async function stateList<T>(pool: pg.Pool, collection: string, prefix: string): Promise<T[]> {
  const start = Buffer.from(prefix, 'utf8');
  const end = Buffer.from(prefix + '\u{10FFFF}', 'utf8');
  const r = await pool.query<{ value: Buffer }>('SELECT value FROM ledger_state WHERE collection = $1 AND key >= $2 AND key < $3 ORDER BY key', [collection, start, end]);
  return r.rows.map((x) => JSON.parse(x.value.toString('utf8')) as T);
}

export interface Statement {
  nodeId: string;
  month: string;
  policy: 'rollover' | 'node' | 'refund';
  nodeFee: number;
  payouts: { artist: string; amount: number }[];
  /** Present on statements closed with IncomeContract (decision 0306). */
  income?: ArtistIncome[];
  days: { day: string; version: number; hash: string }[];
  collection: string;
  hash: string;
  txId: string;
}

export type RecomputeReport = api.LedgerRecomputeReport;

interface ArtistIncome {
  artist: string;
  tips: number;
  streams: number;
  /** Absent on records made before metered sales were reported. */
  metered?: number;
}

/**
 * Where a recomputation reads the ledger's data. Private reads (`reportRows`, `credits`)
 * answer null when this identity cannot read the node's collection.
 */
export interface RecomputeSource {
  statement(nodeId: string, month: string): Promise<Statement | null>;
  /** The arguments of a committed, valid transaction; null when the log has none with that id. */
  transactionArgs(txId: string): Promise<string[] | null>;
  /** A day's private report rows at a report version. */
  reportRows(collection: string, nodeId: string, day: string, version: number): Promise<ReportRow[] | null>;
  /** The month's subscriptions, active and cancelled. */
  subscriptions(nodeId: string, month: string): Promise<{ pseudonym: string; amount: number; status: string }[]>;
  /** Credits rolled over into the month (private: keyed by the month's pseudonyms). */
  credits(collection: string, nodeId: string, month: string): Promise<{ pseudonym: string; amount: number }[] | null>;
  payout(artist: string, nodeId: string, month: string): Promise<{ amount: number } | null>;
  /** The month's IncomeContract days (public). */
  income(nodeId: string, month: string): Promise<{ income: ArtistIncome[] }[]>;
}

/** The embedded engine's world state and log, read straight from its tables. */
export function postgresRecomputeSource(pool: pg.Pool): RecomputeSource {
  return {
    statement: (nodeId, month) => stateJson<Statement>(pool, PUBLIC, compositeKey('statement', [nodeId, month])),
    async transactionArgs(txId) {
      const r = await pool.query<{ args: string }>('SELECT args FROM ledger_transactions WHERE tx_id = $1', [txId]);
      return r.rows[0] ? (JSON.parse(r.rows[0].args) as string[]) : null;
    },
    reportRows: (collection, nodeId, day, version) =>
      stateJson<ReportRow[]>(pool, `private:${collection}`, compositeKey('reportRows', [nodeId, day, `v${String(version).padStart(6, '0')}`])),
    subscriptions: (nodeId, month) => stateList(pool, PUBLIC, compositeKey('subscription', [nodeId, month])),
    credits: (collection, nodeId, month) => stateList(pool, `private:${collection}`, compositeKey('credit', [nodeId, month])),
    payout: (artist, nodeId, month) => stateJson<{ amount: number }>(pool, PUBLIC, compositeKey('payout', [artist, nodeId, month])),
    income: (nodeId, month) => stateList(pool, PUBLIC, compositeKey('income', [nodeId, month])),
  };
}

export function recomputeSourceOf(ledger: EmbeddedLedger | FabricLedger): RecomputeSource {
  return ledger.engine === 'fabric' ? chaincodeRecomputeSource(ledger, ledger.blocks) : postgresRecomputeSource(ledger.pool);
}

/**
 * Recomputes a closed month of a node from the ledger: the report rows of the day
 * versions the statement names (checked against their hashes), the month's active
 * subscriptions and carried-in credits, and the held seconds and policy given to the
 * close transaction, split with the shared `subscriptionDetail` (as the contract does). Reads the node's
 * private collection, so it runs where that collection is (the node's organisation).
 */
export async function recomputeMonth(ledger: EmbeddedLedger | FabricLedger, nodeId: string, month: string): Promise<RecomputeReport | undefined> {
  const source = recomputeSourceOf(ledger);
  const statement = await source.statement(nodeId, month);
  if (!statement) return undefined;
  const problems: string[] = [];
  const closeArgs = await source.transactionArgs(statement.txId);
  let held: { pseudonym: string; artist: string; seconds: number }[] = [];
  if (!closeArgs) problems.push(`the close transaction ${statement.txId} is not in the log`);
  else held = (JSON.parse(closeArgs[0]).held ?? []) as typeof held;

  const listening = new Map<string, Map<string, number>>();
  for (const d of statement.days) {
    const rows = await source.reportRows(statement.collection, nodeId, d.day, d.version);
    if (!rows) {
      problems.push(`private rows of ${d.day} v${d.version} are not readable here`);
      continue;
    }
    if (reportRowsHash(rows) !== d.hash) problems.push(`rows of ${d.day} do not match the report hash`);
    for (const r of rows) {
      const m = listening.get(r.pseudonym) ?? new Map<string, number>();
      m.set(r.artist, (m.get(r.artist) ?? 0) + r.seconds);
      listening.set(r.pseudonym, m);
    }
  }
  const subs = (await source.subscriptions(nodeId, month)).filter((s) => s.status === 'active');
  // Rolled-over credits are private (keyed by this month's pseudonym, they would link two months).
  const carried = await source.credits(statement.collection, nodeId, month);
  if (!carried) problems.push(`credits carried into ${month} are not readable here`);
  const credits = carried ?? [];
  const subBy = new Map(subs.map((s) => [s.pseudonym, s]));
  const creditBy = new Map<string, number>();
  for (const c of credits) creditBy.set(c.pseudonym, (creditBy.get(c.pseudonym) ?? 0) + c.amount);
  const heldBy = new Map<string, { artist: string; seconds: number }[]>();
  for (const h of held) heldBy.set(h.pseudonym, [...(heldBy.get(h.pseudonym) ?? []), { artist: h.artist, seconds: h.seconds }]);

  const recomputed = new Map<string, number>();
  const details: unknown[] = [];
  for (const pseudonym of [...new Set([...subBy.keys(), ...creditBy.keys()])].sort(compareKeys)) {
    const detail = subscriptionDetail({
      nodeId, month, pseudonym, amount: subBy.get(pseudonym)?.amount, nodeFee: statement.nodeFee, creditIn: creditBy.get(pseudonym) ?? 0,
      artistSeconds: [...(listening.get(pseudonym) ?? new Map<string, number>())].map(([artist, seconds]) => ({ artist, seconds })),
      held: heldBy.get(pseudonym) ?? [], policy: statement.policy,
    });
    for (const a of detail.artists) recomputed.set(a.artist, (recomputed.get(a.artist) ?? 0) + a.amount);
    details.push(detail);
  }
  const recorded = new Map(statement.payouts.map((p) => [p.artist, p.amount]));
  const names = [...new Set([...recorded.keys(), ...[...recomputed].filter(([, v]) => v > 0).map(([k]) => k)])].sort(compareKeys);
  const artists = [];
  for (const artist of names) {
    const payout = await source.payout(artist, nodeId, month);
    const r = recorded.get(artist) ?? 0;
    const c = recomputed.get(artist) ?? 0;
    artists.push({ artist, recorded: r, payoutRecord: payout?.amount ?? null, recomputed: c, matches: r === c && (payout?.amount ?? 0) === c });
  }
  const detailHash = canonicalHash(details);
  const hashMatches = detailHash === statement.hash;
  const income = statement.income ? await recomputeIncome(source, statement.income, nodeId, month) : undefined;
  return {
    ...(income ? { income } : {}),
    nodeId,
    month,
    statementTxId: statement.txId,
    matches: !problems.length && hashMatches && artists.every((a) => a.matches) && (income ?? []).every((i) => i.matches),
    artists,
    detailHash: { recorded: statement.hash, recomputed: detailHash, matches: hashMatches },
    problems,
  };
}

/** The statement's income per artist against the sums of the month's IncomeContract days. */
async function recomputeIncome(source: RecomputeSource, recorded: ArtistIncome[], nodeId: string, month: string) {
  const sums = new Map<string, { tips: number; streams: number; metered: number }>();
  for (const day of await source.income(nodeId, month)) {
    for (const e of day.income) {
      const acc = sums.get(e.artist) ?? { tips: 0, streams: 0, metered: 0 };
      sums.set(e.artist, { tips: acc.tips + e.tips, streams: acc.streams + e.streams, metered: acc.metered + (e.metered ?? 0) });
    }
  }
  const stated = new Map(recorded.map((e) => [e.artist, { tips: e.tips, streams: e.streams, metered: e.metered ?? 0 }]));
  const zero = { tips: 0, streams: 0, metered: 0 };
  return [...new Set([...stated.keys(), ...sums.keys()])].sort(compareKeys).map((artist) => {
    const r = stated.get(artist) ?? zero;
    const c = sums.get(artist) ?? zero;
    return { artist, recorded: r, recomputed: c, matches: r.tips === c.tips && r.streams === c.streams && r.metered === c.metered };
  });
}

/** RFC 4180 CSV of objects (nested values as JSON). */
export function toCsv(rows: Record<string, unknown>[], columns?: string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
