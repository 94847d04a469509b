// A small, bounded HTTP load generator (loopback only): N GET requests over C keep-alive
// connections, stopping early after a time limit. Prints one JSON line with requests per
// second and latency percentiles. Run as its own process so the server under test has the
// event loop to itself: tsx bench/listening/load.ts '<json options>' (bench/media uses it too).
import http from 'node:http';

interface Options {
  urls: string[];
  headers?: Record<string, string>;
  /** The status every answer must have (default 200; 206 for a byte range). */
  status?: number;
  concurrency: number;
  requests: number;
  maxSeconds: number;
}

const opts = JSON.parse(process.argv[2]) as Options;
for (const u of opts.urls) if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(u).hostname)) throw new Error(`loopback only: ${u}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
const latencies: number[] = [];
let sent = 0;
let errors = 0;
const deadline = Date.now() + opts.maxSeconds * 1000;

function once(url: string): Promise<void> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.get(url, { agent, headers: opts.headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        if (res.statusCode !== (opts.status ?? 200)) errors++;
        else latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
  });
}

async function worker(): Promise<void> {
  while (sent < opts.requests && Date.now() < deadline) {
    const url = opts.urls[sent++ % opts.urls.length];
    await once(url);
  }
}

// Warm up the connections, then measure.
await Promise.all(Array.from({ length: opts.concurrency }, () => once(opts.urls[0])));
latencies.length = 0;
errors = 0;
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
agent.destroy();
console.log(JSON.stringify({ requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50: pct(50), p99: pct(99), max: latencies[latencies.length - 1] }));
