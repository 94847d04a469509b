// Waveform peaks to bar heights (pure; the canvas drawing lives in ../waveform-view.ts).

/**
 * Resamples peaks to `bars` heights in 0..1. Accepts any scale (0..1, -1..1, 16-bit integers,
 * interleaved min/max pairs): magnitudes are taken, each bar keeps its bucket's maximum, and
 * the loudest bar is 1.
 */
export function barHeights(peaks: readonly number[], bars: number): number[] {
  const n = Math.max(0, Math.floor(bars));
  if (n === 0) return [];
  if (peaks.length === 0) return new Array<number>(n).fill(0);
  const out = new Array<number>(n).fill(0);
  for (let b = 0; b < n; b++) {
    const from = Math.floor((b * peaks.length) / n);
    const to = Math.max(from + 1, Math.floor(((b + 1) * peaks.length) / n));
    let max = 0;
    for (let i = from; i < to && i < peaks.length; i++) {
      const v = Math.abs(peaks[i]);
      if (Number.isFinite(v) && v > max) max = v;
    }
    out[b] = max;
  }
  const top = Math.max(...out);
  return top > 0 ? out.map((v) => v / top) : out;
}

/** How many bars are "played" at `position` of `duration` seconds. */
export function playedBars(position: number, duration: number, bars: number): number {
  if (!(duration > 0) || !Number.isFinite(position)) return 0;
  return Math.min(bars, Math.max(0, Math.round((position / duration) * bars)));
}

/** The time a click at x (0..width) on the waveform seeks to. */
export function seekTime(x: number, width: number, duration: number): number {
  if (!(width > 0) || !(duration > 0)) return 0;
  return Math.min(duration, Math.max(0, (x / width) * duration));
}
