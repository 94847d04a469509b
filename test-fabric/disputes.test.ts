// A dispute on the real Fabric network: three nodes of three organisations (Org1 and Org2 with
// their own peers, Org3 through Org1's gateway) in two clusters. Held listening on the first
// node is closed into the ledger, the held money opens a dispute the chaincode seats across
// the three organisations, the reviewers learn of it by a Flag, two of them vote through their
// own organisation's identity, and the reporting node applies the outcome to its books.
// Expects a network with no other nodes registered (the runner starts one per file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testNetwork, unique } from './helpers.js';
import { ledgerService } from '../server/ledger/index.js';
import { select } from '../server/db/index.js';
import { assertBalanced, closeMonth, disputes, flagArrives, heldListening, nodeId, startNet, waitFor, walletOf, type Net } from '../test/disputes/helpers.js';
import type { TestNode } from '../test/helpers/node.js';

let net: Net;
let a1: TestNode;
let a2: TestNode;
let b1: TestNode;
const admins = new Map<TestNode, string>();
let artist: { id: string; token: string };
let artistUri: string;

before(async () => {
  const network = await testNetwork();
  const [a, b] = [unique('a'), unique('b')];
  net = await startNet(
    [
      { name: 'fab-dsp-a1', cluster: a, organisation: 'Org1MSP' },
      { name: 'fab-dsp-a2', cluster: a, organisation: 'Org2MSP' },
      { name: 'fab-dsp-b1', cluster: b, organisation: 'Org3MSP' },
    ],
    (spec) => ({ engine: 'fabric', mspId: spec.organisation, fabric: network.profile(spec.organisation).ledger.fabric }),
  );
  [a1, a2, b1] = net.nodes;
  for (const n of net.nodes) admins.set(n, (await n.user('admin')).token);
  const art = await a1.user('artist');
  artist = { id: art.user.id, token: art.token };
  artistUri = `${a1.url}/ap/channels/band`;
  const listeners = [];
  for (let i = 0; i < 2; i++) {
    const l = await a1.user('listener');
    listeners.push({ id: l.user.id, token: l.token });
  }
  await heldListening(a1, { channelName: 'band', artistUserId: artist.id, listeners });
  await closeMonth(a1, { [artistUri]: artist.id });
  await assertBalanced(a1);
});

after(async () => {
  await net?.stop();
});

test('held money opens a dispute seated across three organisations; two votes from two organisations decide; the money is released', async () => {
  assert.equal(ledgerService(a1.ctx).engine, 'fabric');
  const sweep = await disputes(a1).tick();
  assert.equal(sweep.opened, 1);
  await a1.waitJobs();
  const [row] = await select<{ id: string; status: string; amount: string }>(a1.ctx.db, 'SELECT id, status, amount FROM disputes');
  assert.equal(row.status, 'open');
  assert.equal(Number(row.amount), 600);
  const opened = row.id;
  const rec = await waitFor('the ledger record', () => disputes(a1).ledgerRecord(opened));
  assert.deepEqual(rec.reviewers.map((r) => [r.role, r.nodeId, r.organisation]), [
    ['reporting', nodeId(a1), 'Org1MSP'],
    ['cluster', nodeId(a2), 'Org2MSP'],
    ['other', nodeId(b1), 'Org3MSP'],
  ]);

  for (const reviewer of [a2, b1]) await flagArrives(a1, reviewer, opened);

  // A vote for another organisation's seat is refused by the chaincode on Fabric.
  await assert.rejects(
    ledgerService(a2.ctx).submit('DisputeContract:vote', [JSON.stringify({ disputeId: opened, reviewer: nodeId(b1), decision: 'void', reason: 'forged' })]),
    /cannot vote for reviewer/,
  );

  const artistBefore = await walletOf(a1, artist.id);
  for (const [reviewer, reason] of [[a2, 'segments served at a listening pace'], [b1, 'timings consistent with a person']] as const) {
    const v = await reviewer.api('POST', `/api/v1/admin/disputes/${opened}/vote`, { token: admins.get(reviewer), body: { decision: 'release', reason } });
    assert.equal(v.status, 200, v.text);
  }
  const decided = await waitFor('the decision', async () => {
    const r = await disputes(a1).ledgerRecord(opened);
    return r?.status === 'decided' ? r : undefined;
  });
  assert.equal(decided.decision, 'release');
  assert.deepEqual(decided.reviewers.filter((r) => r.vote).map((r) => r.organisation).sort(), ['Org2MSP', 'Org3MSP']);

  await a1.ctx.jobs.enqueue('disputes.tick', {});
  await a1.waitJobs();
  const applied = await waitFor('the outcome applied', async () => {
    await disputes(a1).tick(opened);
    const d = await a1.api('GET', `/api/v1/disputes/${opened}`, { token: admins.get(a1) });
    return d.body.status === 'applied' ? d.body : undefined;
  });
  assert.equal(applied.decision, 'release');
  assert.equal((await walletOf(a1, artist.id)) - artistBefore, 600);
  await assertBalanced(a1);
  const steps = applied.history.map((s: { step: string }) => s.step);
  assert.deepEqual(steps.slice(0, 7), ['opened', 'assigned', 'assigned', 'assigned', 'voted', 'voted', 'decided']);
});
