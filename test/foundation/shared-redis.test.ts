// Two nodes pointed at one Redis, each with its own database and the operator's default
// Redis prefix (no REDIS_PREFIX): each keeps its own jobs and keys. And an admin sees what
// the queues hold, failed jobs with their error included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { projectRoot } from '../../server/config/index.js';
import { resolveRedisPrefix } from '../../server/jobs/prefix.js';
import { startTestNode, testRedisUrl, type TestNode } from '../helpers/node.js';
import { waitFor } from '../helpers/wait.js';

// Test nodes normally get a prefix of their own; these take whatever an operator who sets
// nothing gets, read from the shipped defaults.
const shipped = JSON.parse(readFileSync(path.join(projectRoot, 'config/default.json'), 'utf8')) as { redisPrefix: unknown };
const operatorDefault = { redisPrefix: shipped.redisPrefix };

let a: TestNode;
let b: TestNode;
before(async () => {
  // Node A serves only (no workers), so a job it queues waits until A's own worker runs.
  a = await startTestNode({ name: 'sharea', overrides: { ...operatorDefault, role: 'web' } });
  b = await startTestNode({ name: 'shareb', overrides: operatorDefault });
});

after(async () => {
  const prefixes = [a, b].filter(Boolean).map((n) => n.ctx.jobs.prefix);
  await a?.stop();
  await b?.stop();
  // The helper cleans only its own test prefixes; these nodes used the default ones.
  const redis = new Redis(testRedisUrl);
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
});

test("a job one node queues is never seen or taken by another node's workers on the same Redis", async () => {
  const jobId = `sharing-${randomUUID()}`;
  await a.ctx.jobs.enqueue('media.transcode', { trackId: randomUUID() }, { jobId, attempts: 1 });
  // B runs workers for the media queue: give them time to take the job if they can see it.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await b.ctx.jobs.queue('media').getJob(jobId), undefined, "node B's queue holds node A's job");
  const job = await a.ctx.jobs.queue('media').getJob(jobId);
  assert.ok(job, "the job is in node A's queue");
  assert.equal(await job.getState(), 'waiting', 'nobody took it while node A had no worker');

  // A's own worker takes it (the track does not exist, so it completes or fails: either way, A ran it).
  a.ctx.jobs.startWorkers();
  const state = await waitFor('node A to run its job', async () => {
    const s = await a.ctx.jobs.queue('media').getJob(jobId).then((j) => j?.getState());
    return s === 'completed' || s === 'failed' ? s : undefined;
  });
  assert.ok(state);
  assert.equal(await b.ctx.jobs.queue('media').getJob(jobId), undefined);
});

test("keys in one node's key-value store are not another node's", async () => {
  await a.ctx.redis.set('sharing-probe', 'node A', 'EX', 60);
  assert.equal(await a.ctx.redis.get('sharing-probe'), 'node A');
  assert.equal(await b.ctx.redis.get('sharing-probe'), null);
});

test('the default prefix names the node (its id in its database), is stable, and an explicit REDIS_PREFIX wins', async () => {
  assert.match(a.ctx.jobs.prefix, /^9ten:[0-9a-f]{12}$/);
  assert.match(b.ctx.jobs.prefix, /^9ten:[0-9a-f]{12}$/);
  assert.notEqual(a.ctx.jobs.prefix, b.ctx.jobs.prefix);
  // A second process of node A (say, its worker) on the same database gets the same prefix.
  assert.equal(await resolveRedisPrefix({ redisPrefix: null }, a.ctx.db), a.ctx.jobs.prefix);
  assert.equal(await resolveRedisPrefix({ redisPrefix: 'radio-east' }, a.ctx.db), 'radio-east');
});

test('admins see counts per queue and the latest failed jobs with their error; others do not', async () => {
  // A real failure: paying out a month that was never closed.
  const jobId = await b.ctx.jobs.enqueue('money.payout', { month: '2001-01' }, { attempts: 1 });
  await waitFor('the payout job to fail', async () => (await b.ctx.jobs.queue('money').getJob(jobId!).then((j) => j?.getState())) === 'failed');

  const admin = await b.user('admin');
  const listener = await b.user('listener');
  assert.equal((await b.api('GET', '/api/v1/admin/jobs')).status, 401);
  const refused = await b.api('GET', '/api/v1/admin/jobs', { token: listener.token });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'forbidden');

  const res = await b.api('GET', '/api/v1/admin/jobs', { token: admin.token });
  assert.equal(res.status, 200);
  assert.equal(res.body.prefix, b.ctx.jobs.prefix);
  const money = res.body.queues.find((q: { name: string }) => q.name === 'money');
  assert.ok(money, 'the money queue is listed');
  assert.ok(money.counts.failed >= 1);
  assert.ok(res.body.queues.some((q: { name: string }) => q.name === 'media'), 'every queue is listed, busy or not');
  const failed = res.body.failed.find((f: { id: string }) => f.id === jobId);
  assert.ok(failed, 'the failed job is listed');
  assert.equal(failed.queue, 'money');
  assert.equal(failed.kind, 'money.payout');
  assert.match(failed.error, /2001-01 is not closed/);
  assert.equal(failed.attempts, 1);
  assert.ok(!Number.isNaN(Date.parse(failed.failedAt)));

  const limited = await b.api('GET', '/api/v1/admin/jobs?limit=1', { token: admin.token });
  assert.equal(limited.status, 200);
  assert.equal(limited.body.failed.length, 1);
  assert.equal((await b.api('GET', '/api/v1/admin/jobs?limit=0', { token: admin.token })).status, 400);
});
