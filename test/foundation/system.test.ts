import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'system' });
});
after(async () => {
  await node?.stop();
});

test('healthz reports database and Redis', async () => {
  const res = await node.api('GET', '/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.checks, { database: 'ok', redis: 'ok' });
});

test('metrics are in Prometheus text format', async () => {
  await node.api('GET', '/healthz');
  const res = await node.api('GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  assert.match(res.text, /# (HELP|TYPE) /);
});

test('unknown routes are problem+json 404s', async () => {
  const res = await node.api('GET', '/api/v1/nothing-here');
  assert.equal(res.status, 404);
  assert.equal(res.body.code, 'not_found');
});

test('migrations were applied and are recorded', async () => {
  const [rows] = await node.ctx.db.query('SELECT name FROM schema_migrations ORDER BY name');
  const names = (rows as { name: string }[]).map((r) => r.name);
  assert.ok(names.includes('0001-accounts'));
});
