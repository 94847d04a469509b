// The Redis lease (server/jobs/lease.ts) against the test Redis: one holder at a time, renewed
// by asking, lapsing when the holder stops asking, given back on release.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisLease } from '../../server/jobs/lease.js';
import { testRedisUrl } from '../helpers/node.js';

const redis = new Redis(testRedisUrl, { keyPrefix: `t9:lease-${randomUUID()}:` });
after(() => redis.quit());

test('one holder at a time; renewed while asked; lapses when not; released for the next', async () => {
  const key = 'front-log:/var/log/nginx/9ten-segments.log';
  const a = redisLease(redis, key, 400);
  const b = redisLease(redis, key, 400);
  assert.equal(await a.held(), true);
  assert.equal(await b.held(), false, 'taken by a');
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await a.held(), true, 'a renews by asking');
    assert.equal(await b.held(), false);
  }
  await new Promise((r) => setTimeout(r, 600)); // a stops asking: it lapses
  assert.equal(await b.held(), true);
  assert.equal(await a.held(), false);
  await a.release(); // not the holder: changes nothing
  assert.equal(await b.held(), true);
  await b.release();
  assert.equal(await a.held(), true, 'released: the next one takes it at once');
  await a.release();
});
