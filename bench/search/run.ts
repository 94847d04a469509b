// Search benchmark (npm run bench:search), printed, never asserted: p50/p95 of GET /api/v1/search
// over 100,000 generated tracks (titles, artists, albums and genres from word lists, accents
// included), for queries with typos, prefixes, albums and artists written without accents;
// against a plain ILIKE scan of the same columns on the same data in the same run (the
// baseline: what a search without the indexes would do).
// Env: BENCH_TRACKS [100000], BENCH_QUERIES [200], BENCH_VOCABULARY [zipf | tiny].
import { performance } from 'node:perf_hooks';
import { startTestNode } from '../../test/helpers/node.js';
import { makeArtist } from '../../test/media/support.js';
import { select } from '../../server/db/index.js';
import { ratio } from '../load-runner.js';

const TRACKS = Number(process.env.BENCH_TRACKS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const log = (msg: string) => process.stdout.write(`${msg}\n`);

// A small seeded generator: the same catalogue every run.
let seed = 42;
const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];

// Two catalogues: `zipf` (the default) draws words, artists and albums the way catalogues are made
// (a few thousand words and artists, the common ones far more common: log-uniform ranks, so the
// commonest word is in about 2 % of titles); `tiny` (BENCH_VOCABULARY=tiny) draws from 34 words and
// 10 artists, so one word is in a tenth of the catalogue: the worst case, every query matching
// thousands of tracks that must all be ranked.
const tiny = process.env.BENCH_VOCABULARY === 'tiny';
const syllables = ['ka', 'lo', 'mi', 'ren', 'sa', 'tor', 'vel', 'an', 'dé', 'fjö', 'nu', 'or', 'pa', 'qui', 'ris', 'su', 'ta', 'ul', 'ven', 'zo', 'ña', 'bri', 'cel', 'dor'];
const coined = (n: number, parts: number) => Array.from({ length: n }, (_, i) => {
  let w = '';
  for (let k = 0, x = i + 7; k < parts; k++, x = Math.floor(x / syllables.length) + k * 5) w += syllables[x % syllables.length];
  return w;
});
const common = ['night', 'river', 'crossing', 'wires', 'golden', 'échappée', 'summer', 'glass', 'harbour', 'mémoire', 'signal', 'paper', 'orbit', 'hollow', 'velvet', 'café',
  'north', 'ember', 'lantern', 'static', 'garden', 'fjörd', 'silver', 'tide', 'motion', 'shadow', 'canyon', 'island', 'voltage', 'prairie', 'señal', 'winter', 'feather', 'circuit'];
const words = tiny ? common : [...common, ...coined(4000, 3)];
const names = tiny
  ? ['Sine Band', 'Björk Sørensen', 'The Loopbacks', 'Nadia Ölund', 'Chœur Nord', 'Pale Harbour', 'Marta Núñez', 'Quiet Engines', 'Lúa Ferreira', 'Ochre Lines']
  : coined(2000, 2).map((a, i) => `${a.replace(/^./, (c) => c.toUpperCase())} ${coined(2000, 3)[(i * 7) % 2000]}`);
const genres = ['Ambient', 'Chanson', 'Techno', 'Folk', 'Jazz', 'Hip-hop', 'Classical', 'Post-rock'];
/** Rank r of n with probability about 1/r (log-uniform): a few items common, most rare. */
const zipf = <T>(xs: T[]) => (tiny ? pick(xs) : xs[Math.min(xs.length - 1, Math.floor(Math.exp(rnd() * Math.log(xs.length + 1))) - 1)]);
const title = () => `${zipf(words)} ${zipf(words)}${rnd() < 0.5 ? ` ${zipf(words)}` : ''}`.replace(/^./, (c) => c.toUpperCase());

