// "Three eyes": real nodes on loopback in two clusters share one ledger. A dispute opened
// on one node is assigned by the ledger's DisputeContract, announced to the reviewer nodes
// with a Flag, voted on by their admins, decided two of three, and applied to the books.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { ledgerService } from '../../server/ledger/index.js';
import { listeningService } from '../../server/listening/index.js';
import { select } from '../../server/db/index.js';
import { assertBalanced, closeMonth, disputes, flagArrives, flagsSent, heldListening, nodeId, startNet, thisMonth, waitFor, walletOf, type Net } from './helpers.js';

let net: Net;
let a1: TestNode; // cluster a: the reporting node
let a2: TestNode; // cluster a
let b1: TestNode; // cluster b
let b2: TestNode; // cluster b (a spare: the replacement, or the node that is not assigned)
const admins = new Map<TestNode, string>();
let artist: { id: string; token: string };
let artistUri: string;
let listeners: { id: string; token: string }[];
let firstDispute: string;
// A listener of another channel whose held share stays under the automatic threshold.
let third: { id: string; token: string };
let duoArtist: { id: string };

before(async () => {
  net = await startNet([
    { name: 'dsp-a1', cluster: 'a', organisation: 'OrgA1' },
    { name: 'dsp-a2', cluster: 'a', organisation: 'OrgA2' },
    { name: 'dsp-b1', cluster: 'b', organisation: 'OrgB1' },
    { name: 'dsp-b2', cluster: 'b', organisation: 'OrgB2' },
  ]);
  [a1, a2, b1, b2] = net.nodes;
  for (const n of net.nodes) admins.set(n, (await n.user('admin')).token);
  const art = await a1.user('artist');
  artist = { id: art.user.id, token: art.token };
  artistUri = `${a1.url}/ap/channels/band`;
  listeners = [];
  for (let i = 0; i < 2; i++) {
    const l = await a1.user('listener');
    listeners.push({ id: l.user.id, token: l.token });
  }
  await heldListening(a1, { channelName: 'band', artistUserId: artist.id, listeners });
  const l3 = await a1.user('listener');
  third = { id: l3.user.id, token: l3.token };
  duoArtist = { id: (await a1.user('artist')).user.id };
  await heldListening(a1, { channelName: 'duo', artistUserId: duoArtist.id, listeners: [third] });
  await closeMonth(a1, { [artistUri]: artist.id, [`${a1.url}/ap/channels/duo`]: duoArtist.id });
  await assertBalanced(a1);
});

after(async () => {
  await net?.stop();
});

/** Who sits where on the ledger for a dispute. */
async function seats(disputeId: string) {
  const rec = await disputes(a1).ledgerRecord(disputeId);
  assert.ok(rec, 'the dispute is on the ledger');
  return rec;
}

const byId = (id: string) => net.nodes.find((n) => nodeId(n) === id)!;

