// Month close and payouts against an independent recomputation: many listeners, top-9
// cut-offs, ties, fewer than nine artists, no listening (each policy), held listening,
// remote artists; closing twice pays once; transparency endpoints agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select, selectOne } from '../../server/db/index.js';
import { accounts, type QualifiedSecondsRow } from '../../server/money/index.js';
import { closeMonth } from '../../server/money/month-close.js';
import { assertBooksBalanced, balanceOf, credit, money, TestSecondsSource } from './helpers.js';
import { dueByArtist, recompute, type Expected, type Listening } from './recompute.js';

let node: TestNode;
let admin: { token: string };
const source = new TestSecondsSource();
before(async () => {
  node = await startTestNode({ name: 'money-close' });
  admin = await node.user('admin');
  money(node).setQualifiedSecondsSource(source);
});
after(async () => {
  await node?.stop();
});

const remote = (i: number) => `https://other.example/ap/actors/artist${String(i).padStart(2, '0')}`;
const txCount = async () => Number((await selectOne<{ n: string }>(node.ctx.db, 'SELECT count(*) AS n FROM money_transactions'))!.n);

interface Scenario {
  token: string;
  userId: string;
  listening: Listening[];
}

async function subscribed(month: string, day = 5): Promise<{ token: string; userId: string }> {
  const l = await node.user('listener');
  await credit(node, l.user.id, 1000);
  await money(node).subscriptions.subscribe(l.user.id, new Date(`${month}-${String(day).padStart(2, '0')}T12:00:00Z`));
  return { token: l.token, userId: l.user.id };
}

function rowsFor(userId: string, listening: Listening[], localIds: Map<string, string>): QualifiedSecondsRow[] {
  return listening.map((l) => ({ userId, artist: l.artist, artistUserId: localIds.get(l.artist) ?? null, seconds: l.seconds, held: !!l.held }));
}

