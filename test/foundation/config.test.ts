import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError, fromEnvironment } from '../../server/config/index.js';

test('defaults load and validate', () => {
  const c = loadConfig({ ignoreEnv: true });
  assert.equal(c.port, 9010);
  assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(c.databaseUrl, null);
  assert.equal(c.money.subscriptionAmount, 1000);
  assert.ok(c.dataDir.startsWith('/'), 'data dir is made absolute');
});

test('operator environment variables override the defaults', () => {
  const c = loadConfig({
    env: {
      PORT: '8123',
      PUBLIC_URL: 'https://music.example.org/',
      DATA_DIR: '/srv/9ten',
      DATABASE_URL: 'postgres://u:p@db/nineten',
      REDIS_URL: 'redis://cache:6380',
      NODE_ROLE: 'worker',
      MEDIA_FRONT_ACCESS_LOG: '/var/log/nginx/9ten-segments.log',
      MEDIA_SEED: 'false',
    },
  });
  assert.equal(c.media.frontAccessLog, '/var/log/nginx/9ten-segments.log');
  assert.equal(c.media.seed, false);
  assert.equal(c.media.segmentSeconds, 4, 'the other media settings keep their defaults');
  assert.equal(c.port, 8123);
  assert.equal(c.publicUrl, 'https://music.example.org', 'trailing slash removed');
  assert.equal(c.dataDir, '/srv/9ten');
  assert.equal(c.databaseUrl, 'postgres://u:p@db/nineten');
  assert.equal(c.redisUrl, 'redis://cache:6380');
  assert.equal(c.role, 'worker');
});

test('wrong values are refused with messages naming each problem', () => {
  assert.throws(
    () => loadConfig({ env: { PORT: 'eighty', PUBLIC_URL: 'not a url', REDIS_URL: 'http://x', NODE_ROLE: 'boss' } }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const text = err.message;
      assert.match(text, /PORT: expected a whole number, got "eighty"/);
      assert.match(text, /publicUrl/);
      assert.match(text, /redisUrl: must be a redis:\/\/ URL/);
      assert.match(text, /role/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ ignoreEnv: true, overrides: { money: { nodeFeeAmount: 2000 } } }), /nodeFeeAmount cannot exceed/);
  assert.throws(() => loadConfig({ ignoreEnv: true, overrides: { money: { currency: 'usd' } } }), /currency/);
  assert.throws(() => loadConfig({ env: { MEDIA_FRONT_ACCESS_LOG: 'logs/segments.log' } }), /frontAccessLog: must be an absolute path/);
});

test('PORT without PUBLIC_URL moves the public URL to that port', () => {
  const c = loadConfig({ env: { PORT: '9555' } });
  assert.equal(c.publicUrl, 'http://localhost:9555');
});

test('unset environment leaves the file values alone', () => {
  assert.deepEqual(fromEnvironment({}), {});
});
