// Operations benchmark (npm run bench:operations), printed, never asserted. One real test node
// (PostgreSQL, Redis, workers in the same process), two measures, each against a baseline
// measured in the same run:
//  1. notification fan-out: one `user.notify` event of kind 'tip' (mail on by default) to N local
//     users with verified addresses, mail on through a real SMTP server on loopback: the time
//     until all N rows are in notifications_inbox, until all N mails are queued (rows in
//     notifications_mails), and until the SMTP server has them all. Baselines: the same N rows in
//     one plain multi-row INSERT, and N single-row INSERTs (autocommit, one after the other: the
//     way the mails are recorded) of rows like the mails, each into a scratch table made LIKE the
//     real one (its indexes included; a regular table, not TEMP: a temp table skips the WAL the
//     real tables pay);
//  2. GET /metrics with the machine gauges (server/api/machine.ts: a few queues, some failed
//     jobs, a media folder with some files), p50/p95 over the scrapes, with config
//     metrics.cacheSeconds 0 (every scrape reads fresh) and then 15 (the default), against
//     GET /healthz interleaved with them.
// The SMTP server and the load generator share this process (and the machine) with the node.
// Flags: --users N [5000], --scrapes N [50] (or env BENCH_USERS, BENCH_SCRAPES).
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startTestNode } from '../../test/helpers/node.js';
import { TestSmtpServer } from '../../test/helpers/smtp.js';
import { deepMerge } from '../../server/config/index.js';
import { execute, selectOne } from '../../server/db/index.js';
import { ratio } from '../load-runner.js';

