// NodeRegistryContract and SubscriptionContract on a sinon-stubbed ChaincodeStub (see world.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ORG1, ORG2, World } from './world.js';

const N1 = 'https://one.example/actor';
const N2 = 'https://two.example/actor';

test('join registers a node, re-join updates it, list and listByCluster read the registry', async () => {
  const w = new World();
  const joined = await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 });
  assert.deepEqual(
    { nodeId: joined.nodeId, cluster: joined.cluster, organisation: joined.organisation, txId: joined.txId },
    { nodeId: N1, cluster: 'eu', organisation: ORG1, txId: 'tx0001' },
  );
  await w.submit(ORG2, 'NodeRegistryContract:join', { nodeId: N2, actorUrl: N2, cluster: 'eu', organisation: ORG2 });
  assert.deepEqual((await w.invoke(ORG1, 'NodeRegistryContract:list', [])).map((n: { nodeId: string }) => n.nodeId), [N1, N2]);
  assert.equal((await w.invoke(ORG1, 'NodeRegistryContract:listByCluster', ['eu'])).length, 2);

  w.now += 86_400_000;
  const moved = await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: 'https://one.example/new-actor', cluster: 'us', organisation: ORG1 });
  assert.equal(moved.actorUrl, 'https://one.example/new-actor');
  assert.equal(moved.joinedAt, joined.joinedAt);
  assert.notEqual(moved.updatedAt, joined.updatedAt);
  assert.deepEqual((await w.invoke(ORG1, 'NodeRegistryContract:listByCluster', ['eu'])).map((n: { nodeId: string }) => n.nodeId), [N2]);
  assert.deepEqual((await w.invoke(ORG1, 'NodeRegistryContract:listByCluster', ['us'])).map((n: { nodeId: string }) => n.nodeId), [N1]);
  assert.equal((await w.invoke(ORG2, 'NodeRegistryContract:get', [N1])).cluster, 'us');
  assert.equal(await w.invoke(ORG2, 'NodeRegistryContract:get', ['https://nobody.example/actor']), null);
  assert.deepEqual(w.events.map((e) => e.name), ['NodeJoined', 'NodeJoined', 'NodeJoined']);
});

test('join refuses a caller of another organisation, an organisation change and bad input', async () => {
  const w = new World();
  await assert.rejects(w.submit(ORG2, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 }), /caller organisation "Org2MSP" cannot register/);
  await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 });
  await assert.rejects(w.submit(ORG2, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG2 }), /belongs to "Org1MSP"/);
  await assert.rejects(w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, cluster: 'eu', organisation: ORG1 }), /"actorUrl" must be a non-empty string/);
  await assert.rejects(w.invoke(ORG1, 'NodeRegistryContract:join', ['{not json']), /not valid JSON/);
  assert.equal((await w.invoke(ORG1, 'NodeRegistryContract:get', [N1])).organisation, ORG1);
});

test('subscriptions: record, idempotent re-record, conflicting terms refused, cancel, listForMonth', async () => {
  const w = new World();
  await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 });
  const sub = { nodeId: N1, month: '2026-10', pseudonym: 'p-b', amount: 1000, currency: 'USD', kind: 'new' };
  const first = await w.submit(ORG1, 'SubscriptionContract:record', sub);
  assert.equal(first.status, 'active');
  const writesBefore = w.writes.length;
  assert.deepEqual(await w.submit(ORG1, 'SubscriptionContract:record', sub), first);
  assert.equal(w.writes.length, writesBefore, 'an identical re-record writes nothing');
  await assert.rejects(w.submit(ORG1, 'SubscriptionContract:record', { ...sub, amount: 500 }), /different terms/);
  await w.submit(ORG1, 'SubscriptionContract:record', { ...sub, pseudonym: 'p-a', kind: 'renewal' });

  const cancelled = await w.submit(ORG1, 'SubscriptionContract:cancel', { nodeId: N1, month: '2026-10', pseudonym: 'p-b' });
  assert.equal(cancelled.status, 'cancelled');
  const list = await w.invoke(ORG1, 'SubscriptionContract:listForMonth', [N1, '2026-10']);
  assert.deepEqual(list.map((s: { pseudonym: string; status: string }) => [s.pseudonym, s.status]), [['p-a', 'active'], ['p-b', 'cancelled']]);
  assert.deepEqual(await w.invoke(ORG1, 'SubscriptionContract:listForMonth', [N1, '2026-11']), []);
  // a cancelled subscription can be recorded again (the listener re-subscribed)
  assert.equal((await w.submit(ORG1, 'SubscriptionContract:record', sub)).status, 'active');
});

test('subscriptions: unregistered node, foreign caller, bad month, bad amount and unknown cancel are refused', async () => {
  const w = new World();
  const sub = { nodeId: N1, month: '2026-10', pseudonym: 'p', amount: 1000, currency: 'USD', kind: 'new' };
  await assert.rejects(w.submit(ORG1, 'SubscriptionContract:record', sub), /is not registered/);
  await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 });
  await assert.rejects(w.submit(ORG2, 'SubscriptionContract:record', sub), /does not match node/);
  await assert.rejects(w.submit(ORG1, 'SubscriptionContract:record', { ...sub, month: '2026-13' }), /must be YYYY-MM/);
  await assert.rejects(w.submit(ORG1, 'SubscriptionContract:record', { ...sub, amount: 9.5 }), /"amount" must be an integer/);
  await assert.rejects(w.submit(ORG1, 'SubscriptionContract:record', { ...sub, kind: 'gift' }), /"kind" must be one of new, renewal/);
  await assert.rejects(w.submit(ORG1, 'SubscriptionContract:cancel', { nodeId: N1, month: '2026-10', pseudonym: 'p' }), /no subscription/);
  assert.equal(w.state.size, 2, 'only the node and its cluster index were written');
});
