// The one money split of 9ten: largest remainder on integers, used by the chaincode and the server.
// This file is copied verbatim into chaincode/src/vendor/money/ so the chaincode deploys alone:
// keep it free of imports outside this folder and of anything non-deterministic.

export interface Weight {
  key: string;
  weight: number | bigint;
}

export interface Share {
  key: string;
  amount: number;
}

export interface ArtistSeconds {
  artist: string;
  seconds: number;
}

export interface ArtistAmount {
  artist: string;
  seconds: number;
  amount: number;
}

/** Code-unit string order: the same on every machine and locale (never localeCompare). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toBigWeight(weight: number | bigint, key: string): bigint {
  if (typeof weight === 'bigint') {
    if (weight < 0n) throw new Error(`allocate: weight of "${key}" is negative`);
    return weight;
  }
  if (!Number.isSafeInteger(weight) || weight < 0) {
    throw new Error(`allocate: weight of "${key}" must be a non-negative safe integer, got ${weight}`);
  }
  return BigInt(weight);
}

/**
 * Splits `total` (integer minor units) across `weights` by the largest-remainder method.
 * Every part is floor(total*w/W) or one more; the units left after flooring go to the largest
 * remainders, ties broken by key (code-unit order). Parts sum exactly to `total`, each part is
 * within one unit of its exact share, and the amount of a key does not depend on the input order.
 * Results come back in input order. Products are computed with BigInt, so large totals and
 * weights are exact.
 */
export function allocate(total: number, weights: readonly Weight[]): Share[] {
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new Error(`allocate: total must be a non-negative safe integer, got ${total}`);
  }
  if (total < SMALL && weights.every((w) => typeof w.weight === 'number' && Number.isSafeInteger(w.weight) && w.weight >= 0 && w.weight < SMALL)) {
    // Every product total*w and the sum stay below 2^52: Number arithmetic is exact and gives the
    // same parts as BigInt (a month close runs this once per subscription).
    checkKeys(weights);
    const sum = weights.reduce((acc, w) => acc + (w.weight as number), 0);
    if (sum === 0) {
      if (total === 0) return weights.map((w) => ({ key: w.key, amount: 0 }));
      throw new Error('allocate: weights sum to zero, nothing to split by');
    }
    if (total === 0 || sum < SMALL) return allocateSafe(total, sum, weights as { key: string; weight: number }[]);
  }
  const seen = new Set<string>();
  const rows = weights.map((w, index) => {
    if (typeof w.key !== 'string') throw new Error('allocate: every weight needs a string key');
    if (seen.has(w.key)) throw new Error(`allocate: duplicate key "${w.key}"`);
    seen.add(w.key);
    return { index, key: w.key, weight: toBigWeight(w.weight, w.key), floor: 0n, remainder: 0n };
  });
  if (total === 0) return rows.map((r) => ({ key: r.key, amount: 0 }));
  const sum = rows.reduce((acc, r) => acc + r.weight, 0n);
  if (sum === 0n) throw new Error('allocate: weights sum to zero, nothing to split by');
  const bigTotal = BigInt(total);
  let given = 0n;
  for (const r of rows) {
    const product = bigTotal * r.weight;
    r.floor = product / sum;
    r.remainder = product % sum;
    given += r.floor;
  }
  let left = bigTotal - given; // < rows.length, and only rows with a positive remainder get one
  const byRemainder = [...rows].sort((a, b) =>
    a.remainder === b.remainder ? compareKeys(a.key, b.key) : a.remainder > b.remainder ? -1 : 1,
  );
  for (const r of byRemainder) {
    if (left === 0n) break;
    r.floor += 1n;
    left -= 1n;
  }
  return rows.map((r) => ({ key: r.key, amount: Number(r.floor) }));
}

/** 2^26: totals and weights below it keep every product and sum below 2^52, exact as Numbers. */
const SMALL = 2 ** 26;

function checkKeys(weights: readonly Weight[]): void {
  const seen = new Set<string>();
  for (const w of weights) {
    if (typeof w.key !== 'string') throw new Error('allocate: every weight needs a string key');
    if (seen.has(w.key)) throw new Error(`allocate: duplicate key "${w.key}"`);
    seen.add(w.key);
  }
}

