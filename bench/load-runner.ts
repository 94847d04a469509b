// Loads URLs over keep-alive connections and reports requests per second and latency
// percentiles: with wrk when it is installed (Debian package wrk; far less CPU than a Node
// load generator, which on 2 cores competes with the server under test), else with
// bench/listening/load.ts in its own process. BENCH_LOAD (wrk|node) chooses; BENCH_SECONDS is
// the length of a wrk run. Loopback only.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../server/config/index.js';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

function nodeLoad(urls: string[], headers: Record<string, string>, c: number, n: number): Promise<LoadResult> {
  const opts = { urls, headers, concurrency: c, requests: n, maxSeconds: 20 };
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(projectRoot, 'node_modules/.bin/tsx'), [path.join(projectRoot, 'bench/listening/load.ts'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`load generator exited ${code}`))));
  });
}

/**
 * wrk (C, one thread): takes far less CPU than a Node load generator, which on 2 cores competes
 * with the server under test. Rotates over the URLs' paths; latency percentiles from wrk's own
 * histogram; non-2xx answers count as errors.
 */
function wrkLoad(urls: string[], headers: Record<string, string>, c: number, seconds: number): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), '9ten-bench-wrk-'));
  const script = path.join(dir, 'rotate.lua');
  const paths = urls.map((u) => new URL(u).pathname);
  writeFileSync(
    script,
    `${Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n')}
local paths = { ${paths.map((p) => JSON.stringify(p)).join(', ')} }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"errors":%d,"seconds":%f,"p50":%f,"p99":%f,"max":%f}\\n', summary.requests, e.status + e.connect + e.read + e.write + e.timeout, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
`,
  );
  const origin = new URL(urls[0]).origin;
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${c}`, `-d${seconds}s`, '-s', script, origin], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`wrk exited ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop()!) as Omit<LoadResult, 'rps'>;
      resolve({ ...r, rps: r.requests / r.seconds });
    });
  });
}

const haveWrk = spawnSync('wrk', ['--version']).error === undefined;
export const generator = process.env.BENCH_LOAD ?? (haveWrk ? 'wrk' : 'node');


/** `n` requests (node) or BENCH_SECONDS (wrk) over `c` connections, rotating over `urls`. */
export function loadUrls(urls: string[], headers: Record<string, string>, c: number, n: number): Promise<LoadResult> {
  return generator === 'wrk' ? wrkLoad(urls, headers, c, Number(process.env.BENCH_SECONDS ?? 8)) : nodeLoad(urls, headers, c, n);
}

export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
