// Live streaming benchmarks (npm run bench:live), printed, never asserted. Real ffmpeg RTMP
// pushes of test patterns on loopback, into one node started in this process:
//  1. latency: from spawning the publisher to the first segment listed in the audio playlist
//     and answered 200, for an audio-only push and a 426x240 video push (median of 3 each), as
//     a ratio to the configured segment length (goal <= segment length + 1 s); with the same
//     figure counted from the node's accepting the publish (the stream's createdAt) and the
//     node's own (startedAt - createdAt: what the session logs as firstSegmentMs);
//  2. concurrent audio-only streams on separate channels (N = 5, 10, 20, 30, stopping at the
//     first N that falls behind): every stream live, none ended, ffmpeg speed >= 0.95 and about
//     one segment per segment length over the window (goal: >= 20 keep up), with CPU figures;
//  3. 720p ladders (360p + 720p + audio) from 1280x720 pushes, N = 1, 2, 3: how many keep up;
//  4. live segments of a priced stream with an L402 credential on each request (the 402 gate;
//     the newest segments, as players ask for them: the fast path), and the same through the
//     route, against nginx serving the same files ungated, while the stream is live (goal:
//     >= 0.5x), loaded by wrk when installed (bench/load-runner.ts).
// The publishers' ffmpeg runs on the same machine and takes CPU from the node; on a 2-core
// machine that is part of every figure here. Bounded in count and time (about 5 minutes).
// Env: BENCH_LIVE_STREAMS (5,10,20,30), BENCH_LIVE_LADDERS (1,2,3), BENCH_LIVE_WINDOW (20 s),
// BENCH_LIVE_RUNS (3), BENCH_CONCURRENCY (16), BENCH_LOAD (wrk|node), BENCH_SECONDS (per wrk run),
// BENCH_REQUESTS (per node-generator run).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { TestNode } from '../../test/helpers/node.js';
import { liveArtist, push, rtmpUrl, startLiveNode } from '../../test/live/support.js';
import { startNginx, type RunningNginx } from '../../test/helpers/nginx.js';
import { liveService } from '../../server/live/index.js';
import { moneyService } from '../../server/money/index.js';
import type * as api from '../../shared/api/index.js';
import { generator, loadUrls, ratio, type LoadResult } from '../load-runner.js';

/** Which sections run (BENCH_LIVE_SECTIONS=4 for the segments alone). */
const sections = new Set((process.env.BENCH_LIVE_SECTIONS ?? '1,2,3,4').split(',').map((x) => x.trim()));
const list = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number).filter((n) => n > 0) : d);
const streamSteps = list(process.env.BENCH_LIVE_STREAMS, [5, 10, 20, 30]);
const ladderSteps = list(process.env.BENCH_LIVE_LADDERS, [1, 2, 3]);
const windowSeconds = Number(process.env.BENCH_LIVE_WINDOW ?? 20);
const ladderWindowSeconds = Math.max(10, windowSeconds - 5);
const latencyRuns = Number(process.env.BENCH_LIVE_RUNS ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const requests = Number(process.env.BENCH_REQUESTS ?? 4000);
const minSpeed = 0.95;

type Artist = Awaited<ReturnType<typeof liveArtist>>;
type Pusher = ReturnType<typeof push>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const pct = (x: number) => `${Math.round(x * 100)}%`;

// ---- CPU: this process (the node), its ffmpeg children (ladders, publishers), the machine ----

/** CPU ms of this process's direct children, by pid (Linux /proc; USER_HZ 100). */
function childTimes(): Map<number, { name: string; ms: number }> {
  const out = new Map<number, { name: string; ms: number }>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) !== process.pid) continue;
      out.set(Number(pid), { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: (Number(f[11]) + Number(f[12])) * 10 });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Busy and total jiffies of the whole machine. */
function machineTimes(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}

