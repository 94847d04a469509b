// Listening benchmarks (npx tsx bench/listening/run.ts), printed, never asserted:
//  1. segment-log events per second through the batched path against a plain Postgres COPY
//     of the same rows (goal: >= 0.5x);
//  2. requests per second and p99 latency of the metered segment endpoint (media's route with
//     the listening hook) against nginx serving the same files (goal: >= 0.6x, p99 < 10 ms),
//     loaded by wrk when it is installed (Debian package wrk), else by bench/listening/load.ts;
//  3. the same for the node behind nginx (npm run nginx-site): public segments from disk,
//     metered from nginx's access log, with a check that every response was metered.
// Bounded in count and time, loopback only. Env: BENCH_EVENTS, BENCH_REQUESTS, BENCH_CONCURRENCY,
// BENCH_LOAD (wrk|node), BENCH_SECONDS (per wrk run).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startTestNode, type TestNode } from '../../test/helpers/node.js';
import { uploadTrack, setListening, lenientRules } from '../../test/listening/helpers.js';
import { listeningService, type SegmentServed } from '../../server/listening/index.js';
import { mediaService } from '../../server/media/index.js';
import { startNginx } from '../../test/helpers/nginx.js';
import { nginxSite } from '../../server/media/nginx-site.js';
import { generator, loadUrls, ratio, type LoadResult } from '../load-runner.js';

const events = Number(process.env.BENCH_EVENTS ?? 100_000);
const requests = Number(process.env.BENCH_REQUESTS ?? 4000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);

function rowsFor(trackId: string, n: number): SegmentServed[] {
  const sessions = Array.from({ length: 50 }, () => randomUUID());
  const at = new Date();
  return Array.from({ length: n }, (_, i) => ({
    trackId,
    rendition: '128k',
    segmentIndex: i % 500,
    segmentStartSeconds: (i % 500) * 4,
    segmentDurationSeconds: 4,
    bytes: 65_000 + (i % 100),
    userId: null,
    sessionId: sessions[i % sessions.length],
    ip: `10.0.${i % 250}.${i % 200}`,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
    at,
  }));
}

async function countRows(node: TestNode, trackId: string): Promise<number> {
  const [rows] = await node.ctx.db.query('SELECT count(*) AS n FROM segment_serves WHERE track_id = :trackId', { replacements: { trackId } });
  return Number((rows as { n: string }[])[0].n);
}

async function batchedIngest(node: TestNode, n: number): Promise<number> {
  const svc = listeningService(node.ctx);
  const trackId = `bench-batched-${randomUUID()}`;
  const rows = rowsFor(trackId, n);
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i++) {
    svc.recordSegmentServed(rows[i]);
    // Requests arrive between events: give the flushes the event loop now and then.
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await svc.segmentLog.flush();
  const seconds = (performance.now() - t0) / 1000;
  if ((await countRows(node, trackId)) !== n) throw new Error('batched ingest lost rows');
  return n / seconds;
}

const csv = (v: unknown) => (v === null || v === undefined ? '' : `"${String(v).replace(/"/g, '""')}"`);

async function copyIngest(node: TestNode, n: number): Promise<number> {
  const trackId = `bench-copy-${randomUUID()}`;
  const rows = rowsFor(trackId, n);
  const client = new pg.Client({ connectionString: node.databaseUrl });
  await client.connect();
  try {
    const t0 = performance.now();
    const stream = client.query(
      copyFrom(
        'COPY segment_serves (session_id, user_id, track_id, rendition, segment_index, start_seconds, duration_seconds, bytes, ip, user_agent, served_at) FROM STDIN WITH (FORMAT csv)',
      ),
    );
    const lines = function* () {
      for (const e of rows) {
        yield `${[e.sessionId, e.userId, e.trackId, e.rendition, e.segmentIndex, e.segmentStartSeconds, e.segmentDurationSeconds, e.bytes, e.ip, e.userAgent, e.at.toISOString()].map(csv).join(',')}\n`;
      }
    };
    await pipeline(Readable.from(lines()), stream);
    const seconds = (performance.now() - t0) / 1000;
    if ((await countRows(node, trackId)) !== n) throw new Error('COPY lost rows');
    return n / seconds;
  } finally {
    await client.end();
  }
}

