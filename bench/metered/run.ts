// Pay-per-segment benchmarks (npm run bench:metered), printed, never asserted:
//  1. requests per second and p99 latency of metered segments with a valid L402 credential
//     against free segments of the same audio on the same node, in the same run
//     (goal: >= 0.7x, p99 < 10 ms at 16 connections);
//  2. invoice payments per second from many wallets at once (POST /api/v1/metered/pay), against
//     tips of the same amounts from the same wallets (POST /api/v1/tips) as the baseline: both
//     are one wallet-to-artist movement on the books behind HTTP (goal: >= 500 payments/s); to
//     one artist (each payment locks that artist's account) and spread over BENCH_ARTISTS.
// Bounded in count and time, loopback only. Env: BENCH_REQUESTS, BENCH_CONCURRENCY, BENCH_LOAD
// (wrk|node), BENCH_SECONDS (per wrk run), BENCH_WALLETS, BENCH_PAYMENTS, BENCH_ARTISTS.
import http from 'node:http';
import { startTestNode } from '../../test/helpers/node.js';
import { mediaDir, makeAudio, removeMediaDir } from '../../test/helpers/media.js';
import { makeArtist, upload, waitTrack } from '../../test/media/support.js';
import { moneyService } from '../../server/money/index.js';
import { generator, loadUrls, ratio, type LoadResult } from '../load-runner.js';

const requests = Number(process.env.BENCH_REQUESTS ?? 4000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const wallets = Number(process.env.BENCH_WALLETS ?? 200);
const payments = Number(process.env.BENCH_PAYMENTS ?? 4000);
const payConcurrency = 32;
const artists = Number(process.env.BENCH_ARTISTS ?? 16);

const node = await startTestNode({ name: 'benchmetered', overrides: { media: { audioBitratesKbps: [128] } } });
const dir = mediaDir('bench-metered');
try {
  const artist = await makeArtist(node, 'bench_meter');
  const audio = await makeAudio(dir, { seconds: 60, name: 'bench.mp3' });
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const up = await upload(node, artist.token, artist.channel.id, audio);
    ids.push(up.body.trackId);
  }
  for (const id of ids) await waitTrack(node, artist.token, id);
  const [freeId, meteredId] = ids;
  const patched = await node.api('PATCH', `/api/v1/tracks/${meteredId}`, { token: artist.token, body: { access: { mode: 'metered', pricesPerMinute: { '128k': 2 } } } });
  if (patched.status !== 200) throw new Error(patched.text);
  const money = moneyService(node.ctx);

  // 1. Segments: one minute bought, then its segments loaded like the free track's.
  const fan = await node.user('listener');
  await money.adminCredit.topUp({ userId: fan.user.id, amount: 1_000_000, idempotencyKey: 'bench:fan' });
  const offer = await node.api('POST', '/api/v1/metered/offers', { body: { track: meteredId, rendition: '128k' } });
  const paid = await node.api('POST', '/api/v1/metered/pay', { token: fan.token, body: { invoice: offer.body.invoice } });
  if (paid.status !== 201) throw new Error(paid.text);
  const { from, to } = paid.body.purchase.segments as { from: number; to: number };
  const urls = (id: string) => Array.from({ length: to - from + 1 }, (_, i) => `${node.url}/static/streaming/${id}/128k/seg-${String(from + i).padStart(5, '0')}.m4s`);
  const auth = { authorization: paid.body.purchase.authorization as string };
  await loadUrls(urls(freeId), {}, concurrency, 500); // warm-up: caches, connections
  await loadUrls(urls(meteredId), auth, concurrency, 500);
  const fmt = (r: LoadResult) => `${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`;
  console.log(`segments: ${generator === 'wrk' ? `wrk, ${process.env.BENCH_SECONDS ?? 8} s per run` : `${requests} requests`}, ${concurrency} connections, ${to - from + 1} segments of 128k`);
  const free = await loadUrls(urls(freeId), {}, concurrency, requests);
  const metered = await loadUrls(urls(meteredId), auth, concurrency, requests);
  const free2 = await loadUrls(urls(freeId), {}, concurrency, requests);
  console.log(`  free:    ${fmt(free)}`);
  console.log(`  metered: ${fmt(metered)}`);
  console.log(`  free:    ${fmt(free2)} (again, for the noise)`);
  console.log(`  ratio: ${ratio(metered.rps, (free.rps + free2.rps) / 2)} (goal >= 0.7x); metered p99 ${metered.p99.toFixed(2)} ms (goal < 10 ms)`);

  // 2. Payments: many wallets, many invoices, paid at once: to one artist (every payment locks
  // the same account), and spread over several artists' tracks.
  const shortAudio = await makeAudio(dir, { seconds: 4, name: 'short.mp3' });
  const spread = [meteredId];
  for (let i = 1; i < artists; i++) {
    const a = await makeArtist(node, `bench_meter_${i}`);
    const up = await upload(node, a.token, a.channel.id, shortAudio);
    await waitTrack(node, a.token, up.body.trackId);
    const r = await node.api('PATCH', `/api/v1/tracks/${up.body.trackId}`, { token: a.token, body: { access: { mode: 'metered', pricesPerMinute: { '128k': 2 } } } });
    if (r.status !== 200) throw new Error(r.text);
    spread.push(up.body.trackId);
  }
  const payers = await Promise.all(Array.from({ length: wallets }, () => node.user('listener')));
  for (const p of payers) await money.adminCredit.topUp({ userId: p.user.id, amount: 1_000_000, idempotencyKey: `bench:${p.user.id}` });
  const invoicesFor = async (tracks: string[]) => {
    const out: string[] = [];
    for (let i = 0; i < payments; i++) out.push((await money.metered.offer({ track: tracks[i % tracks.length], rendition: '128k', fromSegment: 0 })).invoice);
    return out;
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: payConcurrency });
  const post = (path: string, token: string, body: unknown) =>
    new Promise<number>((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = http.request(`${node.url}${path}`, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(data);
    });
  const run = async (what: string, call: (i: number) => Promise<number>) => {
    let next = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: payConcurrency }, async () => {
      while (next < payments) {
        const i = next++;
        if ((await call(i)) !== 201) failed++;
      }
    }));
    const perSecond = payments / ((performance.now() - t0) / 1000);
    console.log(`  ${what}: ${Math.round(perSecond)}/s (${failed} failed)`);
    return perSecond;
  };
  console.log(`payments: ${payments} per run from ${wallets} wallets, ${payConcurrency} at once`);
  for (const [label, tracks] of [['one artist', [meteredId]], [`${artists} artists`, spread]] as const) {
    const tips = await run(`${label}, tips (baseline)`, (i) => post('/api/v1/tips', payers[i % wallets].token, { track: tracks[i % tracks.length], amount: 2 }));
    const invoices = await invoicesFor([...tracks]);
    const pays = await run(`${label}, invoice payments`, (i) => post('/api/v1/metered/pay', payers[i % wallets].token, { invoice: invoices[i] }));
    console.log(`  ${label}: ${ratio(pays, tips)} of tips; ${Math.round(pays)} payments/s (goal >= 500/s)`);
  }
  agent.destroy();
  const health = await money.health();
  console.log(`books: sum ${health.sum}, drifted ${health.drifted}`);
} finally {
  await node.stop();
  removeMediaDir(dir);
}
