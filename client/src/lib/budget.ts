// The listener's budget for metered tracks (pure, tested in node): what has been spent in the
// budget's period, what is left, which renditions fit, and what a track costs at most. Amounts
// are integer minor units.

export type BudgetPeriod = 'hour' | 'month';

export interface Budget {
  amount: number;
  period: BudgetPeriod;
}

export interface Spend {
  /** Epoch milliseconds. */
  at: number;
  amount: number;
}

export interface PricedRendition {
  name: string;
  pricePerMinute: number;
}

/** When the budget's current period began: the last 60 minutes, or the calendar month (local time). */
export function periodStart(period: BudgetPeriod, now: Date): number {
  if (period === 'hour') return now.getTime() - 3_600_000;
  return new Date(now.getFullYear(), now.getMonth(), 1).getTime();
}

export function spentIn(budget: Budget, spends: readonly Spend[], now: Date): number {
  const from = periodStart(budget.period, now);
  return spends.reduce((a, s) => (s.at >= from && s.at <= now.getTime() ? a + s.amount : a), 0);
}

export function remaining(budget: Budget, spends: readonly Spend[], now: Date): number {
  return Math.max(0, budget.amount - spentIn(budget, spends, now));
}

/**
 * The renditions a listener can afford now, cheapest first: those whose next span (at most a
 * minute) fits what is left. The player caps its quality at the last of them.
 */
export function affordable(renditions: readonly PricedRendition[], left: number): PricedRendition[] {
  return [...renditions].sort((a, b) => a.pricePerMinute - b.pricePerMinute).filter((r) => r.pricePerMinute <= left);
}

/** What a whole track costs at a price per minute: a span per started minute, each rounded up, as the node charges. */
export function trackCost(pricePerMinute: number, durationSeconds: number): number {
  let total = 0;
  for (let start = 0; start < durationSeconds; start += 60) {
    const seconds = Math.round(Math.min(60, durationSeconds - start));
    total += Math.max(1, Math.ceil((pricePerMinute * seconds) / 60));
  }
  return total;
}

/** Keeps only the spends that can still count (a month and a day), so storage stays small. */
export function pruneSpends(spends: readonly Spend[], now: Date): Spend[] {
  const keepFrom = Math.min(periodStart('month', now), now.getTime() - 3_600_000) - 86_400_000;
  return spends.filter((s) => s.at >= keepFrom);
}

/** Rendition and segment index of a segment URL of this node (a local track, or a remote one through its cache), or undefined for any other file. */
export function segmentOf(url: string): { trackId: string; rendition: string; index: number } | undefined {
  const m = /\/(?:static\/streaming|api\/v1\/federation\/tracks)\/([0-9a-f-]{36})\/(?:hls\/)?([A-Za-z0-9_-]+)\/seg-(\d+)\.m4s(?:\?|$)/.exec(url);
  return m ? { trackId: m[1], rendition: m[2], index: Number(m[3]) } : undefined;
}
