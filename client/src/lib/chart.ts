// Geometry for the small inline SVG charts (bar charts of money per month, plays per day, a
// running total over time).
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

/** A running total over time, drawn as steps (the value holds until the next change). */
export interface StepLayout {
  /** SVG path of the line, and of the area under it. */
  line: string;
  area: string;
  /** One per point: where it is drawn and its value. */
  dots: { x: number; y: number; t: number; value: number }[];
  top: number;
  /** Time labels along the bottom (at most `maxTicks`, no two alike). */
  xTicks: { x: number; label: string }[];
  /** The ceiling's height in the plot, when one is given. */
  ceilingY: number | null;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * A step line of `points` (time in ms, ascending) from zero at the first point's time to
 * `end` (default: the last point's). `ceiling` (e.g. a cap) is drawn as a line and kept in view.
 * Labels are UTC days ("05-14") over spans of two days or more, else hours ("14:05").
 */
export function stepLayout(points: { t: number; value: number }[], width: number, height: number, opts: { end?: number; ceiling?: number; maxTicks?: number } = {}): StepLayout {
  const top = Math.max(minTop, niceMax(Math.max(0, opts.ceiling ?? 0, ...points.map((p) => p.value))));
  const y = (v: number) => round1(height - (Math.max(0, v) / top) * height);
  const ceilingY = opts.ceiling !== undefined ? y(opts.ceiling) : null;
  if (points.length === 0) return { line: '', area: '', dots: [], top, xTicks: [], ceilingY };
  const start = points[0].t;
  const last = Math.max(points[points.length - 1].t, opts.end ?? 0);
  // A single moment still gets a width: an hour, so the step reads as a step.
  const span = last > start ? last - start : 3_600_000;
  const x = (t: number) => round1(((t - start) / span) * width);
  const dots = points.map((p) => ({ x: x(p.t), y: y(p.value), t: p.t, value: p.value }));
  let line = `M0 ${y(0)}`;
  for (const d of dots) line += ` H${d.x} V${d.y}`;
  line += ` H${round1(width)}`;
  const area = `${line} V${y(0)} H0 Z`;
  const daily = span >= 2 * 86_400_000;
  const count = Math.max(2, opts.maxTicks ?? 6);
  const xTicks: { x: number; label: string }[] = [];
  for (let i = 0; i < count; i++) {
    const t = start + (span * i) / (count - 1);
    const iso = new Date(t).toISOString();
    const label = daily ? iso.slice(5, 10) : iso.slice(11, 16);
    if (xTicks.at(-1)?.label !== label) xTicks.push({ x: round1(((t - start) / span) * width), label });
  }
  return { line, area, dots, top, xTicks, ceilingY };
}
