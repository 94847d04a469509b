// State helpers shared by the contracts: canonical reads/writes, iteration, time, identity, input checks.
// Only the stub methods listed in docs/chaincode.md are used, so the embedded engine can run this code.
import { Context } from 'fabric-contract-api';

import { canonicalJson, compareKeys } from '../vendor/money/index.js';

/** Public world-state object types (composite key prefixes). */
export const KEY = {
  node: 'node',
  clusterIndex: 'cluster~node',
  subscription: 'subscription',
  report: 'report',
  reportVersion: 'reportVersion',
  statement: 'statement',
  payout: 'payout',
  dispute: 'dispute',
  disputeEvent: 'disputeEvent',
  income: 'income',
  /** A settled investment campaign (InvestmentContract), with its running repaid total. */
  campaign: 'campaign',
  /** A campaign's repayments of one day, in the node's order. */
  campaignRepayments: 'campaignRepayments',
} as const;

/** Private-data object types (inside the node organisation's collection). */
export const PRIVATE_KEY = {
  reportRows: 'reportRows',
  /** A month close's per-subscription detail, in chunks of consecutive pseudonyms (one write per chunk, not per subscription). */
  closeDetails: 'closeDetails',
  /** The first pseudonym of each closeDetails chunk, to find a listener's chunk. */
  closeDetailIndex: 'closeDetailIndex',
  /** A rolled-over credit, keyed by the receiving month's pseudonym (never public: it links two months). */
  credit: 'credit',
  /**
   * Every credit carried into a month, in one record written by the close that rolled them over:
   * the next close reads it by key. Fabric refuses writes in a transaction that ran a range
   * query on private data (such a read cannot be re-validated at commit), so a close may not list
   * `credit` keys.
   */
  creditsIn: 'creditsIn',
  /** A funded campaign's investor rows (pseudonym, invested, cap), in the order the node breaks ties. */
  campaignInvestors: 'campaignInvestors',
} as const;

/**
 * The private data collection holding an organisation's per-listener rows and per-subscription
 * detail: `reportRows_<MSPID>` (characters outside [A-Za-z0-9_-] become '-'), one per organisation,
 * declared in collections_config.json.
 */