test('held money over the threshold opens a dispute; the ledger assigns three reviewers across both clusters', async () => {
  const sweep = await disputes(a1).tick();
  assert.equal(sweep.opened, 1);
  await a1.waitJobs();
  const [row] = await select<{ id: string; status: string; amount: string; artist: string; opened_by: string; evidence: any }>(a1.ctx.db, 'SELECT * FROM disputes');
  firstDispute = row.id;
  assert.equal(row.opened_by, 'auto');
  assert.equal(row.artist, artistUri);
  assert.equal(row.status, 'open');
  assert.equal(Number(row.amount), 600, "two listeners, each with a third of their 900 held (40 of 120 s)");

  // Anonymized evidence: pseudonyms, served segments, timings; no account ids or addresses.
  const text = JSON.stringify(row.evidence);
  for (const l of listeners) assert.ok(!text.includes(l.id), 'no listener account id leaves the node');
  assert.ok(!text.includes('10.0.0.1') && !text.includes('test-agent'), 'no address or user agent');
  assert.equal(row.evidence.rows.length, 2);
  for (const r of row.evidence.rows) {
    assert.match(r.pseudonym, /^[0-9a-f]{64}$/);
    assert.equal(r.heldAmount, 300);
    assert.equal(r.listens.length, 1);
    assert.deepEqual(r.listens[0].rules, ['plays_per_track_per_day']);
    assert.equal(r.listens[0].segmentsServed, 10);
    assert.equal(typeof r.listens[0].lastServedAfterSeconds, 'number');
  }

  const rec = await seats(firstDispute);
  assert.equal(rec.status, 'open');
  assert.equal(rec.amount, 600);
  assert.equal(rec.evidenceHash.length, 64);
  assert.deepEqual(rec.reviewers.map((r) => r.role), ['reporting', 'cluster', 'other']);
  assert.equal(rec.reviewers[0].nodeId, nodeId(a1));
  assert.equal(rec.reviewers[1].nodeId, nodeId(a2));
  assert.ok([nodeId(b1), nodeId(b2)].includes(rec.reviewers[2].nodeId));

  // A second sweep opens nothing more for the same held money, nor can the artist.
  assert.equal((await disputes(a1).tick()).opened, 0);
  const contest = await a1.api('POST', '/api/v1/disputes', { token: artist.token, body: { month: thisMonth(), reason: 'My payout is too low' } });
  assert.equal(contest.status, 409, contest.text);
  assert.equal(contest.body.code, 'already_disputed');
  assert.equal(contest.body.disputeId, firstDispute);
  const auditor = await a1.user('auditor');
  assert.equal((await a1.api('POST', '/api/v1/disputes', { token: auditor.token, body: { month: thisMonth() } })).status, 403);
});

test('reviewer nodes get a Flag from the reporting node and see the case in their review queue', async () => {
  const rec = await seats(firstDispute);
  const other = byId(rec.reviewers[2].nodeId);
  for (const reviewer of [a2, other]) {
    await flagArrives(a1, reviewer, firstDispute);
    const q = await reviewer.api('GET', '/api/v1/admin/disputes/reviews', { token: admins.get(reviewer) });
    assert.equal(q.status, 200, q.text);
    const item = q.body.items.find((i: { id: string }) => i.id === firstDispute);
    assert.ok(item, `${reviewer.name} lists the dispute`);
    assert.equal(item.role, 'reviewer');
    assert.equal(item.amount, 600);
    assert.equal(item.reportingNode, nodeId(a1));
    assert.ok(Date.parse(item.deadline) > Date.now() + 6 * 86_400_000, 'a deadline about a week away');
    assert.equal(item.evidence.rows.length, 2);
  }
  // The Flag really went out from a1's instance actor: what federation queued and signs.
  const flags = await select<{ actor_uri: string; body: any }>(a1.ctx.db, "SELECT actor_uri, body FROM federation_outbox WHERE type = 'Flag'");
  assert.equal(flags.length, 2);
  assert.equal(flagsSent(a1).length, 2, 'sent through federation’s contract');
  for (const f of flags) {
    assert.equal(f.actor_uri, nodeId(a1));
    assert.equal(f.body.actor, nodeId(a1));
    assert.equal(f.body.object, `${a1.url}/ap/disputes/${firstDispute}`);
    assert.equal(f.body.disputeRef.evidenceHash, rec.evidenceHash);
  }
  // Listeners cannot see the queue.
  const denied = await a2.api('GET', '/api/v1/admin/disputes/reviews', { token: (await a2.user('listener')).token });
  assert.equal(denied.status, 403);
});

test('a Flag not from the reporting node, or with evidence that does not match the ledger, is refused', async () => {
  const sent = flagsSent(a1).find((f) => f.to === nodeId(a2))!;
  await assert.rejects(disputes(a2).receiveFlag(sent.body, nodeId(b1)), { code: 'forbidden' });
  const tampered = structuredClone(sent.body);
  tampered.disputeRef.evidence.rows[0].heldAmount = 1;
  await assert.rejects(disputes(a2).receiveFlag(tampered, nodeId(a1)), { code: 'evidence_mismatch' });
});