/** A word with one letter dropped (a typo). */
const typo = (w: string) => (w.length > 4 ? w.slice(0, 2) + w.slice(3) : w);
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const node = await startTestNode({ name: 'benchsearch' });
try {
  const artist = await makeArtist(node, 'bench_catalogue');
  const db = node.ctx.db;
  const started = performance.now();
  const titles: string[] = [];
  const albums: string[] = [];
  for (let done = 0; done < TRACKS; done += 5000) {
    const rows: string[] = [];
    const repl: Record<string, unknown> = { channel: artist.channel.id };
    for (let i = 0; i < Math.min(5000, TRACKS - done); i++) {
      const t = title();
      const album = rnd() < 0.8 ? `${zipf(words)} ${zipf(words)}` : null;
      titles.push(t);
      if (album) albums.push(album);
      repl[`t${i}`] = t;
      repl[`a${i}`] = zipf(names);
      repl[`al${i}`] = album;
      repl[`g${i}`] = pick(genres);
      rows.push(`(:channel, 'audio', :t${i}, :a${i}, :al${i}, :g${i}, 'ready', 'public', 'bench', 'audio/mpeg', 1, 60)`);
    }
    await db.query(
      `INSERT INTO media_tracks (channel_id, kind, title, artist, album, genre, status, visibility, original_file, original_mime, original_bytes, duration_seconds) VALUES ${rows.join(', ')}`,
      { replacements: repl },
    );
  }
  await db.query('ANALYZE media_tracks');
  log(`search benchmark (${tiny ? 'tiny vocabulary: the worst case' : 'zipf catalogue'}): ${TRACKS} tracks generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Queries: a title with a typo, a prefix, an album, an artist without accents.
  const queries: string[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const kind = i % 4;
    if (kind === 0) queries.push(pick(titles).split(' ').map(typo).join(' '));
    else if (kind === 1) queries.push(zipf(words).slice(0, 4));
    else if (kind === 2) queries.push(pick(albums));
    else queries.push(fold(pick(names)));
  }

  const kinds = ['title with a typo', 'a 4-letter prefix', 'an album', 'an artist, accents dropped'];
  const timeEach = async (fn: (q: string) => Promise<number>) => {
    const ms: number[] = [];
    const byKind: number[][] = kinds.map(() => []);
    let found = 0;
    for (const [i, q] of queries.entries()) {
      const t0 = performance.now();
      if ((await fn(q)) > 0) found++;
      ms.push(performance.now() - t0);
      byKind[i % 4].push(performance.now() - t0);
    }
    return { p50: pct(ms, 50), p95: pct(ms, 95), found, kinds: byKind.map((k, i) => `${kinds[i]} p95 ${pct(k, 95).toFixed(1)} ms`).join('; ') };
  };
  const api = async (q: string) => {
    const res = await fetch(`${node.ctx.config.publicUrl}/api/v1/search?q=${encodeURIComponent(q)}&limit=20`);
    const body = (await res.json()) as { tracks: unknown[] };
    return body.tracks.length;
  };
  // The baseline: the same columns, ILIKE '%q%' (no folding, no typos), in one query.
  const ilike = async (q: string) =>
    (
      await select(
        db,
        `SELECT t.id FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
          WHERE t.status = 'ready' AND t.visibility = 'public' AND (t.title ILIKE :p OR t.artist ILIKE :p OR t.album ILIKE :p OR t.genre ILIKE :p) LIMIT 20`,
        { p: `%${q.replace(/[%_\\]/g, '\\$&')}%` },
      )
    ).length;
  await api('warm up');
  const searched = await timeEach(api);
  const scanned = await timeEach(ilike);
  log(`  GET /api/v1/search (HTTP, ranked, folded, typos):  p50 ${searched.p50.toFixed(1)} ms, p95 ${searched.p95.toFixed(1)} ms   goal p95 < 50 ms; found something for ${searched.found}/${QUERIES} queries`);
  log(`  baseline ILIKE scan (SQL only, unranked):           p50 ${scanned.p50.toFixed(1)} ms, p95 ${scanned.p95.toFixed(1)} ms; found something for ${scanned.found}/${QUERIES}`);
  log(`    by kind: ${searched.kinds}`);
  log(`  search p95 / ILIKE p95: ${ratio(searched.p95, scanned.p95)}`);
} finally {
  await node.stop();
}