export function rowsCollection(mspId: string): string {
  return `reportRows_${mspId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

export function encode(value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function decode<T>(bytes: Uint8Array | null | undefined): T | null {
  if (!bytes || bytes.length === 0) return null;
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

export function key(ctx: Context, objectType: string, attributes: string[]): string {
  return ctx.stub.createCompositeKey(objectType, attributes);
}

export async function getJson<T>(ctx: Context, objectType: string, attributes: string[]): Promise<T | null> {
  return decode<T>(await ctx.stub.getState(key(ctx, objectType, attributes)));
}

/** True when the key holds a value (engines may answer a missing key with an empty array, null or undefined). */
export async function exists(ctx: Context, objectType: string, attributes: string[]): Promise<boolean> {
  const bytes = await ctx.stub.getState(key(ctx, objectType, attributes));
  return Boolean(bytes && bytes.length > 0);
}

export async function putJson(ctx: Context, objectType: string, attributes: string[], value: unknown): Promise<void> {
  await ctx.stub.putState(key(ctx, objectType, attributes), encode(value));
}

export async function getPrivateJson<T>(ctx: Context, collection: string, objectType: string, attributes: string[]): Promise<T | null> {
  return decode<T>(await ctx.stub.getPrivateData(collection, key(ctx, objectType, attributes)));
}

export async function putPrivateJson(ctx: Context, collection: string, objectType: string, attributes: string[], value: unknown): Promise<void> {
  await ctx.stub.putPrivateData(collection, key(ctx, objectType, attributes), encode(value));
}

interface KV {
  key: string;
  value: Uint8Array;
}

interface ResultIterator {
  next(): Promise<{ value?: KV; done?: boolean }>;
  close(): Promise<unknown>;
}

/**
 * Drains an iterator with next()/close() (the form every engine must support), then sorts by key
 * in code-unit order so results never depend on the engine's native key order.
 */
async function drain(source: Promise<unknown> | unknown): Promise<KV[]> {
  const resolved = (await source) as ResultIterator | { iterator: ResultIterator };
  const iterator = 'iterator' in resolved ? resolved.iterator : resolved;
  const out: KV[] = [];
  try {
    for (;;) {
      const r = await iterator.next();
      if (r.value) out.push({ key: r.value.key, value: r.value.value });
      if (r.done || !r.value) break;
    }
  } finally {
    await iterator.close();
  }
  return out.sort((a, b) => compareKeys(a.key, b.key));
}

/** All public values whose composite key starts with objectType + attributes, in key order. */
export async function listJson<T>(ctx: Context, objectType: string, attributes: string[]): Promise<T[]> {
  const rows = await drain(ctx.stub.getStateByPartialCompositeKey(objectType, attributes));
  return rows.map((r) => decode<T>(r.value)).filter((v): v is T => v !== null);
}

/** All private values of a collection whose composite key starts with objectType + attributes, in key order. */
export async function listPrivateJson<T>(ctx: Context, collection: string, objectType: string, attributes: string[]): Promise<T[]> {
  const rows = await drain(ctx.stub.getPrivateDataByPartialCompositeKey(collection, objectType, attributes));
  return rows.map((r) => decode<T>(r.value)).filter((v): v is T => v !== null);
}

/** Raw composite keys (split) of a partial composite key query, for index entries. */
export async function listKeys(ctx: Context, objectType: string, attributes: string[]): Promise<string[][]> {
  const rows = await drain(ctx.stub.getStateByPartialCompositeKey(objectType, attributes));
  return rows.map((r) => ctx.stub.splitCompositeKey(r.key).attributes);
}

/** The transaction's timestamp (the only clock a transaction may read). */
export function txTime(ctx: Context): { ms: number; iso: string } {
  const ts = ctx.stub.getTxTimestamp() as unknown as {
    seconds?: number | bigint | string | { toNumber(): number };
    nanos?: number;
    getSeconds?: () => number;
    getNanos?: () => number;
  };
  let seconds: number;
  const raw = ts.seconds ?? ts.getSeconds?.();
  if (typeof raw === 'number') seconds = raw;
  else if (typeof raw === 'bigint' || typeof raw === 'string') seconds = Number(raw);
  else if (raw && typeof raw === 'object' && typeof raw.toNumber === 'function') seconds = raw.toNumber();
  else throw new Error('transaction timestamp is missing');
  const nanos = ts.nanos ?? ts.getNanos?.() ?? 0;
  const ms = seconds * 1000 + Math.floor(nanos / 1e6);
  return { ms, iso: new Date(ms).toISOString() };
}

export function callerMsp(ctx: Context): string {
  return ctx.clientIdentity.getMSPID();
}

// ---- input checks (every refusal is an Error with a message a person can act on) ----

export function parseJsonArg(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what}: argument is not valid JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what}: argument must be a JSON object`);
  return value as Record<string, unknown>;
}

export function str(obj: Record<string, unknown>, field: string, what: string, max = 2048): string {
  const v = obj[field];
  if (typeof v !== 'string' || v.length === 0) throw new Error(`${what}: "${field}" must be a non-empty string`);
  if (v.length > max) throw new Error(`${what}: "${field}" is longer than ${max} characters`);
  if (v.includes('\u0000') || v.includes('\u{10FFFF}')) throw new Error(`${what}: "${field}" contains a forbidden character`);
  return v;
}

export function optStr(obj: Record<string, unknown>, field: string, what: string, max = 2048): string | undefined {
  if (obj[field] === undefined || obj[field] === null) return undefined;
  return str(obj, field, what, max);
}

export function int(obj: Record<string, unknown>, field: string, what: string, min = 0): number {
  const v = obj[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Error(`${what}: "${field}" must be an integer >= ${min}`);
  return v;
}

export function oneOf<T extends string>(obj: Record<string, unknown>, field: string, what: string, values: readonly T[]): T {
  const v = obj[field];
  if (typeof v !== 'string' || !values.includes(v as T)) throw new Error(`${what}: "${field}" must be one of ${values.join(', ')}`);
  return v as T;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DAY = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export function daysInMonth(month: string): number {
  const m = MONTH.exec(month);
  if (!m) throw new Error(`"${month}" is not a month (YYYY-MM)`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate();
}

export function checkMonth(value: string, what: string): string {
  if (!MONTH.test(value)) throw new Error(`${what}: month "${value}" must be YYYY-MM`);
  return value;
}

export function checkDay(value: string, what: string): string {
  const m = DAY.exec(value);
  if (!m || Number(m[3]) > daysInMonth(`${m[1]}-${m[2]}`)) throw new Error(`${what}: day "${value}" must be a calendar date YYYY-MM-DD`);
  return value;
}

export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

export function daysOf(month: string): string[] {
  return Array.from({ length: daysInMonth(month) }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

export function ok(value: unknown): string {
  return canonicalJson(value);
}