test('many listeners: top-9 cut-off, ties, fewer than nine, no listening, held, remote artists — every cent as recomputed', async () => {
  const month = '2024-03';
  const locals = await Promise.all([node.user('artist'), node.user('artist'), node.user('artist')]);
  const localUri = (i: number) => `${node.url}/ap/actors/${locals[i].user.username}`;
  const localIds = new Map(locals.map((a, i) => [localUri(i), a.user.id]));

  const scenarios: Scenario[] = [];
  // 12 artists, distinct seconds: the three smallest are cut.
  const a = await subscribed(month);
  scenarios.push({ ...a, listening: [localUri(0), ...Array.from({ length: 11 }, (_, i) => remote(i))].map((artist, i) => ({ artist, seconds: 100 * (i + 1) + 7 })) });
  // 10 artists, 9th and 10th tied: the tie goes to the smaller artist id; remainders tie too.
  const b = await subscribed(month);
  scenarios.push({ ...b, listening: [...[31, 31, 31, 29, 29, 17, 13, 11].map((s, i) => ({ artist: remote(20 + i), seconds: s })), { artist: remote(40), seconds: 5 }, { artist: remote(39), seconds: 5 }] });
  // Fewer than nine artists, several rows per artist.
  const c = await subscribed(month);
  scenarios.push({ ...c, listening: [{ artist: localUri(1), seconds: 60 }, { artist: localUri(1), seconds: 40 }, { artist: localUri(2), seconds: 200 }, { artist: remote(0), seconds: 1 }] });
  // Held listening: part of one artist, all of another.
  const d = await subscribed(month);
  scenarios.push({ ...d, listening: [{ artist: localUri(0), seconds: 600 }, { artist: localUri(0), seconds: 300, held: true }, { artist: localUri(2), seconds: 450, held: true }, { artist: remote(3), seconds: 77 }] });
  // Equal three-way split (exact) and a 7-way with remainders.
  const e = await subscribed(month);
  scenarios.push({ ...e, listening: Array.from({ length: 7 }, (_, i) => ({ artist: remote(50 + i), seconds: 1 })) });
  // No listening at all: rolled over (the default policy).
  const none = await subscribed(month);
  for (const s of scenarios) source.add(month, rowsFor(s.userId, s.listening, localIds));

  const feeBefore = await balanceOf(node, accounts.nodeFee().key);
  const heldBefore = await balanceOf(node, accounts.held().key);
  const state = await money(node).closeMonth(month);
  assert.equal(state.status, 'closed');
  assert.equal(state.unitsTotal, 6);
  assert.equal(state.unitsDone, 6);
  assert.deepEqual(Object.keys(state.steps).sort(), ['collect', 'payouts', 'reconcile', 'split']);

  const expected: Expected[] = scenarios.map((s) => recompute(1000, 100, 0, s.listening));
  // Each listener's allocation, over HTTP, as recomputed.
  for (const [i, s] of scenarios.entries()) {
    const res = await node.api('GET', `/api/v1/me/subscription/allocation?month=${month}`, { token: s.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'closed');
    assert.equal(res.body.nodeFee, 100);
    const got = new Map(res.body.artists.map((x: { artist: string; amount: number; held: number; seconds: number }) => [x.artist, { paid: x.amount, held: x.held, seconds: x.seconds }]));
    assert.deepEqual(got, expected[i].artists, `listener ${i}`);
    assert.ok(res.body.artists.length <= 9);
    const sum = res.body.artists.reduce((acc: number, x: { amount: number; held: number }) => acc + x.amount + x.held, 0);
    assert.equal(sum, 900, 'exactly to the cent');
  }
  assert.equal(expected[0].artists.size, 9, 'top-9 cut-off');
  assert.ok(expected[1].artists.has(remote(39)) && !expected[1].artists.has(remote(40)), 'tie at the cut-off goes to the smaller id');
  const noneAlloc = await node.api('GET', `/api/v1/me/subscription/allocation?month=${month}`, { token: none.token });
  assert.equal(noneAlloc.body.outcome, 'rollover');
  assert.equal(noneAlloc.body.unallocated, 900);
  assert.equal(await balanceOf(node, accounts.rollover(none.userId).key), 900, 'carried to the same listener');

  // The books: fees, pool emptied, held, due for artists.
  assert.equal(await balanceOf(node, accounts.nodeFee().key), feeBefore + 600);
  assert.equal(await balanceOf(node, accounts.pool(month).key), 0);
  const due = dueByArtist(expected);
  const heldTotal = [...due.values()].reduce((acc, x) => acc + x.held, 0);
  const paidTotal = [...due.values()].reduce((acc, x) => acc + x.paid, 0);
  assert.equal(heldTotal + paidTotal + 900 + 600, 6000);
  assert.equal(await balanceOf(node, accounts.held().key), heldBefore + heldTotal);
  assert.equal(await balanceOf(node, accounts.payoutDue(month).key), paidTotal);
  const payouts = await select<{ artist: string; amount: string; listeners: number; status: string }>(node.ctx.db, 'SELECT * FROM money_payouts WHERE month = :month', { month });
  assert.deepEqual(
    new Map(payouts.map((p) => [p.artist, Number(p.amount)])),
    new Map([...due].filter(([, x]) => x.paid > 0).map(([artist, x]) => [artist, x.paid])),
  );
  await assertBooksBalanced(node, admin.token);

  // Closing again pays nothing twice.
  const before = await txCount();
  const again = await money(node).closeMonth(month);
  assert.equal(again.status, 'closed');
  assert.equal(await txCount(), before);

  // Statement for the admin.
  const st = await node.api('GET', `/api/v1/admin/money/statements/${month}`, { token: admin.token });
  assert.equal(st.status, 200);
  assert.deepEqual(st.body.subscriptions, { count: 6, amount: 6000 });
  assert.equal(st.body.nodeFee, 600);
  assert.equal(st.body.artists.total, paidTotal);
  assert.equal(st.body.held, heldTotal);
  assert.equal(st.body.noListening.rolledOver, 900);
  assert.equal(st.body.close.status, 'closed');

  // Payout day: local artists' wallets, remote artists' obligations; twice pays once.
  const paid = await money(node).payMonth(month);
  assert.equal(paid.amount, paidTotal);
  const again2 = await money(node).payMonth(month);
  assert.equal(again2.amount, 0);
  for (const [i, art] of locals.entries()) {
    assert.equal(await balanceOf(node, accounts.wallet(art.user.id).key), due.get(localUri(i))?.paid ?? 0, `local artist ${i}`);
  }
  assert.equal(await balanceOf(node, accounts.remotePayable(remote(3)).key), due.get(remote(3))!.paid, 'remote artist: an obligation to its actor URI');
  assert.equal(await balanceOf(node, accounts.payoutDue(month).key), 0);

  // The artist sees earnings, listeners and payout state.
  const earn = await node.api('GET', '/api/v1/me/earnings', { token: locals[0].token });
  assert.equal(earn.status, 200);
  const m = earn.body.months.find((x: { month: string }) => x.month === month);
  assert.equal(m.amount, due.get(localUri(0))!.paid);
  assert.equal(m.held, due.get(localUri(0))!.held);
  assert.equal(m.listeners, due.get(localUri(0))!.listeners);
  assert.equal(m.payout.status, 'paid');
  assert.equal((await node.api('GET', '/api/v1/me/earnings', { token: none.token })).status, 403);

  // A dispute decides: one hold released to its artist, one refunded to the listener.
  const holds = (await money(node).holds({ month, status: 'held' })).map((h) => ({ id: h.id, artist: h.artist, amount: h.amount, user_id: h.userId }));
  assert.equal(holds.length, 2);
  assert.deepEqual((await money(node).holds({ month, userId: d.userId })).length, 2, 'both holds come from the held listener');
  const artistBefore = await balanceOf(node, accounts.wallet(localIds.get(holds[0].artist)!).key);
  await money(node).resolveHold(holds[0].id, 'release');
  assert.equal(await balanceOf(node, accounts.wallet(localIds.get(holds[0].artist)!).key), artistBefore + Number(holds[0].amount));
  const listenerBefore = await balanceOf(node, accounts.wallet(holds[1].user_id).key);
  await money(node).resolveHold(holds[1].id, 'refund');
  assert.equal(await balanceOf(node, accounts.wallet(holds[1].user_id).key), listenerBefore + Number(holds[1].amount));
  await assert.rejects(money(node).resolveHold(holds[1].id, 'release'), { code: 'hold_resolved' });
  await assertBooksBalanced(node, admin.token);

  // Next month the rolled-over credit follows the same listener's listening.
  const next = '2024-04';
  await credit(node, none.userId, 1000);
  await money(node).subscriptions.subscribe(none.userId, new Date('2024-04-02T00:00:00Z'));
  const listening = [{ artist: remote(7), seconds: 10 }, { artist: remote(8), seconds: 20 }];
  source.add(next, rowsFor(none.userId, listening, localIds));
  await money(node).closeMonth(next);
  const alloc = await node.api('GET', `/api/v1/me/subscription/allocation?month=${next}`, { token: none.token });
  assert.equal(alloc.body.carriedIn, 900);
  assert.deepEqual(new Map(alloc.body.artists.map((x: { artist: string; amount: number }) => [x.artist, x.amount])), new Map([...recompute(1000, 100, 900, listening).artists].map(([k, v]) => [k, v.paid])));
  assert.equal(await balanceOf(node, accounts.rollover(none.userId).key), 0);
  await assertBooksBalanced(node, admin.token);
});

test('no-listening policies: to the node, or refunded to the listener', async () => {
  const deps = money(node).closeDeps();
  const nodeMonth = '2024-06';
  const n = await subscribed(nodeMonth);
  const feeBefore = await balanceOf(node, accounts.nodeFee().key);
  const closed = await closeMonth({ ...deps, money: { ...deps.money, noListeningPolicy: 'node' } }, nodeMonth);
  assert.equal(closed.policy, 'node');
  assert.equal(await balanceOf(node, accounts.nodeFee().key), feeBefore + 1000);
  assert.equal(await balanceOf(node, accounts.rollover(n.userId).key), 0);

  const refundMonth = '2024-07';
  const r = await subscribed(refundMonth);
  assert.equal(await balanceOf(node, accounts.wallet(r.userId).key), 0);
  await closeMonth({ ...deps, money: { ...deps.money, noListeningPolicy: 'refund' } }, refundMonth);
  assert.equal(await balanceOf(node, accounts.wallet(r.userId).key), 900, 'the artists part comes back; the node fee stays');
  const st = await node.api('GET', `/api/v1/admin/money/statements/${refundMonth}`, { token: admin.token });
  assert.equal(st.body.noListening.refunded, 900);
  await assertBooksBalanced(node, admin.token);
});

test('a month that is not over cannot be closed; payouts need a closed month; bad months are refused', async () => {
  const now = new Date().toISOString().slice(0, 7);
  await assert.rejects(money(node).closeMonth(now), { code: 'month_not_over' });
  const res = await node.api('POST', `/api/v1/admin/money/months/${now}/close`, { token: admin.token });
  assert.equal(res.status, 409);
  const pay = await node.api('POST', '/api/v1/admin/money/months/2023-01/payout', { token: admin.token });
  assert.equal(pay.status, 409);
  assert.equal(pay.body.code, 'month_not_closed');
  const bad = await node.api('GET', '/api/v1/admin/money/statements/2024-13', { token: admin.token });
  assert.equal(bad.status, 400);
  // Closing through the job queue works too.
  const queued = await node.api('POST', '/api/v1/admin/money/months/2023-02/close', { token: admin.token });
  assert.equal(queued.status, 202);
  await node.waitJobs();
  assert.equal((await money(node).closeState('2023-02'))?.status, 'closed');
  await assertBooksBalanced(node);
});

test('artists see earnings per track, split by the tracks each listener played', async () => {
  const month = '2024-10';
  const artist = await node.user('artist');
  const uri = `${node.url}/ap/actors/${artist.user.username}`;
  const one = await subscribed(month);
  const two = await subscribed(month);
  source.add(month, [
    { userId: one.userId, artist: uri, artistUserId: artist.user.id, seconds: 300, held: false, tracks: [{ trackId: 't1', seconds: 200 }, { trackId: 't2', seconds: 100 }] },
    { userId: two.userId, artist: uri, artistUserId: artist.user.id, seconds: 3, held: false, tracks: [{ trackId: 't1', seconds: 1 }, { trackId: 't2', seconds: 1 }, { trackId: 't3', seconds: 1 }] },
  ]);
  await money(node).closeMonth(month);
  const res = await node.api('GET', '/api/v1/me/earnings', { token: artist.token });
  assert.equal(res.status, 200);
  const m = res.body.months.find((x: { month: string }) => x.month === month);
  assert.equal(m.amount, 1800);
  assert.equal(m.listeners, 2);
  const tracks = new Map(res.body.tracks.filter((t: { month: string }) => t.month === month).map((t: { trackId: string; amount: number; listeners: number }) => [t.trackId, [t.amount, t.listeners]]));
  assert.deepEqual(tracks, new Map([['t1', [600 + 300, 2]], ['t2', [300 + 300, 2]], ['t3', [300, 1]]]));
  await assertBooksBalanced(node);
});

test('two closes of one month running at the same time pay once', async () => {
  const month = '2024-11';
  const ls = [await subscribed(month), await subscribed(month), await subscribed(month)];
  for (const [i, l] of ls.entries()) source.add(month, [{ userId: l.userId, artist: remote(60 + i), artistUserId: null, seconds: 10 + i, held: false }, { userId: l.userId, artist: remote(70), artistUserId: null, seconds: 5, held: false }]);
  const feeBefore = await balanceOf(node, accounts.nodeFee().key);
  const [x, y] = await Promise.all([money(node).closeMonth(month), money(node).closeMonth(month)]);
  assert.equal(x.status, 'closed');
  assert.equal(y.status, 'closed');
  assert.equal(await balanceOf(node, accounts.nodeFee().key), feeBefore + 300);
  assert.equal(await balanceOf(node, accounts.pool(month).key), 0);
  const expected = dueByArtist(ls.map((l, i) => recompute(1000, 100, 0, [{ artist: remote(60 + i), seconds: 10 + i }, { artist: remote(70), seconds: 5 }])));
  const payouts = await select<{ artist: string; amount: string }>(node.ctx.db, 'SELECT artist, amount FROM money_payouts WHERE month = :month', { month });
  assert.deepEqual(new Map(payouts.map((p) => [p.artist, Number(p.amount)])), new Map([...expected].map(([a, v]) => [a, v.paid])));
  await Promise.all([money(node).payMonth(month), money(node).payMonth(month)]);
  assert.equal(await balanceOf(node, accounts.remotePayable(remote(70)).key), expected.get(remote(70))!.paid);
  assert.equal(await balanceOf(node, accounts.payoutDue(month).key), 0);
  await assertBooksBalanced(node);
});

test('a charge for a month already closed (or being closed) is refused; the wallet keeps its money', async () => {
  const month = '2022-11';
  await subscribed(month);
  assert.equal((await money(node).closeMonth(month)).status, 'closed');
  const late = await node.user('listener');
  await credit(node, late.user.id, 1000);
  await assert.rejects(money(node).subscriptions.subscribe(late.user.id, new Date(`${month}-28T12:00:00Z`)), { code: 'month_closed' });
  assert.equal(await balanceOf(node, accounts.wallet(late.user.id).key), 1000);
  assert.equal((await select(node.ctx.db, 'SELECT 1 FROM money_subscription_charges WHERE user_id = :u', { u: late.user.id })).length, 0);
  assert.equal(await balanceOf(node, accounts.pool(month).key), 0, 'the closed month\'s pool stays empty');
  await assertBooksBalanced(node);
});