test('two of three decide: votes are signed by each node, once; others and forgeries are refused; the money is released', async () => {
  const rec = await seats(firstDispute);
  const other = byId(rec.reviewers[2].nodeId);
  const outsider = other === b1 ? b2 : b1;
  const artistBefore = await walletOf(a1, artist.id);

  const v1 = await a2.api('POST', `/api/v1/admin/disputes/${firstDispute}/vote`, { token: admins.get(a2), body: { decision: 'release', reason: 'Repeat plays were real: segments served at normal pace' } });
  assert.equal(v1.status, 200, v1.text);
  assert.equal(v1.body.status, 'recorded');

  // Voting twice: refused by the node, and by the contract when submitted directly.
  const twice = await a2.api('POST', `/api/v1/admin/disputes/${firstDispute}/vote`, { token: admins.get(a2), body: { decision: 'void', reason: 'changed my mind' } });
  assert.equal(twice.status, 409);
  assert.equal(twice.body.code, 'already_voted');
  await assert.rejects(
    ledgerService(a2.ctx).submit('DisputeContract:vote', [JSON.stringify({ disputeId: firstDispute, reviewer: nodeId(a2), decision: 'void', reason: 'again' })]),
    /already voted/,
  );
  // A node that is not assigned: nothing to vote on here, and the contract refuses it too.
  const notAssigned = await outsider.api('POST', `/api/v1/admin/disputes/${firstDispute}/vote`, { token: admins.get(outsider), body: { decision: 'void', reason: 'not mine to judge' } });
  assert.equal(notAssigned.status, 404);
  await assert.rejects(
    ledgerService(outsider.ctx).submit('DisputeContract:vote', [JSON.stringify({ disputeId: firstDispute, reviewer: nodeId(outsider), decision: 'void', reason: 'x' })]),
    /not an assigned reviewer/,
  );
  // Forging another node's vote: the outsider's identity naming the assigned reviewer.
  await assert.rejects(
    ledgerService(outsider.ctx).submit('DisputeContract:vote', [JSON.stringify({ disputeId: firstDispute, reviewer: nodeId(other), decision: 'void', reason: 'forged' })]),
    /cannot vote for reviewer/,
  );
  assert.equal((await seats(firstDispute)).status, 'open', 'one vote decides nothing');

  const v2 = await other.api('POST', `/api/v1/admin/disputes/${firstDispute}/vote`, { token: admins.get(other), body: { decision: 'release', reason: 'Timings consistent with a person listening' } });
  assert.equal(v2.status, 200, v2.text);
  const decided = await seats(firstDispute);
  assert.equal(decided.status, 'decided');
  assert.equal(decided.decision, 'release');
  // Reviewer nodes follow the outcome from the ledger on their own sweep.
  await disputes(a2).tick();
  const onReviewer = await a2.api('GET', `/api/v1/disputes/${firstDispute}`, { token: admins.get(a2) });
  assert.equal(onReviewer.body.status, 'decided');
  assert.equal(onReviewer.body.myReview.vote.decision, 'release');

  // The reporting node's worker sweep applies the outcome: held shares go to the artist, once.
  await a1.ctx.jobs.enqueue('disputes.tick', {});
  await a1.waitJobs();
  await disputes(a1).tick(firstDispute); // a second run moves nothing more
  const d = await a1.api('GET', `/api/v1/disputes/${firstDispute}`, { token: admins.get(a1) });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.body.status, 'applied');
  assert.equal(d.body.decision, 'release');
  assert.deepEqual(d.body.holds.map((h: { status: string }) => h.status), ['released', 'released']);
  assert.equal((await walletOf(a1, artist.id)) - artistBefore, 600);
  const listening = listeningService(a1.ctx);
  const held = (await Promise.all(listeners.map((x) => listening.myListening(x.id, thisMonth())))).flatMap((m) => m.listens.filter((l) => l.status !== 'counted'));
  assert.deepEqual(held, [], 'the held listens count after all');
  await assertBalanced(a1);

  // Every step is on the ledger, visible to auditors.
  const steps = d.body.history.map((s: { step: string }) => s.step);
  assert.deepEqual(steps.slice(0, 7), ['opened', 'assigned', 'assigned', 'assigned', 'voted', 'voted', 'decided']);
  const auditor = await a1.user('auditor');
  const seen = await a1.api('GET', `/api/v1/disputes/${firstDispute}`, { token: auditor.token });
  assert.equal(seen.status, 200);
  assert.equal(seen.body.history.length, d.body.history.length);
});

