// An independent recomputation of a listener's monthly split, written apart from the
// production code (shared/money) on purpose: the tests check every payout against it.
//
// Rules (docs/money.md): node fee first; the rest plus carried credit goes to the top 9
// artists by qualified seconds (ties: artist id in code-unit order); each top artist's
// weight is split into paid seconds and held seconds; Hamilton's method (largest
// remainder) apportions the pool, leftover units going to the largest remainders, ties by
// the part's key (artist id, then "paid" before "held").

export interface Listening {
  artist: string;
  seconds: number;
  held?: boolean;
}

export interface Expected {
  nodeFee: number;
  /** Per artist: paid and held cents. */
  artists: Map<string, { paid: number; held: number; seconds: number }>;
  unallocated: number;
}

export function recompute(charged: number, nodeFee: number, carried: number, listening: Listening[]): Expected {
  const fee = Math.min(nodeFee, charged);
  const pool = charged - fee + carried;
  const total = new Map<string, number>();
  const heldSecs = new Map<string, number>();
  for (const l of listening) {
    total.set(l.artist, (total.get(l.artist) ?? 0) + l.seconds);
    if (l.held) heldSecs.set(l.artist, (heldSecs.get(l.artist) ?? 0) + l.seconds);
  }
  const ranked = [...total.entries()].filter(([, s]) => s > 0);
  ranked.sort((a, b) => (b[1] !== a[1] ? b[1] - a[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const top = ranked.slice(0, 9);
  const artists = new Map<string, { paid: number; held: number; seconds: number }>();
  if (top.length === 0) return { nodeFee: fee, artists, unallocated: pool };

  type Part = { artist: string; kind: 'paid' | 'held'; weight: bigint; base: bigint; rem: bigint };
  const parts: Part[] = [];
  for (const [artist, secs] of top) {
    const h = heldSecs.get(artist) ?? 0;
    parts.push({ artist, kind: 'paid', weight: BigInt(secs - h), base: 0n, rem: 0n });
    if (h > 0) parts.push({ artist, kind: 'held', weight: BigInt(h), base: 0n, rem: 0n });
  }
  const W = parts.reduce((a, p) => a + p.weight, 0n);
  const P = BigInt(pool);
  let handed = 0n;
  for (const p of parts) {
    p.base = (P * p.weight) / W;
    p.rem = P * p.weight - p.base * W;
    handed += p.base;
  }
  const keyOf = (p: Part) => `${p.artist}\u0000${p.kind}`;
  const order = [...parts].sort((a, b) => {
    if (a.rem !== b.rem) return a.rem > b.rem ? -1 : 1;
    const ka = keyOf(a);
    const kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (let i = 0; i < Number(P - handed); i++) order[i].base += 1n;
  for (const p of parts) {
    const a = artists.get(p.artist) ?? { paid: 0, held: 0, seconds: 0 };
    if (p.kind === 'paid') a.paid = Number(p.base);
    else a.held = Number(p.base);
    a.seconds = total.get(p.artist)!;
    artists.set(p.artist, a);
  }
  // Self-checks of the recomputation itself: parts sum to the pool, each within one cent of its exact share.
  let sum = 0;
  for (const p of parts) {
    sum += Number(p.base);
    const exactTimesW = P * p.weight;
    if (p.base * W > exactTimesW + W || p.base * W < exactTimesW - W) throw new Error('recompute: part off by more than one cent');
  }
  if (sum !== pool) throw new Error('recompute: parts do not sum to the pool');
  return { nodeFee: fee, artists, unallocated: 0 };
}

/** Sums several listeners' expected splits per artist (what each artist is due). */
export function dueByArtist(results: Expected[]): Map<string, { paid: number; held: number; listeners: number }> {
  const out = new Map<string, { paid: number; held: number; listeners: number }>();
  for (const r of results) {
    for (const [artist, a] of r.artists) {
      const o = out.get(artist) ?? { paid: 0, held: 0, listeners: 0 };
      o.paid += a.paid;
      o.held += a.held;
      o.listeners += 1;
      out.set(artist, o);
    }
  }
  return out;
}
