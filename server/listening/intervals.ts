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

/**
 * The part of a segment's time span one response stands for. Its bytes
 * [byteStart, byteStart + bytes) of a segment file of `segmentBytes` map linearly onto the
 * segment's span, so a partial (206) response credits only its share, and the same bytes
 * fetched again land on the same time (the union counts them once). Without a file size (rows
 * logged before sizes were, or a path that serves whole files only) the whole span counts.
 */
export function servedSpan(start: number, duration: number, part: { byteStart: number | null; bytes: number; segmentBytes: number | null }): Interval {
  const size = part.segmentBytes;
  if (size === null || !(size > 0)) return [start, start + duration];
  const from = Math.min(Math.max(part.byteStart ?? 0, 0), size);
  const to = Math.min(from + Math.max(part.bytes, 0), size);
  return [start + (duration * from) / size, start + (duration * to) / size];
}
