// DisputeContract: one organisation cannot capture a dispute. Only the reporting node's
// organisation opens it, the ledger derives its id from the inputs, the three seats always belong
// to three different organisations (also after a replacement), and a node id stays with the
// organisation that registered it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import { canonicalHash } from '../../shared/money/index.js';
import { nodeUri as node, worldWithNodes as setup, type NodeSpec as Spec } from './world.js';

// Org1 runs four nodes across both clusters; any order of candidates would put a second Org1
// node on a seat sooner or later if seats were picked by node alone.
const CROWDED: Spec[] = [
  { name: 'one', cluster: 'eu', org: 'Org1MSP' },
  { name: 'one-b', cluster: 'eu', org: 'Org1MSP' },
  { name: 'one-c', cluster: 'us', org: 'Org1MSP' },
  { name: 'one-d', cluster: 'us', org: 'Org1MSP' },
  { name: 'two', cluster: 'eu', org: 'Org2MSP' },
  { name: 'four', cluster: 'eu', org: 'Org4MSP' },
  { name: 'three', cluster: 'us', org: 'Org3MSP' },
  { name: 'five', cluster: 'us', org: 'Org5MSP' },
];
const orgOf = (nodeId: string) => CROWDED.find((n) => node(n.name) === nodeId)!.org;

const openInput = (evidence: string, extra: Record<string, unknown> = {}) => ({
  nodeId: node('one'),
  month: '2026-10',
  subject: { type: 'reportRow', ref: `2026-10:${node('one')}#artist` },
  amount: 120,
  evidenceHash: createHash('sha256').update(evidence).digest('hex'),
  deadlineDays: 7,
  ...extra,
});

