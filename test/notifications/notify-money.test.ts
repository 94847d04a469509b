// Who is told of money on a real node: the artist of a tip (once, with the message, what they
// got after the node's cut); the artist of a month's payout (once, however often the month is
// paid); of a dispute a listener opens, nobody before the ledger accepts it: a single node's
// ledger refuses it (too few nodes to review), which the listener and the admins are told; once
// accepted, its parties other than who opened it (the artist whose share is held) and the
// admins — nobody else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist } from '../media/support.js';
import { credit, money, TestSecondsSource } from '../money/helpers.js';
import { DisputesDeps } from '../../server/disputes/deps.js';
import { notifyDisputeOpened } from '../../server/disputes/notify.js';

let node: TestNode;
const source = new TestSecondsSource();
before(async () => {
  node = await startTestNode({ name: 'notify-money', overrides: { money: { tipNodeCutBasisPoints: 250 } } });
  money(node).setQualifiedSecondsSource(source);
});
after(async () => {
  await node?.stop();
});

type Item = { kind: string; title: string; body: string | null; url: string | null };
const inbox = async (token: string): Promise<Item[]> => (await node.api('GET', '/api/v1/me/notifications?limit=100', { token })).body.data;
const told = (token: string, what: string, match: (n: Item) => boolean) => waitFor(what, async () => (await inbox(token)).find(match), 20_000);

test('a tip: the artist is told what they got, from whom, with the message; once', async () => {
  const artist = await makeArtist(node, 'tipped_band');
  const fan = await node.user('listener');
  await credit(node, fan.user.id, 5000);
  const tipped = await node.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: 'tipped_band', amount: 400, message: 'Lovely record' }, headers: { 'idempotency-key': 'tip-once' } });
  assert.equal(tipped.status, 201, tipped.text);
  const tip = await told(artist.token, 'tip', (n) => n.kind === 'tip');
  assert.match(tip.title, new RegExp(`^@${fan.user.username}@.+ tipped you 3\\.90 USD$`));
  assert.deepEqual([tip.body, tip.url], ['Lovely record', '/earnings']);
  // The same request again (a retry) is the same tip: no second notification.
  const again = await node.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: 'tipped_band', amount: 400, message: 'Lovely record' }, headers: { 'idempotency-key': 'tip-once' } });
  assert.equal(again.status, 200, again.text);
  await node.waitJobs();
  assert.equal((await inbox(artist.token)).length, 1);
  assert.deepEqual(await inbox(fan.token), [], 'the tipper is not told');
});

test("a month's payout: each local artist is told once; a dispute a listener opens: its refusal, then its opening, reach whom they concern", async () => {
  const month = '2024-05';
  const admin = await node.user('admin');
  const bystander = await node.user('listener');
  const artist = await makeArtist(node, 'paid_band');
  const listener = await node.user('listener');
  await credit(node, listener.user.id, 1000);
  await money(node).subscriptions.subscribe(listener.user.id, new Date(`${month}-05T12:00:00Z`));
  const artistUri = `${node.ctx.config.publicUrl}/ap/channels/paid_band`;
  source.add(month, [
    { userId: listener.user.id, artist: artistUri, artistUserId: artist.user.id, seconds: 600, held: false },
    { userId: listener.user.id, artist: artistUri, artistUserId: artist.user.id, seconds: 300, held: true },
    { userId: listener.user.id, artist: 'https://elsewhere.example/ap/channels/far', artistUserId: null, seconds: 300, held: false },
  ]);
  assert.equal((await money(node).closeMonth(month)).status, 'closed');
  const paid = await money(node).payMonth(month);
  assert.deepEqual([paid.paid, paid.obligations], [1, 1]);
  await money(node).payMonth(month);

  const payout = await told(artist.token, 'payout', (n) => n.kind === 'payout');
  assert.match(payout.title, /^Payout for 2024-05: \d+\.\d\d USD is in your wallet$/);
  assert.match(payout.body!, /@paid_band@/);
  const share = (await node.api('GET', `/api/v1/me/earnings`, { token: artist.token })).body;
  assert.ok(share, 'the artist has earnings');

  const opened = await node.api('POST', '/api/v1/disputes', { token: listener.token, body: { month, as: 'listener', reason: 'Where did it go?' } });
  assert.equal(opened.status, 201, opened.text);
  const id = opened.body.id as string;
  // One node alone: the ledger has no other node to seat as a reviewer.
  for (const [who, token] of [['listener', listener.token], ['admin', admin.token]] as const) {
    const n = await told(token, `the refusal to the ${who}`, (x) => x.kind === 'dispute');
    assert.deepEqual([n.title, n.url], ['The dispute about 2024-05 could not be opened', `/disputes/${id}`]);
    assert.match(n.body!, /^The ledger refused it: .*too few nodes/);
  }
  await node.waitJobs();
  assert.deepEqual((await inbox(bystander.token)).map((n) => n.kind), [], 'nobody else');
  const kinds = (await inbox(artist.token)).map((n) => n.kind).sort();
  assert.deepEqual(kinds, ['payout'], 'one payout notification, however often the month is paid; no dispute the ledger refused');

  // Accepted by the ledger (tick.ts tells when it sees it there): its parties but who opened it, and the admins.
  const deps = new DisputesDeps(node.ctx);
  await notifyDisputeOpened(deps, (await deps.store.row(id))!);
  for (const [who, token] of [['artist', artist.token], ['admin', admin.token]] as const) {
    const n = await told(token, `the opening to the ${who}`, (x) => x.title === 'A dispute about 2024-05 was opened');
    assert.equal(n.url, `/disputes/${id}`);
  }
  await node.waitJobs();
  assert.equal((await inbox(listener.token)).filter((n) => n.kind === 'dispute').length, 1, 'who opened it is not told of their own dispute');
  assert.deepEqual((await inbox(bystander.token)).map((n) => n.kind), [], 'nobody else');
});
