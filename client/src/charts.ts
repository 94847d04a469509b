// Small inline SVG charts (no chart library): bars of money per month, plays per day, and a
// running total over time (repayments received). Each chart has a title and description for
// screen readers, and the numbers are also in a table.
import { barLayout, stackedLayout, stepLayout, ticks, type Stack } from './lib/chart.js';

const NS = 'http://www.w3.org/2000/svg';

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const W = 760;
const H = 220;
const PAD = { left: 56, right: 8, top: 8, bottom: 28 };

function frame(title: string, description: string): { svg: SVGSVGElement; plot: SVGGElement } {
  const id = `c-${Math.random().toString(36).slice(2, 8)}`;
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}-t ${id}-d` });
  svg.append(svgEl('title', { id: `${id}-t` }, title), svgEl('desc', { id: `${id}-d` }, description));
  const plot = svgEl('g', { transform: `translate(${PAD.left},${PAD.top})` });
  svg.append(plot);
  return { svg, plot };
}

function axis(plot: SVGGElement, top: number, fmt: (v: number) => string, pw: number, ph: number): void {
  for (const t of ticks(top)) {
    const y = ph - (t / top) * ph;
    plot.append(svgEl('line', { x1: 0, x2: pw, y1: y, y2: y, class: 'grid' }));
    plot.append(svgEl('text', { x: -6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, fmt(t)));
  }
}

function labels(plot: SVGGElement, items: { x: number; width: number; label: string }[], ph: number): void {
  const every = Math.max(1, Math.ceil(items.length / 10));
  items.forEach((b, i) => {
    if (i % every === 0) plot.append(svgEl('text', { x: b.x + b.width / 2, y: ph + 18, 'text-anchor': 'middle', class: 'tick' }, b.label));
  });
}

/** A bar chart of one series. */
export function barChart(title: string, values: { label: string; value: number }[], fmt: (v: number) => string): SVGSVGElement {
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const { bars, top } = barLayout(values, pw, ph);
  const { svg, plot } = frame(title, values.map((v) => `${v.label}: ${fmt(v.value)}`).join('; '));
  axis(plot, top, fmt, pw, ph);
  for (const b of bars) {
    const r = svgEl('rect', { x: b.x, y: b.y, width: b.width, height: b.height, class: 'bar s0', rx: 2 });
    r.append(svgEl('title', {}, `${b.label}: ${fmt(b.value)}`));
    plot.append(r);
  }
  labels(plot, bars, ph);
  return svg;
}

/** Stacked bars of several series (e.g. local and remote plays). */
export function stackedChart(title: string, series: string[], stacks: Stack[], fmt: (v: number) => string): HTMLElement {
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const { bars, top } = stackedLayout(stacks, pw, ph);
  const { svg, plot } = frame(title, stacks.map((s) => `${s.label}: ${s.values.map((v, i) => `${series[i]} ${fmt(v)}`).join(', ')}`).join('; '));
  axis(plot, top, fmt, pw, ph);
  for (const b of bars) {
    const r = svgEl('rect', { x: b.x, y: b.y, width: b.width, height: b.height, class: `bar s${b.series}` });
    r.append(svgEl('title', {}, `${b.label} ${series[b.series]}: ${fmt(b.value)}`));
    plot.append(r);
  }
  const slot = stacks.length ? pw / stacks.length : 0;
  labels(plot, stacks.map((s, i) => ({ x: i * slot, width: slot, label: s.label.slice(5) })), ph);
  const legend = document.createElement('p');
  legend.className = 'legend';
  series.forEach((name, i) => {
    const key = document.createElement('span');
    key.className = `key s${i}`;
    key.setAttribute('aria-hidden', 'true');
    legend.append(key, ` ${name} `);
  });
  const fig = document.createElement('figure');
  fig.className = 'chart-figure';
  fig.append(svg, legend);
  return fig;
}

/**
 * A running total over time as a filled step line, e.g. repayments received; `ceiling` (a cap)
 * is drawn as a dashed line with its label. `end` stretches the time axis (e.g. to now).
 */
export function stepChart(
  title: string,
  points: { t: number; value: number }[],
  fmt: (v: number) => string,
  opts: { end?: number; ceiling?: { value: number; label: string } } = {},
): SVGSVGElement {
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const layout = stepLayout(points, pw, ph, { end: opts.end, ceiling: opts.ceiling?.value });
  const when = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 16);
  const last = points.at(-1);
  const description = points.length
    ? `${points.length} steps from ${when(points[0].t)} to ${when(last!.t)}, reaching ${fmt(last!.value)}${opts.ceiling ? `; ${opts.ceiling.label} ${fmt(opts.ceiling.value)}` : ''}.`
    : 'Nothing yet.';
  const { svg, plot } = frame(title, description);
  axis(plot, layout.top, fmt, pw, ph);
  plot.append(svgEl('path', { d: layout.area, class: 'area s0' }), svgEl('path', { d: layout.line, class: 'line s0' }));
  if (opts.ceiling && layout.ceilingY !== null) {
    plot.append(
      svgEl('line', { x1: 0, x2: pw, y1: layout.ceilingY, y2: layout.ceilingY, class: 'ceiling' }),
      svgEl('text', { x: pw - 4, y: layout.ceilingY - 4, 'text-anchor': 'end', class: 'tick' }, `${opts.ceiling.label} ${fmt(opts.ceiling.value)}`),
    );
  }
  for (const d of layout.dots) {
    const c = svgEl('circle', { cx: d.x, cy: d.y, r: 3, class: 'dot s0' });
    c.append(svgEl('title', {}, `${when(d.t)}: ${fmt(d.value)}`));
    plot.append(c);
  }
  for (const t of layout.xTicks) plot.append(svgEl('text', { x: t.x, y: ph + 18, 'text-anchor': t.x === 0 ? 'start' : t.x >= pw ? 'end' : 'middle', class: 'tick' }, t.label));
  return svg;
}
