// Geometry for the small inline SVG charts (bar charts of money per month, plays per day).
// Pure: numbers in, rectangles and ticks out; the DOM side is in ../charts.ts.

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
  label: string;
}

export interface Stack {
  label: string;
  values: number[];
}

/** A "nice" upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= max) return f * p;
  return 10 * p;
}

/** Evenly spaced ticks from 0 to `top` (count + 1 values); with the layouts' tops (5, 10, 20,
 * 25, 50, 100…) five steps are whole numbers. */
export function ticks(top: number, count = 5): number[] {
  return Array.from({ length: count + 1 }, (_, i) => (top * i) / count);
}

/** The lowest axis top: counts and cents are whole numbers, so the ticks should be too. */
const minTop = 5;

/**
 * Vertical bars for `values` in a `width` × `height` plot area (origin top-left, bars grow up
 * from the bottom). Each bar gets an equal slot with `gap` (0..1) of it left empty.
 */
export function barLayout(values: { label: string; value: number }[], width: number, height: number, gap = 0.25): { bars: Bar[]; top: number } {
  const top = Math.max(minTop, niceMax(Math.max(0, ...values.map((v) => v.value))));
  const slot = values.length ? width / values.length : 0;
  const bw = slot * (1 - gap);
  const bars = values.map((v, i) => {
    const h = Math.max(0, (Math.max(0, v.value) / top) * height);
    return { x: i * slot + (slot - bw) / 2, y: height - h, width: bw, height: h, value: v.value, label: v.label };
  });
  return { bars, top };
}

/** Stacked bars (e.g. local and remote plays per day): one rectangle per series per slot. */
export function stackedLayout(stacks: Stack[], width: number, height: number, gap = 0.25): { bars: (Bar & { series: number })[]; top: number } {
  const top = Math.max(minTop, niceMax(Math.max(0, ...stacks.map((s) => s.values.reduce((a, v) => a + Math.max(0, v), 0)))));
  const slot = stacks.length ? width / stacks.length : 0;
  const bw = slot * (1 - gap);
  const bars: (Bar & { series: number })[] = [];
  stacks.forEach((s, i) => {
    let base = height;
    s.values.forEach((v, series) => {
      const h = (Math.max(0, v) / top) * height;
      if (h <= 0) return;
      base -= h;
      bars.push({ x: i * slot + (slot - bw) / 2, y: base, width: bw, height: h, value: v, label: s.label, series });
    });
  });
  return { bars, top };
}

/** Every day from `from` to `to` (YYYY-MM-DD, inclusive), so empty days show as gaps. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && out.length < 400; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
