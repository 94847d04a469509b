// Streaming-file benchmark (npx tsx bench/media/range.ts), printed, never asserted: requests per
// second of the node's two paths for segments, each as a ratio to a baseline measured in the
// same run, so figures from runs on a loaded machine can still be compared:
//  - fast: the streaming fast path (server/media/fast-streaming.ts), whole cached segments;
//  - route: the Express route for the same requests, and for a byte range (206);
//  - baseline: a bare node:http handler piping fs.createReadStream (no checks, no metering);
//  - send: the `send` package (what Express's sendFile uses), whole file and the same range.
// Each server runs in this process; the load comes from wrk when it is installed (Debian
// package wrk: C, far less CPU than a Node client, which on 2 cores caps what it can measure),
// else from a child process (bench/listening/load.ts). Rounds alternate the servers and the
// median of each is printed. Loopback only, bounded in count and time.
// Env: BENCH_LOAD (wrk|node), BENCH_SECONDS (per wrk run, default 5), BENCH_REQUESTS (per node
// run, default 6000), BENCH_CONCURRENCY (16), BENCH_ROUNDS (3).
import http from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

await main();

async function main(): Promise<void> {
  const { startTestNode } = await import('../../test/helpers/node.js');
  const { makeAudio, mediaDir, removeMediaDir } = await import('../../test/helpers/media.js');
  const { makeArtist, upload, waitTrack } = await import('../../test/media/support.js');
  const { buildApp, buildRequestHandler } = await import('../../server/app.js');
  const { capabilities } = await import('../../server/capabilities.js');
  const send = (await import('send')).default;

  const requests = Number(process.env.BENCH_REQUESTS ?? 6000);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const generator = process.env.BENCH_LOAD ?? (spawnSync('wrk', ['--version']).error === undefined ? 'wrk' : 'node');

  const node = await startTestNode({ name: 'bench-media-range', overrides: { media: { audioBitratesKbps: [128] } } });
  const dir = mediaDir('bench-range');
  const servers: http.Server[] = [];
  try {
    const artist = await makeArtist(node, 'bench_range');
    const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 40, name: 'range.flac', format: 'flac' }));
    if (up.status !== 200) throw new Error(`upload: ${up.status} ${up.text}`);
    const track = await waitTrack(node, artist.token, up.body.trackId);
    if (track.status !== 'ready') throw new Error(`track is ${track.status}`);
    const rendition = track.streaming.renditions[0];
    const playlist = await (await fetch(rendition.playlistUrl)).text();
    const segments = playlist
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => new URL(l, rendition.playlistUrl).pathname);
    const streamingRoot = path.join(node.dataDir, 'media', 'streaming');
    const fileOf = (url: string) => path.join(streamingRoot, decodeURIComponent(url.split('?')[0].slice('/static/streaming/'.length)));
    const sizes = segments.map((s) => statSync(fileOf(s)).size);

    const start = async (handler: http.RequestListener) => {
      const s = http.createServer(handler);
      servers.push(s);
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    };
    const origins = {
      fast: await start(buildRequestHandler(node.ctx, capabilities)),
      route: await start(buildApp(node.ctx, capabilities)),
      baseline: await start((req, res) => {
        const file = fileOf(req.url ?? '');
        res.writeHead(200, { 'Content-Type': 'audio/mp4', 'Content-Length': String(statSync(file).size) });
        createReadStream(file).pipe(res);
      }),
      send: await start((req, res) => {
        send(req, (req.url ?? '').split('?')[0].slice('/static/streaming'.length), { root: streamingRoot, etag: true, lastModified: true, acceptRanges: true })
          .on('error', (err: { status?: number }) => {
            res.statusCode = err.status ?? 500;
            res.end();
          })
          .pipe(res);
      }),
    };
    // Every segment's bytes into the node's cache, so the fast path answers them.
    for (const s of segments) await fetch(origins.route + s);

    const range = { range: 'bytes=100-8099' };
    const runs: { name: string; origin: keyof typeof origins; headers: Record<string, string>; status: number }[] = [
      { name: 'baseline (createReadStream)', origin: 'baseline', headers: {}, status: 200 },
      { name: 'fast path', origin: 'fast', headers: {}, status: 200 },
      { name: 'route (Express)', origin: 'route', headers: {}, status: 200 },
      { name: 'send', origin: 'send', headers: {}, status: 200 },
      { name: 'route, range', origin: 'route', headers: range, status: 206 },
      { name: 'send, range', origin: 'send', headers: range, status: 206 },
    ];
    const benchDir = path.dirname(fileURLToPath(import.meta.url));
    const tsx = path.join(benchDir, '../../node_modules/.bin/tsx');
    const nodeLoad = (origin: string, headers: Record<string, string>, status: number) =>
      new Promise<{ rps: number; wrong: number }>((resolve, reject) => {
        const opts = { urls: segments.map((s) => origin + s), headers, status, concurrency, requests, maxSeconds: 30 };
        const child = spawn(tsx, [path.join(benchDir, '../listening/load.ts'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('exit', (code) => {
          if (code !== 0) return reject(new Error(`load exited ${code}`));
          const r = JSON.parse(out.trim().split('\n').pop()!) as { rps: number; errors: number };
          resolve({ rps: r.rps, wrong: r.errors });
        });
      });
    // wrk asks for one full segment over and over (the node client rotates over all of them);
    // it tells only answers outside 2xx/3xx apart (`wrong`).
    const fullSegment = segments[sizes.indexOf(Math.max(...sizes))];
    const wrkLoad = (origin: string, headers: Record<string, string>) =>
      new Promise<{ rps: number; wrong: number }>((resolve, reject) => {
        const args = ['-t1', `-c${concurrency}`, `-d${seconds}s`, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), origin + fullSegment];
        const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('exit', (code) => {
          const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
          if (code !== 0 || !rps) return reject(new Error(`wrk exited ${code}: ${out}`));
          const errors = [/Non-2xx or 3xx responses: (\d+)/, /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/].flatMap((re) => re.exec(out)?.slice(1) ?? []);
          resolve({ rps: Number(rps[1]), wrong: errors.reduce((n, x) => n + Number(x), 0) });
        });
      });
    const measure = (origin: string, headers: Record<string, string>, status: number) => (generator === 'wrk' ? wrkLoad(origin, headers) : nodeLoad(origin, headers, status));

    const results = new Map<string, number[]>(runs.map((r) => [r.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const r of runs) {
        const m = await measure(origins[r.origin], r.headers, r.status);
        if (m.wrong) throw new Error(`${r.name}: ${m.wrong} answers without status ${r.status}`);
        results.get(r.name)!.push(m.rps);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const base = median(results.get(runs[0].name)!);
    const load = generator === 'wrk' ? `wrk on a segment of ${Math.max(...sizes)} bytes, ${seconds} s per run` : `${segments.length} segments of ${Math.min(...sizes)}–${Math.max(...sizes)} bytes, ${requests} requests per run`;
    console.log(`streaming files (loopback, ${load}, ${concurrency} connections, median of ${rounds} rounds)`);
    for (const r of runs) {
      const rps = median(results.get(r.name)!);
      console.log(`  ${r.name.padEnd(28)} ${rps.toFixed(0).padStart(7)} req/s   ${(rps / base).toFixed(2)}x baseline`);
    }
  } finally {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await node.stop();
    removeMediaDir(dir);
  }
}
