// Fan investment arithmetic shared by the server, the chaincode and the auditor: the share of an
// income, an investor's cap, the capped split of a share among investors, and the replay of a
// campaign's repayments from its investor rows. Copied verbatim into chaincode/src/vendor/money/
// (see allocate.ts): no imports outside this folder, nothing non-deterministic.
import { allocate } from './allocate.js';
import { canonicalHash } from './canonical.js';

/** floor(amount × basisPoints / 10000), exact for any safe integers (BigInt product). */
export function basisPointsOf(amount: number, basisPoints: number): number {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new Error(`basisPointsOf: amount must be a non-negative safe integer, got ${amount}`);
  if (!Number.isSafeInteger(basisPoints) || basisPoints < 0) throw new Error(`basisPointsOf: basis points must be a non-negative safe integer, got ${basisPoints}`);
  return Number((BigInt(amount) * BigInt(basisPoints)) / 10_000n);
}

/**
 * `total` split by weight with largest remainders, none above its room: what a capped share
 * would have taken goes round again to the others, until all of it is placed or nobody has room.
 * So the parts always sum to min(total, sum of the rooms). Ties are broken by key (code-unit
 * order), as `allocate` breaks them.
 */
export function splitCapped(total: number, parts: { key: string; weight: number; room: number }[]): Map<string, number> {
  const out = new Map<string, number>(parts.map((p) => [p.key, 0]));
  let left = total;
  let active = parts.filter((p) => p.room > 0 && p.weight > 0);
  while (left > 0 && active.length) {
    const shares = new Map(allocate(left, active.map((p) => ({ key: p.key, weight: p.weight }))).map((s) => [s.key, s.amount]));
    let placed = 0;
    const next: typeof active = [];
    for (const p of active) {
      const want = shares.get(p.key) ?? 0;
      const room = p.room - out.get(p.key)!;
      const give = Math.min(want, room);
      out.set(p.key, out.get(p.key)! + give);
      placed += give;
      if (room - give > 0) next.push(p);
    }
    left -= placed;
    // Nobody could take more (every share fit): done; else the capped ones drop out.
    if (next.length === active.length) break;
    active = next;
  }
  return out;
}

/** One investor of a funded campaign as the ledger keeps it (private to the node's organisation). */
export interface InvestorRow {
  /** The investor's pseudonym (never the account id). */
  investor: string;
  invested: number;
  /** basisPointsOf(invested, cap basis points): the most the investor gets back. */
  cap: number;
}

/** SHA-256 of the canonical JSON of the rows, in the order given (the order ties are broken in). */
export function investorRowsHash(rows: readonly InvestorRow[]): string {
  return canonicalHash(rows.map((r) => ({ investor: r.investor, invested: r.invested, cap: r.cap })));
}

export interface ReplayedRepayments {
  /** What each investor received, in the order of the rows. */
  received: number[];
  /** What each repayment paid out in total, in the order of the repayments. */
  paid: number[];
}

/**
 * Replays a campaign's repayments: each share split with `splitCapped` among the investors still
 * under their cap, by what they invested. `rows` are in the order the node breaks ties in (its
 * own investor keys, ascending): the replay keys them by position, which sorts the same way, so
 * it gives every investor exactly what the node gave.
 */
export function replayRepayments(rows: readonly InvestorRow[], shares: readonly number[]): ReplayedRepayments {
  const keys = rows.map((_, i) => `i${String(i).padStart(10, '0')}`);
  const received = rows.map(() => 0);
  const paid = shares.map((share) => {
    const split = splitCapped(share, rows.map((r, i) => ({ key: keys[i], weight: r.invested, room: r.cap - received[i] })));
    let total = 0;
    keys.forEach((k, i) => {
      const amount = split.get(k) ?? 0;
      received[i] += amount;
      total += amount;
    });
    return total;
  });
  return { received, paid };
}