function allocateSafe(total: number, sum: number, weights: { key: string; weight: number }[]): Share[] {
  const rows = weights.map((w) => {
    const product = total * w.weight;
    const remainder = product % sum;
    return { key: w.key, floor: (product - remainder) / sum, remainder };
  });
  let left = total - rows.reduce((acc, r) => acc + r.floor, 0);
  const byRemainder = [...rows].sort((a, b) => (a.remainder === b.remainder ? compareKeys(a.key, b.key) : b.remainder - a.remainder));
  for (const r of byRemainder) {
    if (left === 0) break;
    r.floor += 1;
    left -= 1;
  }
  return rows.map((r) => ({ key: r.key, amount: r.floor }));
}

function checkSeconds(seconds: number, artist: string): void {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new Error(`seconds of "${artist}" must be a non-negative safe integer, got ${seconds}`);
  }
}

/** Sums seconds per artist; accepts rows (several per artist allowed) or an artist → seconds map. */
export function sumByArtist(rows: readonly ArtistSeconds[] | Readonly<Record<string, number>>): Map<string, number> {
  const list: ArtistSeconds[] = Array.isArray(rows)
    ? (rows as ArtistSeconds[])
    : Object.entries(rows as Record<string, number>).map(([artist, seconds]) => ({ artist, seconds }));
  const out = new Map<string, number>();
  for (const r of list) {
    if (typeof r.artist !== 'string' || r.artist === '') throw new Error('every row needs an artist');
    checkSeconds(r.seconds, r.artist);
    const next = (out.get(r.artist) ?? 0) + r.seconds;
    if (!Number.isSafeInteger(next)) throw new Error(`seconds of "${r.artist}" overflow`);
    out.set(r.artist, next);
  }
  return out;
}

/**
 * The listener's top `n` artists by qualified seconds (summed per artist), ties broken by artist id
 * (code-unit order). Artists with zero seconds never qualify.
 */
export function topArtists(rows: readonly ArtistSeconds[] | Readonly<Record<string, number>>, n = 9): ArtistSeconds[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`topArtists: n must be a non-negative integer, got ${n}`);
  return [...sumByArtist(rows)]
    .filter(([, seconds]) => seconds > 0)
    .map(([artist, seconds]) => ({ artist, seconds }))
    .sort((a, b) => (a.seconds === b.seconds ? compareKeys(a.artist, b.artist) : b.seconds - a.seconds))
    .slice(0, n);
}

export interface SplitSubscriptionInput {
  /** The subscription's price in minor units (default 1000). */
  amount?: number;
  /** What the listener's node keeps first (default 100); capped at `amount`. */
  nodeFee?: number;
  /** The listener's qualified listening of the month. */
  artistSeconds: readonly ArtistSeconds[] | Readonly<Record<string, number>>;
  /** Seconds set aside by open disputes (part of artistSeconds): their share is held, not paid. */
  held?: readonly ArtistSeconds[];
  /** Money carried in from earlier months (rolled-over credit), added to the artists' pool. */
  credit?: number;
  /** How many artists share the pool (default 9). */
  topN?: number;
}

export interface SubscriptionSplit {
  amount: number;
  nodeFee: number;
  credit: number;
  /** amount - nodeFee + credit: what the artists share. */
  pool: number;
  /** Paid shares of the top artists; `seconds` are the paid (not held) seconds. */
  artists: ArtistAmount[];
  /** Shares set aside for held seconds, per artist (only artists in the top list). */
  held: ArtistAmount[];
  heldTotal: number;
  /** The whole pool when there is no qualified listening (the caller's policy decides), else 0. */
  unallocated: number;
}

