// DisputeContract: deterministic three-node review across clusters, votes bound to organisations.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import { nodeUri as node, worldWithNodes, type World } from './world.js';

const NODES = [
  { name: 'one', cluster: 'eu', org: 'Org1MSP' },
  { name: 'two', cluster: 'eu', org: 'Org2MSP' },
  { name: 'four', cluster: 'eu', org: 'Org4MSP' },
  { name: 'six', cluster: 'eu', org: 'Org6MSP' },
  { name: 'three', cluster: 'us', org: 'Org3MSP' },
  { name: 'five', cluster: 'us', org: 'Org5MSP' },
];
const orgOf = (nodeId: string) => NODES.find((n) => node(n.name) === nodeId)!.org;

const setup = (which = NODES): Promise<World> => worldWithNodes(which);

/** The documented order: sha256(disputeId + nodeId) ascending. */
function ordered(disputeId: string, cluster: string, same: boolean, exclude: string): string[] {
  return NODES.filter((n) => (same ? n.cluster === cluster : n.cluster !== cluster))
    .map((n) => node(n.name))
    .filter((id) => id !== exclude)
    .sort((a, b) => {
      const ha = createHash('sha256').update(disputeId + a).digest('hex');
      const hb = createHash('sha256').update(disputeId + b).digest('hex');
      return ha < hb ? -1 : ha > hb ? 1 : 0;
    });
}

/** Open input for a dispute whose evidence is `label` (the ledger derives the id from the input). */
const openInput = (label: string) => ({
  nodeId: node('one'),
  month: '2026-10',
  subject: { type: 'reportRow', ref: `${node('one')}#2026-10-05#1` },
  amount: 120,
  evidenceHash: createHash('sha256').update(label).digest('hex'),
  deadlineDays: 7,
});

test('open assigns the reporting node, another node of its cluster and a node of another cluster, deterministically', async () => {
  for (const label of ['d-1', 'd-2', 'd-3']) {
    const w = await setup();
    const dispute = await w.submit('Org1MSP', 'DisputeContract:open', openInput(label));
    const disputeId: string = dispute.disputeId;
    assert.deepEqual(
      dispute.reviewers.map((r: { nodeId: string; role: string }) => [r.role, r.nodeId]),
      [
        ['reporting', node('one')],
        ['cluster', ordered(disputeId, 'eu', true, node('one'))[0]],
        ['other', ordered(disputeId, 'eu', false, '')[0]],
      ],
    );
    assert.equal(dispute.status, 'open');
    assert.equal(dispute.deadline, new Date(w.now + 7 * 86_400_000).toISOString());
    // the same input on another world yields the same assignment
    const again = await (await setup([...NODES].reverse())).submit('Org1MSP', 'DisputeContract:open', openInput(label));
    assert.deepEqual(again.reviewers.map((r: { nodeId: string }) => r.nodeId), dispute.reviewers.map((r: { nodeId: string }) => r.nodeId));
    const history = await w.invoke('Org1MSP', 'DisputeContract:history', [disputeId]);
    assert.deepEqual(history.map((s: { step: string }) => s.step), ['opened', 'assigned', 'assigned', 'assigned']);
    await assert.rejects(w.submit('Org1MSP', 'DisputeContract:open', openInput(label)), /already exists/);
  }
});

test('open refuses clearly with too few nodes, an unknown node or a caller other than the reporting node\'s organisation', async () => {
  const euOnly = await setup(NODES.filter((n) => n.cluster === 'eu'));
  await assert.rejects(euOnly.submit('Org1MSP', 'DisputeContract:open', openInput('d')), /too few nodes: no node outside cluster "eu"/);
  const alone = await setup(NODES.filter((n) => n.name === 'one' || n.cluster === 'us'));
  await assert.rejects(alone.submit('Org1MSP', 'DisputeContract:open', openInput('d')), /too few nodes: cluster "eu" has no other node/);
  const w = await setup();
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:open', { ...openInput('d'), nodeId: node('nine') }), /is not registered/);
  await assert.rejects(w.submit('Org9MSP', 'DisputeContract:open', openInput('d')), /caller organisation "Org9MSP" does not match node/);
  await assert.rejects(w.submit('Org2MSP', 'DisputeContract:open', openInput('d')), /caller organisation "Org2MSP" does not match node/);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:open', { ...openInput('d'), subject: { type: 'tip', ref: 'x' } }), /"type" must be one of reportRow, payout/);
});

