// Pseudonyms: stable within a month, different across months and nodes, not the id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select } from '../../server/db/index.js';
import { listeningService } from '../../server/listening/index.js';
import { Pseudonyms } from '../../server/listening/pseudonyms.js';

let node: TestNode;
let other: TestNode;
before(async () => {
  node = await startTestNode({ name: 'listenpsa' });
  other = await startTestNode({ name: 'listenpsb' });
});
after(async () => {
  await node?.stop();
  await other?.stop();
});

test('a pseudonym is stable within a month and differs across months', async () => {
  const svc = listeningService(node.ctx);
  const { user } = await node.user('listener');
  const a = await svc.pseudonym(user.id, '2026-03');
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(await svc.pseudonym(user.id, '2026-03'), a);
  // Also from a fresh instance reading the stored secret (another process of the node).
  assert.equal(await new Pseudonyms(node.ctx.db).pseudonym(user.id, '2026-03'), a);
  const b = await svc.pseudonym(user.id, '2026-04');
  assert.notEqual(a, b);
  const { user: u2 } = await node.user('listener');
  assert.notEqual(await svc.pseudonym(u2.id, '2026-03'), a);
  await assert.rejects(svc.pseudonym(user.id, '2026-13'));
});

test('a pseudonym does not reveal the account id', async () => {
  const svc = listeningService(node.ctx);
  const { user } = await node.user('listener');
  const p = await svc.pseudonym(user.id, '2026-05');
  assert.ok(!p.includes(user.id.replace(/-/g, '')));
  // Not a plain or unkeyed hash anyone could recompute from the id.
  for (const guess of [user.id, `user:${user.id}`]) {
    assert.notEqual(p, createHash('sha256').update(guess).digest('hex'));
    assert.notEqual(p, createHmac('sha256', '').update(guess).digest('hex'));
    assert.notEqual(p, createHmac('sha256', '2026-05').update(guess).digest('hex'));
  }
  // Each month has its own random secret, stored once.
  const secrets = await select<{ month: string; secret: Buffer }>(node.ctx.db, "SELECT month, secret FROM pseudonym_secrets WHERE month IN ('2026-05', '2026-03')");
  assert.equal(secrets.length, 2);
  assert.equal(Buffer.from(secrets[0].secret).length, 32);
  assert.notDeepEqual(Buffer.from(secrets[0].secret), Buffer.from(secrets[1].secret));
  // Another node's pseudonym for the same id and month differs.
  assert.notEqual(await listeningService(other.ctx).pseudonym(user.id, '2026-05'), p);
});