interface CpuMark {
  at: number;
  self: NodeJS.CpuUsage;
  children: Map<number, { name: string; ms: number }>;
  machine: { busy: number; total: number };
}
const cpuMark = (): CpuMark => ({ at: performance.now(), self: process.cpuUsage(), children: childTimes(), machine: machineTimes() });

/** Shares of one core over the window (node process, ladder ffmpegs, publisher ffmpegs) and the machine's busy share of all its cores. */
function cpuSince(m: CpuMark, pusherPids: Set<number>): { node: number; ladders: number; pushers: number; machine: number; load1: number } {
  const wall = performance.now() - m.at;
  const self = process.cpuUsage(m.self);
  let ladders = 0;
  let pushers = 0;
  for (const [pid, now] of childTimes()) {
    const used = now.ms - (m.children.get(pid)?.ms ?? 0);
    if (pusherPids.has(pid)) pushers += used;
    else if (now.name === 'ffmpeg') ladders += used;
  }
  const mach = machineTimes();
  return {
    node: (self.user + self.system) / 1000 / wall,
    ladders: ladders / wall,
    pushers: pushers / wall,
    machine: (mach.busy - m.machine.busy) / Math.max(1, mach.total - m.machine.total),
    load1: os.loadavg()[0],
  };
}
const fmtCpu = (c: ReturnType<typeof cpuSince>) =>
  `node process ${pct(c.node)} of a core, ladder ffmpegs ${pct(c.ladders)}, publisher ffmpegs ${pct(c.pushers)}; machine ${pct(c.machine)} busy of ${os.cpus().length} cores, loadavg(1m) ${c.load1.toFixed(2)}`;

// ---- the run ----------------------------------------------------------------------------

const pushers = new Set<Pusher>();
let node: TestNode | undefined;
let nginx: RunningNginx | undefined;
let cleaning: Promise<void> | undefined;