test('votes: only assigned reviewers, only with their organisation, once each; two of three decide', async () => {
  const w = await setup();
  const dispute = await w.submit('Org1MSP', 'DisputeContract:open', openInput('d-vote'));
  const voteId: string = dispute.disputeId;
  const [reporting, cluster, other] = dispute.reviewers.map((r: { nodeId: string }) => r.nodeId);
  const outsider = NODES.map((n) => node(n.name)).find((id) => ![reporting, cluster, other].includes(id))!;
  const vote = (reviewer: string, decision: string, org = orgOf(reviewer)) =>
    w.submit(org, 'DisputeContract:vote', { disputeId: voteId, reviewer, decision, reason: `${decision} by ${reviewer}` });

  await assert.rejects(vote(outsider, 'void'), /is not an assigned reviewer/);
  await assert.rejects(vote(reporting, 'void', orgOf(other)), /caller organisation ".*" cannot vote for reviewer/);
  await assert.rejects(vote(reporting, 'maybe'), /"decision" must be one of release, void/);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:vote', { disputeId: 'nope', reviewer: reporting, decision: 'void' }), /does not exist/);

  const afterFirst = await vote(reporting, 'release');
  assert.equal(afterFirst.status, 'open');
  await assert.rejects(vote(reporting, 'void'), /already voted/);
  const afterSecond = await vote(cluster, 'void');
  assert.equal(afterSecond.status, 'open', 'one each way does not decide');
  const decided = await vote(other, 'release');
  assert.deepEqual({ status: decided.status, decision: decided.decision }, { status: 'decided', decision: 'release' });
  await assert.rejects(vote(other, 'release'), /already decided \(release\)/);

  const history = await w.invoke('Org3MSP', 'DisputeContract:history', [voteId]);
  assert.deepEqual(history.map((s: { step: string }) => s.step), ['opened', 'assigned', 'assigned', 'assigned', 'voted', 'voted', 'voted', 'decided']);
  assert.deepEqual(history.map((s: { seq: number }) => s.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(history[7].detail.votes.map((v: { decision: string }) => v.decision), ['release', 'void', 'release']);
  assert.equal(w.events.at(-1)!.name, 'DisputeDecided');
  assert.deepEqual(await w.invoke('Org3MSP', 'DisputeContract:get', [voteId]), decided);

  // two equal votes decide at once
  const fastId: string = (await w.submit('Org1MSP', 'DisputeContract:open', openInput('d-fast'))).disputeId;
  const fast = await w.invoke('Org1MSP', 'DisputeContract:get', [fastId]);
  const [r1, r2] = fast.reviewers.map((r: { nodeId: string }) => r.nodeId);
  await w.submit(orgOf(r1), 'DisputeContract:vote', { disputeId: fastId, reviewer: r1, decision: 'void', reason: '' });
  const done = await w.submit(orgOf(r2), 'DisputeContract:vote', { disputeId: fastId, reviewer: r2, decision: 'void', reason: '' });
  assert.deepEqual({ status: done.status, decision: done.decision }, { status: 'decided', decision: 'void' });
});

test('a reviewer who missed the deadline is replaced by the next node in the same order; the replaced one cannot vote', async () => {
  const w = await setup();
  const dispute = await w.submit('Org1MSP', 'DisputeContract:open', openInput('d-late'));
  const lateId: string = dispute.disputeId;
  const [reporting, cluster, other] = dispute.reviewers.map((r: { nodeId: string }) => r.nodeId);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:replaceReviewer', { disputeId: lateId, reviewer: other }), /has until .* to vote/);
  await w.submit(orgOf(reporting), 'DisputeContract:vote', { disputeId: lateId, reviewer: reporting, decision: 'void', reason: 'inflated' });

  w.now += 8 * 86_400_000;
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:replaceReviewer', { disputeId: lateId, reviewer: reporting }), /has voted and cannot be replaced/);
  const replaced = await w.submit('Org1MSP', 'DisputeContract:replaceReviewer', { disputeId: lateId, reviewer: other });
  const nextOther = ordered(lateId, 'eu', false, '')[1];
  assert.equal(replaced.reviewers[2].nodeId, nextOther);
  assert.equal(replaced.reviewers[2].role, 'other');
  assert.equal(replaced.reviewers[2].deadline, new Date(w.now + 7 * 86_400_000).toISOString());
  assert.deepEqual(replaced.replaced, [other]);
  await assert.rejects(w.submit(orgOf(other), 'DisputeContract:vote', { disputeId: lateId, reviewer: other, decision: 'release' }), /not an assigned reviewer/);

  // the cluster seat: its next node; once the cluster has no unused node left, replacement is refused clearly
  const c2 = await w.submit('Org1MSP', 'DisputeContract:replaceReviewer', { disputeId: lateId, reviewer: cluster });
  const eu = ordered(lateId, 'eu', true, node('one'));
  assert.equal(c2.reviewers[1].nodeId, eu[1]);
  w.now += 8 * 86_400_000;
  const c3 = await w.submit('Org1MSP', 'DisputeContract:replaceReviewer', { disputeId: lateId, reviewer: eu[1] });
  assert.equal(c3.reviewers[1].nodeId, eu[2]);
  w.now += 8 * 86_400_000;
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:replaceReviewer', { disputeId: lateId, reviewer: eu[2] }), /no unused node left/);

  const decided = await w.submit(orgOf(nextOther), 'DisputeContract:vote', { disputeId: lateId, reviewer: nextOther, decision: 'void', reason: 'agreed' });
  assert.equal(decided.decision, 'void');
  const steps = (await w.invoke('Org1MSP', 'DisputeContract:history', [lateId])).map((s: { step: string }) => s.step);
  assert.deepEqual(steps, ['opened', 'assigned', 'assigned', 'assigned', 'voted', 'replaced', 'assigned', 'replaced', 'assigned', 'replaced', 'assigned', 'voted', 'decided']);
});

test('recordApplied: only the reporting node\'s organisation, only when decided, with the decision taken, once; adds an applied step', async () => {
  const w = await setup();
  const dispute = await w.submit('Org1MSP', 'DisputeContract:open', openInput('d-apply'));
  const applyId: string = dispute.disputeId;
  const [reporting, cluster] = dispute.reviewers.map((r: { nodeId: string }) => r.nodeId);
  const applied = { disputeId: applyId, nodeId: node('one'), decision: 'void', amount: 120, holds: 2 };
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:recordApplied', applied), /is not decided yet/);
  await w.submit(orgOf(reporting), 'DisputeContract:vote', { disputeId: applyId, reviewer: reporting, decision: 'void', reason: '' });
  await w.submit(orgOf(cluster), 'DisputeContract:vote', { disputeId: applyId, reviewer: cluster, decision: 'void', reason: '' });

  await assert.rejects(w.submit('Org2MSP', 'DisputeContract:recordApplied', applied), /caller organisation "Org2MSP" does not match node/);
  await assert.rejects(w.submit('Org2MSP', 'DisputeContract:recordApplied', { ...applied, nodeId: node('two') }), /only the reporting node/);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:recordApplied', { ...applied, decision: 'release' }), /was decided "void", not "release"/);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:recordApplied', { ...applied, amount: -1 }), /"amount"/);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:recordApplied', { ...applied, disputeId: 'nope' }), /does not exist/);

  const recorded = await w.submit('Org1MSP', 'DisputeContract:recordApplied', applied);
  assert.equal(recorded.applied.amount, 120);
  assert.equal(recorded.applied.holds, 2);
  assert.equal(recorded.applied.decision, 'void');
  assert.equal(w.events.at(-1)!.name, 'DisputeApplied');
  const writes = w.writes.length;
  // the same record again (a retried submission) writes nothing; a different one is refused
  assert.deepEqual(await w.submit('Org1MSP', 'DisputeContract:recordApplied', applied), recorded);
  assert.equal(w.writes.length, writes);
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:recordApplied', { ...applied, amount: 90 }), /already recorded as applied/);
  const history = await w.invoke('Org3MSP', 'DisputeContract:history', [applyId]);
  assert.deepEqual(history.map((s: { step: string }) => s.step), ['opened', 'assigned', 'assigned', 'assigned', 'voted', 'voted', 'decided', 'applied']);
  assert.deepEqual(history.at(-1).detail, { nodeId: node('one'), decision: 'void', amount: 120, holds: 2 });
});

test('open with deadlineSeconds: reviewers get that many seconds, and so does a replacement', async () => {
  const w = await setup();
  const dispute = await w.submit('Org1MSP', 'DisputeContract:open', { ...openInput('d-quick'), deadlineSeconds: 90 });
  const quickId: string = dispute.disputeId;
  assert.equal(dispute.deadlineSeconds, 90);
  assert.equal(dispute.deadline, new Date(w.now + 90_000).toISOString());
  const other = dispute.reviewers[2].nodeId;
  await assert.rejects(w.submit('Org1MSP', 'DisputeContract:open', { ...openInput('d-bad'), deadlineSeconds: 0 }), /"deadlineSeconds"/);
  w.now += 91_000;
  const replaced = await w.submit('Org1MSP', 'DisputeContract:replaceReviewer', { disputeId: quickId, reviewer: other });
  assert.equal(replaced.reviewers[2].deadline, new Date(w.now + 90_000).toISOString());
  // without it, deadlineDays as before
  const plain = await w.submit('Org1MSP', 'DisputeContract:open', openInput('d-days'));
  assert.equal(plain.deadlineSeconds, undefined);
  assert.equal(plain.deadline, new Date(w.now + 7 * 86_400_000).toISOString());
});
