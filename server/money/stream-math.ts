// How much of a payment stream has streamed at a moment: integer minor units, whole seconds,
// exact (BigInt products), never more than what was deposited. Pure: the stream service and
// its tests share it; docs/money.md compares it with Sablier v2's LockupLinear.

/** A stream of a fixed deposit between `start` and `end` (epoch seconds), nothing before `cliff`. */
export interface LinearTerms {
  deposit: number;
  start: number;
  cliff: number | null;
  end: number;
}

/** An open-ended stream of `amount` minor units every `periodSeconds`, from `start`, capped by what was deposited so far. */
export interface RateTerms {
  amount: number;
  periodSeconds: number;
  start: number;
}

/**
 * 0 before the start or the cliff, the whole deposit from the end on, otherwise
 * floor(deposit × (t − start) / (end − start)): time counts from the start even with a cliff,
 * so at the cliff the part streamed since the start unlocks at once.
 */
export function streamedLinear(terms: LinearTerms, t: number): number {
  if (t < terms.start || (terms.cliff !== null && t < terms.cliff)) return 0;
  if (t >= terms.end) return terms.deposit;
  return Number((BigInt(terms.deposit) * BigInt(t - terms.start)) / BigInt(terms.end - terms.start));
}

/** floor(amount × (t − start) / period), never more than `deposited`. */
export function streamedRate(terms: RateTerms, deposited: number, t: number): number {
  if (t <= terms.start) return 0;
  const due = (BigInt(terms.amount) * BigInt(t - terms.start)) / BigInt(terms.periodSeconds);
  return due >= BigInt(deposited) ? deposited : Number(due);
}

/** The first whole second at which a rate stream has streamed all of `deposited` (its runway's end). */
export function rateExhaustedAt(terms: RateTerms, deposited: number): number {
  // Smallest t with amount × (t − start) / period ≥ deposited: t − start = ceil(deposited × period / amount).
  const need = BigInt(deposited) * BigInt(terms.periodSeconds);
  const amount = BigInt(terms.amount);
  return terms.start + Number((need + amount - 1n) / amount);
}