/** The documented derivation: the canonical-JSON SHA-256 of the inputs, laid out as a version-8 UUID. */
function expectedId(input: ReturnType<typeof openInput>): string {
  const h = canonicalHash({ evidenceHash: input.evidenceHash, kind: '9ten/dispute', month: input.month, nodeId: input.nodeId, subject: input.subject });
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

test('open is refused unless the caller is the reporting node\'s organisation', async () => {
  const w = await setup(CROWDED);
  await assert.rejects(w.submit('Org2MSP', 'DisputeContract:open', openInput('a')), /open: caller organisation "Org2MSP" does not match node "https:\/\/one\.example\/actor"/);
  await assert.rejects(w.submit('Org9MSP', 'DisputeContract:open', openInput('a')), /caller organisation "Org9MSP" does not match node/);
  const opened = await w.submit('Org1MSP', 'DisputeContract:open', openInput('a'));
  assert.equal(opened.openedBy, 'Org1MSP');
});

test('the dispute id is derived by the ledger from the inputs; a caller cannot choose it', async () => {
  const w = await setup(CROWDED);
  await assert.rejects(
    w.submit('Org1MSP', 'DisputeContract:open', { ...openInput('b'), disputeId: 'chosen-by-me' }),
    /"disputeId" is derived by the ledger .* omit it/,
  );
  const input = openInput('b');
  const opened = await w.submit('Org1MSP', 'DisputeContract:open', input);
  assert.equal(opened.disputeId, expectedId(input));
  assert.ok(await w.invoke('Org2MSP', 'DisputeContract:get', [expectedId(input)]));
  // the same inputs are the same dispute, on any ledger; passing the derived id is accepted
  const again = await (await setup([...CROWDED].reverse())).submit('Org1MSP', 'DisputeContract:open', { ...input, disputeId: expectedId(input) });
  assert.equal(again.disputeId, opened.disputeId);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:open', input), /already exists/);
  // other evidence, another dispute
  const other = await w.submit('Org1MSP', 'DisputeContract:open', openInput('c'));
  assert.notEqual(other.disputeId, opened.disputeId);
});

test('the three seats always belong to three different organisations', async () => {
  const w = await setup(CROWDED);
  for (let i = 0; i < 24; i++) {
    const d = await w.submit('Org1MSP', 'DisputeContract:open', openInput(`e${i}`));
    const orgs = d.reviewers.map((r: { organisation: string }) => r.organisation);
    assert.equal(new Set(orgs).size, 3, `dispute ${i}: seats ${JSON.stringify(d.reviewers.map((r: { nodeId: string; organisation: string }) => [r.nodeId, r.organisation]))}`);
    assert.deepEqual(orgs, d.reviewers.map((r: { nodeId: string }) => orgOf(r.nodeId)));
    assert.equal(d.reviewers[0].nodeId, node('one'));
  }
});

test('fewer than three organisations to seat: open is refused clearly', async () => {
  // Org1 has a node in the other cluster, Org2 the only other node of the cluster: two organisations.
  const w = await setup([
    { name: 'one', cluster: 'eu', org: 'Org1MSP' },
    { name: 'two', cluster: 'eu', org: 'Org2MSP' },
    { name: 'one-c', cluster: 'us', org: 'Org1MSP' },
    { name: 'two-c', cluster: 'us', org: 'Org2MSP' },
  ]);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:open', openInput('f')), /too few organisations: no node outside cluster "eu" of an organisation other than Org1MSP, Org2MSP/);
  // and when the cluster has only the reporting organisation's nodes
  const w2 = await setup([
    { name: 'one', cluster: 'eu', org: 'Org1MSP' },
    { name: 'one-b', cluster: 'eu', org: 'Org1MSP' },
    { name: 'three', cluster: 'us', org: 'Org3MSP' },
  ]);
  await assert.rejects(w2.submit('Org1MSP', 'DisputeContract:open', openInput('f')), /too few organisations: cluster "eu" has no node of an organisation other than Org1MSP/);
});

test('a replacement never gives a seat to an organisation already seated; one organisation cannot reach two votes', async () => {
  const w = await setup(CROWDED);
  let replacements = 0;
  for (let i = 0; i < 8; i++) {
    const d = await w.submit('Org1MSP', 'DisputeContract:open', openInput(`r${i}`));
    w.now += 8 * 86_400_000;
    for (const seat of [2, 1, 0]) {
      const current = (await w.invoke('Org1MSP', 'DisputeContract:get', [d.disputeId])).reviewers[seat].nodeId;
      let after;
      try {
        after = await w.submit('Org1MSP', 'DisputeContract:replaceReviewer', { disputeId: d.disputeId, reviewer: current });
      } catch (err) {
        assert.match((err as Error).message, /no unused node left/);
        continue;
      }
      const orgs = after.reviewers.map((r: { organisation: string }) => r.organisation);
      assert.equal(new Set(orgs).size, 3, `dispute ${i}, seat ${seat}: ${JSON.stringify(orgs)}`);
      replacements += 1;
    }
  }
  assert.ok(replacements >= 8, `${replacements} replacements made`);
  // Org1 votes for its own seat; it cannot cast the vote of a seat held by another organisation.
  const d = await w.submit('Org1MSP', 'DisputeContract:open', openInput('v'));
  await w.submit('Org1MSP', 'DisputeContract:vote', { disputeId: d.disputeId, reviewer: node('one'), decision: 'release', reason: '' });
  for (const seat of d.reviewers.slice(1)) {
    await assert.rejects(
      w.submit('Org1MSP', 'DisputeContract:vote', { disputeId: d.disputeId, reviewer: seat.nodeId, decision: 'release', reason: '' }),
      /caller organisation "Org1MSP" cannot vote for reviewer/,
    );
  }
  assert.equal((await w.invoke('Org2MSP', 'DisputeContract:get', [d.disputeId])).status, 'open');
});

test('a node id stays with the organisation that registered it', async () => {
  const w = await setup(CROWDED);
  const join = (msp: string, organisation: string, nodeId = node('one')) =>
    w.submit(msp, 'NodeRegistryContract:join', { nodeId, actorUrl: nodeId, cluster: 'eu', organisation });
  // registering (or updating) a node in another organisation's name
  await assert.rejects(join('Org2MSP', 'Org1MSP'), /caller organisation "Org2MSP" cannot register a node of "Org1MSP"/);
  await assert.rejects(join('Org2MSP', 'Org1MSP', node('new')), /cannot register a node of "Org1MSP"/);
  // taking over another organisation's node id
  await assert.rejects(join('Org2MSP', 'Org2MSP'), /node "https:\/\/one\.example\/actor" belongs to "Org1MSP"/);
  assert.equal((await w.invoke('Org2MSP', 'NodeRegistryContract:get', [node('one')])).organisation, 'Org1MSP');
  // its own organisation updates it
  assert.equal((await join('Org1MSP', 'Org1MSP')).organisation, 'Org1MSP');
});
