// Time intervals on a track's timeline (seconds): what a listener claims to have
// played, what the node served, and their intersection.
export type Interval = [start: number, end: number];

/** Sorted, non-overlapping, non-empty intervals covering the same time as the input. */
export function union(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function measure(intervals: Interval[]): number {
  return union(intervals).reduce((s, [a, b]) => s + (b - a), 0);
}

/** The time covered by both sets. */
export function intersect(x: Interval[], y: Interval[]): Interval[] {
  const a = union(x);
  const b = union(y);
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i][0], b[j][0]);
    const hi = Math.min(a[i][1], b[j][1]);
    if (hi > lo) out.push([lo, hi]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}