/** `--name N` or `--name=N`, else the env variable, else the default. */
function flag(name: string, env: string, fallback: number): number {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const raw = at < 0 ? process.env[env] : args[at].includes('=') ? args[at].split('=')[1] : args[at + 1];
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} wants a positive integer, not ${raw}`);
  return n;
}

const USERS = flag('users', 'BENCH_USERS', 5000);
const SCRAPES = flag('scrapes', 'BENCH_SCRAPES', 50);
/** Users of the warm-up notification (code paths, connections, the SMTP pool). */
const WARM_USERS = 50;
/** How long to wait for the SMTP server to have every mail before giving up on that figure. */
const SEND_CAP_MS = 120_000;

const log = (msg: string) => process.stdout.write(`${msg}\n`);
const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const row = (cells: string[], widths: number[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const smtp = await TestSmtpServer.start();
const node = await startTestNode({
  name: 'benchops',
  overrides: deepMerge(smtp.nodeConfig(), { auth: { emailVerification: 'required' }, metrics: { cacheSeconds: 0 } }),
});
const db = node.ctx.db;
const count = async (sql: string, replacements: Record<string, unknown> = {}) => Number((await selectOne<{ n: string }>(db, sql, replacements))!.n);

log(`operations benchmark: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at start (other work on the machine shows in every figure)`);
try {
  // ---- 1. Notification fan-out ----------------------------------------------------------------
  const t0 = performance.now();
  await db.query(
    `INSERT INTO users (username, password_hash, role, email, email_verified)
     SELECT 'bench_fan_' || i, 'bench-no-login', 'listener', 'bench_fan_' || i || '@example.org', true FROM generate_series(1, :n) AS i`,
    { replacements: { n: USERS + WARM_USERS } },
  );
  const ids = (await db.query(`SELECT id FROM users WHERE username LIKE 'bench\\_fan\\_%' ORDER BY created_at, id`))[0].map((r) => (r as { id: string }).id);
  const [warmIds, userIds] = [ids.slice(0, WARM_USERS), ids.slice(WARM_USERS)];
  log(`setup: ${ids.length} users with verified addresses in ${fmt(performance.now() - t0)}`);

  const notice = (key: string) => ({ kind: 'tip' as const, title: `bench_tipper tipped you 500 sats (${key})`, body: 'Thank you for the album: it kept me going all winter.', url: '/wallet', key });
  const mailed = (title: string) => smtp.received.filter((m) => m.subject === title).length;

  // Warm-up: the same path for a few users, every mail sent before the timed run.
  const warm = notice(`bench:tip:warm:${Date.now()}`);
  node.ctx.events.emit('user.notify', { ...warm, userIds: warmIds });
  for (const until = Date.now() + 30_000; mailed(warm.title) < WARM_USERS && Date.now() < until; ) await sleep(50);
  await node.waitJobs();

  const timed = notice(`bench:tip:${Date.now()}`);
  const stored = () => count('SELECT count(*) AS n FROM notifications_inbox WHERE key = :key', { key: timed.key });
  const queued = () => count('SELECT count(*) AS n FROM notifications_mails WHERE subject = :title', { title: timed.title });
  let rowsAt: number | undefined;
  let queuedAt: number | undefined;
  let sentAt: number | undefined;
  let sentWhenQueued = 0;
  const start = performance.now();
  node.ctx.events.emit('user.notify', { ...timed, userIds });
  while (sentAt === undefined && performance.now() - start < SEND_CAP_MS) {
    await sleep(20);
    if (rowsAt === undefined && (await stored()) >= USERS) rowsAt = performance.now() - start;
    if (rowsAt !== undefined && queuedAt === undefined && (await queued()) >= USERS) {
      queuedAt = performance.now() - start;
      sentWhenQueued = mailed(timed.title);
    }
    if (mailed(timed.title) >= USERS) sentAt = performance.now() - start;
  }
  const sentSoFar = mailed(timed.title);

  // Baselines: scratch tables LIKE the real ones, in the node's own (throwaway) database.
  await execute(db, 'CREATE TABLE bench_scratch_inbox (LIKE notifications_inbox INCLUDING ALL); CREATE TABLE bench_scratch_mails (LIKE notifications_mails INCLUDING ALL)');
  const toldAt = new Date().toISOString();
  const values = userIds.map((u) => `(${[u, 'tip', timed.key, timed.title, timed.body, timed.url].map((v) => db.escape(v)).join(', ')}, true, ${db.escape(toldAt)})`);
  const multiSql = `INSERT INTO bench_scratch_inbox (user_id, kind, key, title, body, url, web, told_at) VALUES ${values.join(', ')}`;
  let s = performance.now();
  await db.query(multiSql);
  const multiMs = performance.now() - s;
  const mailText = [timed.title, timed.body, `${node.url}${timed.url}`, `--\nYou get this mail from ${new URL(node.url).host} because mail is on for this kind of notification. Choose what comes by mail: ${node.url}/notifications/settings`].join('\n\n');
  s = performance.now();
  for (let i = 0; i < USERS; i++) {
    await execute(db, 'INSERT INTO bench_scratch_mails (kind, to_address, subject, body_text) VALUES (:kind, :to, :subject, :text)', {
      kind: 'notification.tip',
      to: `bench_fan_${i}@example.org`,
      subject: timed.title,
      text: mailText,
    });
  }
  const singleMs = performance.now() - s;
  await execute(db, 'DROP TABLE bench_scratch_inbox; DROP TABLE bench_scratch_mails');

  const w1 = [52, 10, 26];
  log(`\n1. user.notify (kind tip, mail on by default) to ${USERS} users, mail through a loopback SMTP server`);
  log(row(['', 'time', 'ratio'], w1));
  log(row([`baseline A: one multi-row INSERT of ${USERS} rows`, fmt(multiMs), '1.00x A'], w1));
  log(row([`baseline B: ${USERS} single-row INSERTs (autocommit)`, fmt(singleMs), `${ratio(singleMs, multiMs)} A`], w1));
  log(row([`all ${USERS} notification rows stored`, rowsAt === undefined ? 'not done' : fmt(rowsAt), rowsAt === undefined ? '' : `${ratio(rowsAt, multiMs)} A`], w1));
  log(row([`all ${USERS} mails queued (rows in notifications_mails)`, queuedAt === undefined ? 'not done' : fmt(queuedAt), queuedAt === undefined ? '' : `${ratio(queuedAt, singleMs)} B, ${ratio(queuedAt, multiMs)} A`], w1));
  log(row([`all ${USERS} mails received by the SMTP server`, sentAt === undefined ? `${sentSoFar} in ${fmt(SEND_CAP_MS)}` : fmt(sentAt), sentAt === undefined ? '' : `${((USERS / sentAt) * 1000).toFixed(0)} mails/s`], w1));
  if (queuedAt !== undefined) log(`  (${sentWhenQueued} mails already sent when the last was queued: sending shares the process and the CPU with queueing)`);

  // ---- 2. /metrics scrapes ---------------------------------------------------------------------
  // Some failed jobs in a few queues: a kind no handler knows fails at once, for good.
  const queues = node.ctx.jobs.queueNames();
  const failing = queues.slice(0, 4);
  for (const q of failing) for (let i = 0; i < 25; i++) await node.ctx.jobs.queue(q).add('bench.no-such-kind', { i }, { attempts: 1, removeOnFail: false });
  for (const until = Date.now() + 20_000; Date.now() < until; await sleep(100)) {
    const failed = await Promise.all(failing.map(async (q) => (await node.ctx.jobs.counts(q)).failed));
    if (failed.every((n) => n >= 25)) break;
  }
  // A media folder with some files: originals, covers, and HLS ladders (2 renditions x 30 segments).
  const media = path.join(node.dataDir, 'media');
  const chunk = Buffer.alloc(16 * 1024, 7);
  let files = 0;
  for (let t = 0; t < 40; t++) {
    const track = `00000000-0000-4000-8000-${String(t).padStart(12, '0')}`;
    writeFileSync(path.join(media, 'originals', `${track}.flac`), chunk);
    writeFileSync(path.join(media, 'covers', `${track}.jpg`), chunk);
    files += 2;
    for (const rendition of ['a128', 'a320']) {
      const dir = path.join(media, 'streaming', track, rendition);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'playlist.m3u8'), '#EXTM3U\n');
      for (let i = 0; i < 30; i++) writeFileSync(path.join(dir, `seg${i}.ts`), chunk);
      files += 31;
    }
  }
  const failedJobs = (await Promise.all(queues.map(async (q) => (await node.ctx.jobs.counts(q)).failed))).reduce((a, b) => a + b, 0);

  const get = async (p: string) => {
    const t = performance.now();
    const res = await fetch(node.url + p);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${p}: ${res.status} ${body.slice(0, 200)}`);
    return { ms: performance.now() - t, bytes: body.length };
  };
  const health: number[] = [];
  const series = async () => {
    const scrapes: number[] = [];
    for (let i = 0; i < SCRAPES; i++) {
      health.push((await get('/healthz')).ms);
      scrapes.push((await get('/metrics')).ms);
    }
    return scrapes;
  };
  // The first scrape walks the media folder and sums the books (each kept a minute, whatever cacheSeconds says).
  const first = await get('/metrics');
  await get('/healthz');
  const fresh = await series();
  // The default, on the same node and data (config is read at each scrape).
  node.ctx.config.metrics.cacheSeconds = 15;
  await get('/metrics');
  const cached = await series();

  const hp50 = pct(health, 50);
  const hp95 = pct(health, 95);
  const w2 = [40, 9, 9, 11, 11];
  log(`\n2. GET /metrics (${queues.length} queues: ${queues.join(', ')}; ${failedJobs} failed jobs; ${files} media files), ${SCRAPES} scrapes each, /healthz interleaved`);
  log(`  first scrape (walks the media folder, sums the books): ${fmt(first.ms)}, ${first.bytes} bytes`);
  log(row(['', 'p50', 'p95', 'p50 ratio', 'p95 ratio'], w2));
  log(row([`GET /healthz (baseline, ${health.length} requests)`, fmt(hp50), fmt(hp95), '1.00x', '1.00x'], w2));
  log(row(['GET /metrics, cacheSeconds 0 (fresh)', fmt(pct(fresh, 50)), fmt(pct(fresh, 95)), ratio(pct(fresh, 50), hp50), ratio(pct(fresh, 95), hp95)], w2));
  log(row(['GET /metrics, cacheSeconds 15 (default)', fmt(pct(cached, 50)), fmt(pct(cached, 95)), ratio(pct(cached, 50), hp50), ratio(pct(cached, 95), hp95)], w2));
  log(`\nload average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
} finally {
  await node.stop();
  await smtp.close();
}