async function killPushers(): Promise<void> {
  await Promise.all(
    [...pushers].map(async (p) => {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      await Promise.race([p.exited, sleep(3000)]);
      pushers.delete(p);
    }),
  );
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await killPushers().catch(() => {});
    await nginx?.stop().catch((err) => console.error('nginx stop:', err));
    await node?.stop().catch((err) => console.error('node stop:', err));
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the publishers and the node`);
    void cleanup().finally(() => process.exit(130));
  });
}

const summary: string[] = [];
try {
  node = await startLiveNode({
    name: 'benchlive',
    // The node's own live defaults (ladder heights, x264 preset), with room for many streams and
    // every segment kept on disk and listed while live (section 4 loads them all).
    overrides: { live: { maxConcurrentStreams: 100, keepSegments: 1000, playlistSegments: 1000, videoHeights: [360, 720], x264Preset: 'superfast', badKeysPerMinutePerAddress: 1000 } },
  });
  const n = node;
  const seg = n.ctx.config.live.segmentSeconds;
  const svc = liveService(n.ctx);
  console.log(`live benchmarks: node ${n.url}, rtmp port ${svc.rtmpPort}, segments of ${seg} s, ladder ${JSON.stringify(n.ctx.config.live.videoHeights)} x264 ${n.ctx.config.live.x264Preset}, ${os.cpus().length} cores`);
  console.log('  the publishers (ffmpeg encoding the test patterns) run on this machine too and take CPU from the node: their share is printed where it matters');

  const maxArtists = Math.max(2, ...streamSteps, ...ladderSteps, 2);
  const artists: Artist[] = [];
  for (let i = 0; i < maxArtists; i += 5) artists.push(...(await Promise.all(Array.from({ length: Math.min(5, maxArtists - i) }, () => liveArtist(n)))));

  const start = (a: Artist, o: { video?: boolean; size?: string } = {}) => {
    const p = push(rtmpUrl(n, a.key), { seconds: 600, ...o });
    pushers.add(p);
    return p;
  };
  const channelLive = async (a: Artist): Promise<api.ChannelLive> => {
    const r = await n.api<api.ChannelLive>('GET', `/api/v1/channels/${a.channel.name}/live`, { token: a.token });
    if (r.status !== 200) throw new Error(`channel live: ${r.status} ${r.text}`);
    return r.body;
  };
  /** The highest sequence number a rendition's playlist lists (-1: none yet or no playlist). */
  const lastSeq = async (id: string, rendition: string): Promise<number> => {
    const res = await fetch(`${n.url}/live-hls/${id}/${rendition}/index.m3u8`);
    if (res.status !== 200) return -1;
    const seqs = [...(await res.text()).matchAll(/^(\d+)\.ts$/gm)].map((m) => Number(m[1]));
    return seqs.length ? seqs[seqs.length - 1] : -1;
  };
  /** Stops the streams (as their owner), then the publishers. */
  const stopAll = async (as: Artist[], ps: Pusher[]) => {
    await Promise.all(as.map((a) => n.api('POST', `/api/v1/channels/${a.channel.name}/live/stop`, { token: a.token }).catch(() => undefined)));
    await Promise.all(
      ps.map(async (p) => {
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
        const done = await Promise.race([p.exited.then(() => true), sleep(3000).then(() => false)]);
        if (!done) p.kill('SIGKILL');
        await p.exited;
        pushers.delete(p);
      }),
    );
    const until = Date.now() + 10_000;
    while (svc.liveSessions > 0 && Date.now() < until) await sleep(100);
  };

  // ---- 1. latency to the first segment ---------------------------------------------------
  const latency = async (a: Artist, video: boolean) => {
    const t0 = Date.now();
    const p = start(a, video ? { video: true, size: '426x240' } : {});
    try {
      const until = t0 + 30_000;
      let id: string | undefined;
      while (!id) {
        const cur = (await channelLive(a)).current;
        if (cur && cur.state !== 'ended') id = cur.id;
        else if (Date.now() > until || p.exitCode !== null) throw new Error(`no stream appeared: ${p.stderrText()}`);
        else await sleep(25);
      }
      let first: number | undefined;
      while (first === undefined) {
        const s = await lastSeq(id, 'audio');
        if (s >= 0) {
          const res = await fetch(`${n.url}/live-hls/${id}/audio/0.ts`);
          await res.arrayBuffer();
          if (res.status === 200) first = Date.now();
        }
        if (first === undefined) {
          if (Date.now() > until) throw new Error('no first segment within 30 s');
          await sleep(25);
        }
      }
      let view: api.LiveStream | undefined;
      while (!view?.startedAt) {
        view = (await n.api<api.LiveStream>('GET', `/api/v1/live/streams/${id}`)).body;
        if (!view.startedAt) {
          if (Date.now() > until) throw new Error('stream never started');
          await sleep(25);
        }
      }
      const created = Date.parse(view.createdAt);
      return { spawnMs: first - t0, publishMs: first - created, serverMs: Date.parse(view.startedAt) - created, renditions: view.renditions.map((r) => r.name).join('+') };
    } finally {
      await stopAll([a], [p]);
    }
  };
  const goalMs = (seg + 1) * 1000;
  if (sections.has('1')) console.log(`\n1. first segment (listed in the audio playlist and answered 200), ${latencyRuns} runs each; goal <= ${goalMs} ms (segment + 1 s = ${(goalMs / (seg * 1000)).toFixed(2)}x segment)`);
  for (const [label, video] of sections.has('1') ? ([['audio', false], ['video426x240', true]] as const) : []) {
    const runs: Awaited<ReturnType<typeof latency>>[] = [];
    for (let i = 0; i < latencyRuns; i++) runs.push(await latency(artists[0], video));
    const spawnMs = median(runs.map((r) => r.spawnMs));
    const publishMs = median(runs.map((r) => r.publishMs));
    const serverMs = median(runs.map((r) => r.serverMs));
    console.log(`  ${label} (ladder ${runs[0].renditions}): from spawning the publisher ${runs.map((r) => r.spawnMs).join(', ')} ms, median ${spawnMs} ms = ${(spawnMs / (seg * 1000)).toFixed(2)}x segment (${spawnMs <= goalMs ? 'within' : 'over'} the goal)`);
    console.log(`    from the node accepting the publish (createdAt): median ${publishMs} ms; node's firstSegmentMs (startedAt - createdAt, every rendition out): median ${serverMs} ms`);
    summary.push(
      `live.first_segment.${label}_ms_median=${spawnMs}`,
      `live.first_segment.${label}_x_segment=${(spawnMs / (seg * 1000)).toFixed(2)} (goal <= ${(goalMs / (seg * 1000)).toFixed(2)}, i.e. <= ${goalMs} ms)`,
      `live.first_segment.${label}_from_publish_ms_median=${publishMs}`,
      `live.first_segment.${label}_server_first_segment_ms_median=${serverMs}`,
    );
  }

  // ---- 4. live segments behind the 402 gate: node against nginx, while the stream is live ----
  if (sections.has('4')) {
    const a = artists[1];
    // A priced stream: every segment past the free minutes needs a credential (here: none free).
    await n.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { pricePerMinute: 60, freeMinutes: 0 } });
    const p = start(a);
    try {
      let id: string | undefined;
      const until = Date.now() + 60_000;
      // Enough segments to rotate over (about 16 s of stream).
      for (;;) {
        const cur = (await channelLive(a)).current;
        if (cur?.state === 'live') id = cur.id;
        if (id && (await lastSeq(id, 'audio')) >= 7) break;
        if (Date.now() > until) throw new Error('section 4: the stream did not reach 8 segments');
        await sleep(500);
      }
      // A viewer buys the minute holding the newest segment (an L402 credential), as a player would.
      const viewer = await n.user('listener');
      await moneyService(n.ctx).adminCredit.topUp({ userId: viewer.user.id, amount: 10_000, idempotencyKey: `bench-live:${viewer.user.id}` });
      const session = svc.session(id!)!;
      const newest = session.windowOf('audio', 1)!.segments[0].seq;
      // Ten minutes from the newest segment's: every segment the runs below ask for is in the span.
      const offer = await n.api<api.MeteredOffer>('POST', `/api/v1/live/streams/${id}/offers`, { token: viewer.token, body: { rendition: 'audio', fromSeq: newest, minutes: 10 } });
      if (offer.status !== 200) throw new Error(`offer: ${offer.status} ${offer.text}`);
      const paid = await n.api<api.MeteredPaid>('POST', '/api/v1/metered/pay', { token: viewer.token, body: { invoice: offer.body.invoice } });
      if (paid.status !== 201) throw new Error(`pay: ${paid.status} ${paid.text}`);
      const auth = { authorization: paid.body.purchase.authorization };
      // The segments a player asks for: the newest ones (their bytes in memory), inside the span bought.
      const rows = session.windowOf('audio', 6)!.segments.filter((r) => r.seq >= offer.body.segments.from && r.seq <= offer.body.segments.to);
      const nodePaths = rows.map((r) => `/live-hls/${id}/audio/${r.seq}.ts`);
      const filePaths = rows.map((r) => `/live-files/${id}/${r.file}`);
      nginx = await startNginx(
        (port) => `server {
    listen 127.0.0.1:${port};
    types { video/mp2t ts; }
    location /live-files/ { alias ${svc.root}/; }
  }`,
      );
      const nginxOrigin = nginx.origin;
      // The same bytes both ways (and every file read once, into the page cache); without the credential, 402.
      for (let i = 0; i < rows.length; i++) {
        const [x, y, refused] = await Promise.all([fetch(n.url + nodePaths[i], { headers: auth }), fetch(nginxOrigin + filePaths[i]), fetch(n.url + nodePaths[i])]);
        const [bx, by] = await Promise.all([x.arrayBuffer(), y.arrayBuffer(), refused.arrayBuffer()]);
        const h = (b: ArrayBuffer) => createHash('sha256').update(Buffer.from(b)).digest('hex');
        if (x.status !== 200 || y.status !== 200 || h(bx) !== h(by) || h(bx) !== rows[i].sha256) throw new Error(`segment ${rows[i].seq}: node ${x.status}, nginx ${y.status}, or different bytes`);
        if (refused.status !== 402) throw new Error(`segment ${rows[i].seq} without a credential: ${refused.status}, not 402`);
      }
      const sizes = rows.map((r) => r.bytes);
      const fmt = (r: LoadResult) => `${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`;
      console.log(
        `\n4. live audio segments behind the 402 gate while live (${rows.length} newest segments of ${Math.min(...sizes)}-${Math.max(...sizes)} bytes, an L402 credential on each request; ${generator === 'wrk' ? `wrk, ${process.env.BENCH_SECONDS ?? 8} s per run` : `${requests} requests per run`}, ${concurrency} connections)`,
      );
      // The stream goes on while the load runs: each node run asks for the segments newest at its
      // start (the ones players ask for), which stay among those kept in memory for its length.
      const newestPaths = () => session.windowOf('audio', 2)!.segments.filter((r) => r.seq <= offer.body.segments.to).map((r) => `${n.url}/live-hls/${id}/audio/${r.seq}.ts`);
      const cpu0 = cpuMark();
      const base1 = await loadUrls(filePaths.map((x) => nginxOrigin + x), {}, concurrency, requests);
      const viaNode = await loadUrls(newestPaths(), auth, concurrency, requests);
      const base2 = await loadUrls(filePaths.map((x) => nginxOrigin + x), {}, concurrency, requests);
      const cpu = cpuSince(cpu0, new Set([p.pid!]));
      // The route itself (the fast path declines a Range request): what players get for segments not in memory.
      const viaRoute = await loadUrls(newestPaths(), { ...auth, range: 'bytes=0-' }, concurrency, requests);
      const baseRps = (base1.rps + base2.rps) / 2;
      const still = (await channelLive(a)).current?.state;
      console.log(`  nginx (same files, no gate): ${fmt(base1)}`);
      console.log(`  node (gated, fast path):     ${fmt(viaNode)}`);
      console.log(`  nginx (same files, no gate): ${fmt(base2)} (again, for the noise)`);
      console.log(`  node (gated, the route):     ${fmt(viaRoute)}`);
      console.log(`  ratio: ${ratio(viaNode.rps, baseRps)} of nginx (goal >= 0.5x); the route alone ${ratio(viaRoute.rps, baseRps)}; the stream was ${still} throughout (its ingest and ladder ffmpeg ran during all of it)`);
      console.log(`  CPU over the first three runs: ${fmtCpu(cpu)}`);
      summary.push(
        `live.segments.gated_node_rps=${Math.round(viaNode.rps)} (L402 credential, fast path; p99 ${viaNode.p99.toFixed(2)} ms, errors ${viaNode.errors})`,
        `live.segments.gated_route_rps=${Math.round(viaRoute.rps)} (the same through Express)`,
        `live.segments.nginx_rps=${Math.round(baseRps)} (mean of 2 runs, no gate; p99 ${Math.max(base1.p99, base2.p99).toFixed(2)} ms)`,
        `live.segments.node_vs_nginx=${(viaNode.rps / baseRps).toFixed(2)} (goal >= 0.5)`,
      );
    } finally {
      await stopAll([a], [p]);
      await nginx?.stop();
      nginx = undefined;
    }
  }

  // ---- 2 and 3. many streams at once ---------------------------------------------------
  interface StreamOutcome {
    live: boolean;
    ended: string | null;
    speed: number | null;
    minSpeed: number | null;
    segments: number;
    expected: number;
    rate: number;
    fps: number;
    backlog: number;
    ok: boolean;
  }
  const concurrent = async (count: number, o: { video?: boolean; size?: string }, window: number) => {
    const as = artists.slice(0, count);
    const ps = as.map((a) => start(a, o));
    const pusherPids = new Set(ps.map((p) => p.pid!));
    try {
      // Every stream live (or a deadline), then the window.
      const tStart = Date.now();
      const until = tStart + 30_000;
      // This run's stream of a channel: the current one, or one that ended since the pushes began.
      const mine = (v: api.ChannelLive) => v.current ?? v.recent.find((x) => Date.parse(x.createdAt) >= tStart - 2000);
      let views: api.ChannelLive[] = [];
      for (;;) {
        views = await Promise.all(as.map(channelLive));
        if (views.every((v) => v.current?.state === 'live' || (!v.current && mine(v)))) break;
        if (Date.now() > until) break;
        await sleep(300);
      }
      const startupMs = Date.now() - tStart;
      const ids = views.map((v) => mine(v)?.id);
      const renditionsOf = (v: api.ChannelLive) => {
        const names = mine(v)?.renditions.map((r) => r.name) ?? [];
        return names.length ? names : ['audio'];
      };
      const seqsAt = async () => Promise.all(ids.map(async (id, i) => (id ? Promise.all(renditionsOf(views[i]).map((r) => lastSeq(id, r))) : [-1])));
      const t0 = performance.now();
      const seq0 = await seqsAt();
      const cpu0 = cpuMark();
      const minSpeeds: (number | null)[] = as.map(() => null);
      const samples = Math.max(1, Math.round(window / 5));
      let last: api.ChannelLive[] = views;
      for (let s = 0; s < samples; s++) {
        await sleep((window * 1000) / samples);
        last = await Promise.all(as.map(channelLive));
        last.forEach((v, i) => {
          const sp = v.health?.speed;
          if (sp !== null && sp !== undefined) minSpeeds[i] = minSpeeds[i] === null ? sp : Math.min(minSpeeds[i]!, sp);
        });
      }
      const seq1 = await seqsAt();
      const elapsed = (performance.now() - t0) / 1000;
      const cpu = cpuSince(cpu0, pusherPids);
      const expected = elapsed / seg;
      const outcomes: StreamOutcome[] = last.map((v, i) => {
        const deltas = seq1[i].map((x, k) => (seq0[i][k] >= 0 ? x - seq0[i][k] : x + 1));
        const segments = Math.min(...deltas);
        const ended = v.current ? null : (mine(v)?.endReason ?? 'never_started');
        const speed = v.health?.speed ?? null;
        const live = v.current?.state === 'live';
        const ok = live && !ended && speed !== null && speed >= minSpeed && segments >= Math.floor(expected) - 1;
        return { live, ended, speed, minSpeed: minSpeeds[i], segments, expected, rate: (segments * seg) / elapsed, fps: v.health?.fps ?? 0, backlog: v.health?.backlogBytes ?? 0, ok };
      });
      return { outcomes, cpu, startupMs, elapsed };
    } finally {
      await stopAll(as, ps);
    }
  };
  const describe = (r: Awaited<ReturnType<typeof concurrent>>, video: boolean) => {
    const o = r.outcomes;
    const speeds = o.map((x) => x.speed).filter((x): x is number => x !== null);
    const ended = o.filter((x) => x.ended).map((x) => x.ended);
    return [
      `live ${o.filter((x) => x.live).length}/${o.length}, ended ${ended.length}${ended.length ? ` (${[...new Set(ended)].join(', ')})` : ''}, all live after ${(r.startupMs / 1000).toFixed(1)} s`,
      `speed min ${speeds.length ? Math.min(...speeds).toFixed(3) : 'n/a'} median ${speeds.length ? median(speeds).toFixed(3) : 'n/a'} (lowest sample ${Math.min(...o.map((x) => x.minSpeed ?? 0)).toFixed(3)})`,
      `segments per stream over ${r.elapsed.toFixed(1)} s: min ${Math.min(...o.map((x) => x.segments))} (expected ~${o[0].expected.toFixed(1)}; rate min ${Math.min(...o.map((x) => x.rate)).toFixed(2)}x real time)`,
      `backlog max ${Math.max(...o.map((x) => x.backlog))} bytes${video ? `, input fps min ${Math.min(...o.map((x) => x.fps))}` : ''}`,
    ].join('; ');
  };

  const endedNote = (r: Awaited<ReturnType<typeof concurrent>>) =>
    r.outcomes.some((x) => x.ended) ? ' (ladders of streams that ended during the window are not counted: their ffmpeg had exited)' : '';
  const shortOutcome = (r: Awaited<ReturnType<typeof concurrent>>) => {
    const speeds = r.outcomes.map((x) => x.speed).filter((x): x is number => x !== null);
    const ended = r.outcomes.filter((x) => x.ended).map((x) => x.ended);
    return `live=${r.outcomes.filter((x) => x.live).length}/${r.outcomes.length} ended=${ended.length}${ended.length ? `(${[...new Set(ended)].join(',')})` : ''} speed_min=${speeds.length ? Math.min(...speeds).toFixed(3) : 'n/a'} segments_min=${Math.min(...r.outcomes.map((x) => x.segments))}/${r.outcomes[0].expected.toFixed(1)}`;
  };

  if (sections.has('2')) console.log(`\n2. concurrent audio-only streams on separate channels, ${windowSeconds} s window each; keeps up: every stream live, none ended, speed >= ${minSpeed}, ~1 segment per ${seg} s`);
  let best = 0;
  for (const count of sections.has('2') ? streamSteps : []) {
    const r = await concurrent(count, {}, windowSeconds);
    const keeping = r.outcomes.filter((x) => x.ok).length;
    const all = keeping === count;
    console.log(`  N=${count}: ${all ? 'keeps up' : `falls behind (${keeping}/${count} keep up)`}; ${describe(r, false)}`);
    console.log(`    CPU: ${fmtCpu(r.cpu)}${endedNote(r)}`);
    summary.push(`live.concurrent_audio.n${count}=${all ? 'keeps_up' : `behind (${keeping}/${count})`} ${shortOutcome(r)} node_cpu=${pct(r.cpu.node)} ladders_cpu=${pct(r.cpu.ladders)} pushers_cpu=${pct(r.cpu.pushers)} machine_busy=${pct(r.cpu.machine)} load1=${r.cpu.load1.toFixed(2)}`);
    if (!all) break;
    best = count;
  }
  if (sections.has('2')) {
    console.log(`  largest N that keeps up: ${best} (goal >= 20${best === streamSteps[streamSteps.length - 1] ? `; the largest tried, not a limit found` : ''})`);
    summary.push(`live.concurrent_audio.max_keeping_up=${best} (goal >= 20; tried ${streamSteps.join(',')})`);
  }

  if (sections.has('3')) console.log(`\n3. 720p ladders (pushes of 1280x720 test pattern; ladder ${JSON.stringify(n.ctx.config.live.videoHeights)}p + audio, x264 ${n.ctx.config.live.x264Preset}), ${ladderWindowSeconds} s window each`);
  if (sections.has('3')) console.log('  each publisher encodes 1280x720 H.264 (x264 ultrafast) on this same machine: its CPU is taken from the ladders');
  for (const count of sections.has('3') ? ladderSteps : []) {
    const r = await concurrent(count, { video: true, size: '1280x720' }, ladderWindowSeconds);
    const keeping = r.outcomes.filter((x) => x.ok).length;
    console.log(`  N=${count}: ${keeping}/${count} keep up; ${describe(r, true)}`);
    console.log(`    CPU: ${fmtCpu(r.cpu)}${endedNote(r)}`);
    summary.push(`live.ladder720.n${count}.keeping_up=${keeping}/${count} ${shortOutcome(r)} node_cpu=${pct(r.cpu.node)} ladders_cpu=${pct(r.cpu.ladders)} pushers_cpu=${pct(r.cpu.pushers)} machine_busy=${pct(r.cpu.machine)}`);
  }

  console.log('\nsummary (publishers run on the same machine; a shared machine perturbs every figure):');
  console.log(`live.segment_seconds=${seg}`);
  for (const line of summary) console.log(line);
} finally {
  await cleanup();
}