test('the parties see status and outcome, without the evidence', async () => {
  for (const token of [listeners[0].token, artist.token]) {
    const mine = await a1.api('GET', '/api/v1/me/disputes', { token });
    assert.equal(mine.status, 200);
    const item = mine.body.items.find((i: { id: string }) => i.id === firstDispute);
    assert.ok(item);
    assert.equal(item.status, 'applied');
    assert.equal(item.decision, 'release');
    const one = await a1.api('GET', `/api/v1/disputes/${firstDispute}`, { token });
    assert.equal(one.status, 200);
    assert.equal(one.body.evidence, undefined);
  }
  const stranger = await a1.user('listener');
  assert.equal((await a1.api('GET', `/api/v1/disputes/${firstDispute}`, { token: stranger.token })).status, 404);
});

test('a listener asks where their money went; a reviewer that stays offline past the deadline is replaced; void refunds', async () => {
  const l = { user: { id: third.id }, token: third.token };
  const opened = await a1.api('POST', '/api/v1/disputes', { token: l.token, body: { month: thisMonth(), reason: 'Why is half of my money held?' } });
  assert.equal(opened.status, 201, opened.text);
  const id = opened.body.id as string;
  assert.equal(opened.body.subject.type, 'reportRow');
  assert.equal(opened.body.amount, 300);
  assert.equal(opened.body.evidence.allocation.length, 1);
  await a1.waitJobs();
  const rec = await seats(id);
  const late = byId(rec.reviewers[2].nodeId);
  const spare = late === b1 ? b2 : b1;
  await flagArrives(a1, a2, id);
  const walletBefore = await walletOf(a1, l.user.id);

  const v = await a2.api('POST', `/api/v1/admin/disputes/${id}/vote`, { token: admins.get(a2), body: { decision: 'void', reason: 'One account replaying a track' } });
  assert.equal(v.status, 200, v.text);

  // Before the deadline nothing is replaced.
  await disputes(a1).tick(id);
  assert.equal((await seats(id)).reviewers[2].nodeId, nodeId(late));

  // The late reviewer goes offline; eight days pass (the process clock moves; the ledger's
  // transaction time comes from it, so the contract sees the deadline passed).
  await late.stop();
  const RealDate = Date;
  const shift = 8 * 86_400_000;
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + shift);
      else super(...(args as [string]));
    }
    static now() {
      return RealDate.now() + shift;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  try {
    await disputes(a1).tick(id);
    const replaced = await seats(id);
    assert.equal(replaced.reviewers[2].nodeId, nodeId(spare), 'the next node of the other cluster takes the seat');
    assert.ok(replaced.replaced.includes(nodeId(late)));
    await disputes(a1).tick(id); // notifies the new reviewer
    await a1.waitJobs();
    await flagArrives(a1, spare, id);
    const q = await spare.api('GET', '/api/v1/admin/disputes/reviews', { token: admins.get(spare) });
    assert.ok(q.body.items.some((i: { id: string }) => i.id === id));
    const v2 = await spare.api('POST', `/api/v1/admin/disputes/${id}/vote`, { token: admins.get(spare), body: { decision: 'void', reason: 'Agree: replayed track' } });
    assert.equal(v2.status, 200, v2.text);
    await waitFor('the dispute to be applied', async () => {
      await disputes(a1).tick(id);
      const d = await disputes(a1).detail(id, { full: true });
      return d?.status === 'applied' ? d : undefined;
    });
  } finally {
    globalThis.Date = RealDate;
  }
  const d = (await disputes(a1).detail(id, { full: true }))!;
  assert.equal(d.decision, 'void');
  assert.deepEqual(d.holds!.map((h) => h.status), ['refunded']);
  assert.equal((await walletOf(a1, l.user.id)) - walletBefore, 300, 'the held share goes back to the listener');
  const steps = d.history!.map((s) => s.step);
  assert.ok(steps.includes('replaced'));
  assert.equal(steps.filter((s) => s === 'voted').length, 2);
  const mine = await a1.api('GET', '/api/v1/me/disputes', { token: l.token });
  assert.equal(mine.body.items.find((i: { id: string }) => i.id === id).status, 'applied');
  for (const n of [a1, a2, spare]) await assertBalanced(n);
});