/** Microseconds per recordSegmentServed call with flushing held off (what a segment request pays). */
async function hookCost(node: TestNode): Promise<number> {
  const svc = listeningService(node.ctx);
  setListening(node, { ...lenientRules(), segmentLog: { flushRows: 100_000, flushIntervalMs: 60_000, maxBufferedRows: 1_000_000 } });
  const rows = rowsFor(`bench-hook-${randomUUID()}`, 50_000);
  const t0 = performance.now();
  for (const e of rows) svc.recordSegmentServed(e);
  const micros = ((performance.now() - t0) * 1000) / rows.length;
  await svc.segmentLog.flush();
  setListening(node, lenientRules());
  return micros;
}

function load(urls: string[], headers: Record<string, string>, c = concurrency, n = requests): Promise<LoadResult> {
  return loadUrls(urls, headers, c, n);
}

/** CPU time (ms) of every process, by pid, from /proc (Linux): to share out a run's CPU. */
function processTimes(): Map<number, { name: string; ms: number }> {
  const out = new Map<number, { name: string; ms: number }>();
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(pid), { name, ms: (Number(f[11]) + Number(f[12])) * tick });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU used since `before`, summed by process name (node, nginx, postgres, wrk, ...), largest first. */
function cpuOfProcesses(before: Map<number, { name: string; ms: number }>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const [pid, now] of processTimes()) {
    const used = now.ms - (before.get(pid)?.ms ?? 0);
    if (used > 0) sums[now.name] = (sums[now.name] ?? 0) + used;
  }
  return Object.fromEntries(Object.entries(sums).sort((a, b) => b[1] - a[1]).slice(0, 6));
}