function checkAmount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative safe integer, got ${value}`);
}

/**
 * Splits one subscription: the node fee first, the rest (plus any credit) across the listener's
 * top-9 artists weighted by qualified seconds. Held seconds still count for the ranking and the
 * weights (they are what the listener did), but their share goes to `held` until a dispute
 * resolves. With no listening the whole pool is `unallocated`. Always:
 * nodeFee + Σartists + Σheld + unallocated === amount + credit.
 */
export function splitSubscription(input: SplitSubscriptionInput): SubscriptionSplit {
  const amount = input.amount ?? 1000;
  const credit = input.credit ?? 0;
  checkAmount(amount, 'amount');
  checkAmount(credit, 'credit');
  checkAmount(input.nodeFee ?? 100, 'nodeFee');
  const nodeFee = Math.min(input.nodeFee ?? 100, amount);
  const pool = amount - nodeFee + credit;
  checkAmount(pool, 'pool');
  const top = topArtists(input.artistSeconds, input.topN ?? 9);
  if (top.length === 0) {
    return { amount, nodeFee, credit, pool, artists: [], held: [], heldTotal: 0, unallocated: pool };
  }
  const heldByArtist = input.held ? sumByArtist(input.held) : new Map<string, number>();
  const weights: Weight[] = [];
  for (const t of top) {
    const held = heldByArtist.get(t.artist) ?? 0;
    if (held > t.seconds) throw new Error(`held seconds of "${t.artist}" (${held}) exceed its listening (${t.seconds})`);
    // The NUL separator keeps the two keys of an artist adjacent in key order.
    weights.push({ key: `${t.artist}\u0000paid`, weight: t.seconds - held });
    if (held > 0) weights.push({ key: `${t.artist}\u0000held`, weight: held });
  }
  const shares = new Map(allocate(pool, weights).map((s) => [s.key, s.amount]));
  const artists: ArtistAmount[] = [];
  const held: ArtistAmount[] = [];
  for (const t of top) {
    const heldSeconds = heldByArtist.get(t.artist) ?? 0;
    artists.push({ artist: t.artist, seconds: t.seconds - heldSeconds, amount: shares.get(`${t.artist}\u0000paid`) ?? 0 });
    if (heldSeconds > 0) held.push({ artist: t.artist, seconds: heldSeconds, amount: shares.get(`${t.artist}\u0000held`) ?? 0 });
  }
  const heldTotal = held.reduce((acc, h) => acc + h.amount, 0);
  return { amount, nodeFee, credit, pool, artists, held, heldTotal, unallocated: 0 };
}

/** What a node does with a month's pool when the listener played nothing. */
export type NoListeningPolicy = 'rollover' | 'node' | 'refund';

/** One pseudonym's line of a month close (the contract stores it; an auditor recomputes it). */
export interface SubscriptionDetail {
  nodeId: string;
  month: string;
  pseudonym: string;
  /** false for a pseudonym that only brought a rolled-over credit into the month */
  subscribed: boolean;
  amount: number;
  creditIn: number;
  nodeFee: number;
  artists: ArtistAmount[];
  held: number;
  heldArtists: ArtistAmount[];
  rolledOver: number;
  toNode: number;
  refunded: number;
}

export interface SubscriptionDetailInput {
  nodeId: string;
  month: string;
  pseudonym: string;
  /** The subscription's amount, or undefined when the pseudonym only carries a credit in. */
  amount: number | undefined;
  /** The node's fee for a subscription. */
  nodeFee: number;
  creditIn: number;
  artistSeconds: SplitSubscriptionInput['artistSeconds'];
  held: readonly ArtistSeconds[];
  policy: NoListeningPolicy;
}

/** The split of one pseudonym's month, with an unallocated pool routed by the no-listening policy. */
export function subscriptionDetail(i: SubscriptionDetailInput): SubscriptionDetail {
  const subscribed = i.amount !== undefined;
  const split = splitSubscription({ amount: i.amount ?? 0, nodeFee: subscribed ? i.nodeFee : 0, credit: i.creditIn, artistSeconds: i.artistSeconds, held: i.held });
  return {
    nodeId: i.nodeId,
    month: i.month,
    pseudonym: i.pseudonym,
    subscribed,
    amount: split.amount,
    creditIn: i.creditIn,
    nodeFee: split.nodeFee,
    artists: split.artists,
    held: split.heldTotal,
    heldArtists: split.held,
    rolledOver: i.policy === 'rollover' ? split.unallocated : 0,
    toNode: i.policy === 'node' ? split.unallocated : 0,
    refunded: i.policy === 'refund' ? split.unallocated : 0,
  };
}
