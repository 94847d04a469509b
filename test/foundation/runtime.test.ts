// The fresh-machine paths of `npm start`: an embedded PostgreSQL, and a Redis of our own
// (or a clear message when there is no redis-server binary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, freePort } from '../../server/db/embedded.js';
import { ensureRedis, redisAnswers, RedisUnavailableError, redisServerBinary } from '../../server/jobs/local-redis.js';
import { createLogger } from '../../server/logger.js';

const logger = createLogger('silent', 'runtime-test');

test('embedded PostgreSQL initialises in the data folder, serves SQL, and restarts on the same data', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), '9ten-embedded-'));
  try {
    let db = await startEmbeddedPostgres(dir, logger);
    let client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await client.end();
    await db.stop();
    assert.ok(existsSync(path.join(dir, 'db/postgres/PG_VERSION')), 'cluster lives under DATA_DIR/db');

    db = await startEmbeddedPostgres(dir, logger);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query('SELECT v FROM kept');
    await client.end();
    await db.stop();
    assert.deepEqual(rows, [{ v: 42 }], 'data survives a restart');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with no Redis answering, a local redis-server is started when the binary exists', { skip: !redisServerBinary() && 'no redis-server binary on this machine' }, async () => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), '9ten-redis-'));
  const local = await ensureRedis(url, dir, logger);
  try {
    assert.ok(local.process, 'a process of our own was started');
    assert.equal(await redisAnswers(url), true);
  } finally {
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with no Redis and no binary, start stops with a message saying how to install one', async () => {
  const port = await freePort();
  await assert.rejects(
    ensureRedis(`redis://127.0.0.1:${port}`, os.tmpdir(), logger, { PATH: '/nonexistent' }),
    (err: unknown) => err instanceof RedisUnavailableError && /apt-get install redis-server/.test((err as Error).message),
  );
});