const frontDir = mkdtempSync(path.join(os.tmpdir(), '9ten-bench-front-'));
const frontLog = path.join(frontDir, 'segments.log');
const node = await startTestNode({ name: 'benchlisten', overrides: { trustProxy: true, media: { frontAccessLog: frontLog } } });
try {
  setListening(node, lenientRules());
  console.log(`segment log ingest: ${events} events each`);
  await batchedIngest(node, 2000); // warm-up
  await copyIngest(node, 2000);
  const batched = await batchedIngest(node, events);
  const copy = await copyIngest(node, events);
  console.log(`  batched (the log):       ${Math.round(batched)} events/s`);
  console.log(`  plain COPY:              ${Math.round(copy)} events/s`);
  console.log(`  ratio: ${ratio(batched, copy)} (goal >= 0.5x)`);
  console.log(`  hot-path cost of recording one event: ${(await hookCost(node)).toFixed(3)} µs (buffer push, no I/O)`);

  const track = await uploadTrack(node, 20);
  const listener = await node.user('listener');
  const play = await node.api('POST', '/api/v1/plays', { token: listener.token, body: { trackId: track.trackId } });
  const rendition = track.track.streaming.renditions[0];
  const playlist = await (await fetch(rendition.playlistUrl)).text();
  const segments = playlist.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => new URL(l, rendition.playlistUrl).pathname);
  const storageRoot = mediaService(node.ctx).storage.root;
  const nginx = await startNginx(
    (port) => `server {
    listen 127.0.0.1:${port};
    types { video/iso.segment m4s; application/vnd.apple.mpegurl m3u8; }
    location /static/streaming/ { alias ${path.join(storageRoot, 'streaming')}/; }
  }`,
  );
  const front = await startNginx((port) =>
    nginxSite({ listen: `127.0.0.1:${port}`, serverName: 'localhost', nodeOrigin: node.url, mediaRoot: storageRoot, accessLog: frontLog, maxBodyBytes: 9_000_000 }),
  );
  try {
    console.log(`segment endpoint: ${generator === 'wrk' ? `wrk, ${process.env.BENCH_SECONDS ?? 8} s per run` : `${requests} requests`}, ${concurrency} connections, ${segments.length} segments of ${rendition.name}`);
    const nodeUrls = segments.map((p) => `${node.url}${p}`);
    const nginxUrls = segments.map((p) => `http://127.0.0.1:${nginx.port}${p}`);
    const session = { 'x-play-session': play.body.sessionId };
    // What the node's event loop went through during the metered run: its delay and GC pauses.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    const gcPauses: number[] = [];
    const gcObserver = new PerformanceObserver((list) => gcPauses.push(...list.getEntries().map((e) => e.duration)));
    loopDelay.enable();
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    gcObserver.observe({ entryTypes: ['gc'] });
    const metered = await load(nodeUrls, session);
    loopDelay.disable();
    const cpu = process.cpuUsage(cpu0);
    const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
    gcObserver.disconnect();
    const plain = await load(nginxUrls, {});
    // Latency at light load (2 connections), where queueing on the shared cores matters less.
    const meteredLight = await load(nodeUrls, session, 2, 1000);
    const plainLight = await load(nginxUrls, {}, 2, 1000);
    await listeningService(node.ctx).segmentLog.flush();
    const fmt = (r: LoadResult) => `${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`;
    const [logged] = await node.ctx.db.query('SELECT count(*) AS n FROM segment_serves WHERE session_id = :s', { replacements: { s: play.body.sessionId } });
    console.log(`  node (metered): ${fmt(metered)}`);
    console.log(`  nginx:          ${fmt(plain)}`);
    console.log(`  ratio: ${ratio(metered.rps, plain.rps)} (goal >= 0.6x); node p99 ${metered.p99.toFixed(2)} ms (goal < 10 ms)`);
    console.log(`  node process during that run: ${Math.round(cpuShare * 100)}% of one core (user ${Math.round(cpu.user / 1000)} ms, system ${Math.round(cpu.system / 1000)} ms)`);
    console.log(`  node event loop during that run: delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(2)} ms, max ${(loopDelay.max / 1e6).toFixed(2)} ms; ${gcPauses.length} GC pauses, longest ${Math.max(0, ...gcPauses).toFixed(2)} ms, ${gcPauses.reduce((a, b) => a + b, 0).toFixed(0)} ms in all`);
    console.log(`  light load (2 connections, 1000 requests): node ${fmt(meteredLight)}; nginx ${fmt(plainLight)}`);
    console.log(`  segment serves logged for the session: ${(logged as { n: string }[])[0].n} (warm-ups included)`);

    // Behind nginx: the same requests, through the site `npm run nginx-site` writes.
    const frontSession = (await node.api('POST', '/api/v1/plays', { token: listener.token, body: { trackId: track.trackId } })).body.sessionId as string;
    const frontUrls = segments.map((p) => `${front.origin}${p}`);
    await load(frontUrls, { 'x-play-session': randomUUID() }, concurrency, 500); // warm-up
    const procs0 = processTimes();
    const behind = await load(frontUrls, { 'x-play-session': frontSession });
    const behindCpu = cpuOfProcesses(procs0);
    const served = behind.requests - behind.errors;
    const t0 = performance.now();
    let meteredCount = 0;
    while (performance.now() - t0 < 60_000) {
      await listeningService(node.ctx).segmentLog.flush();
      const [n] = await node.ctx.db.query('SELECT count(*) AS n FROM segment_serves WHERE session_id = :s', { replacements: { s: frontSession } });
      meteredCount = Number((n as { n: string }[])[0].n);
      if (meteredCount >= served) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const behindLight = await load(frontUrls, { 'x-play-session': randomUUID() }, 2, 1000);
    console.log('behind nginx (public segments from disk, metered from its access log):');
    console.log(`  nginx + node:   ${fmt(behind)}`);
    console.log(`  ratio: ${ratio(behind.rps, plain.rps)} of plain nginx (goal >= 0.6x); p99 ${behind.p99.toFixed(2)} ms (goal < 10 ms)`);
    // wrk counts the responses completed in its window; the few in flight when it stops are
    // served (and metered) too, so the metered count may be a little higher.
    console.log(`  metered ${meteredCount} responses of the session; wrk completed ${served}; all in ${((performance.now() - t0) / 1000).toFixed(1)} s after the load ended`);
    console.log(`  CPU during that run (ms, wrk not included): ${Object.entries(behindCpu).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`  light load (2 connections): ${fmt(behindLight)}`);
  } finally {
    await front.stop();
    await nginx.stop();
  }
} finally {
  await node.stop();
  rmSync(frontDir, { recursive: true, force: true });
}
