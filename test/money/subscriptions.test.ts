// Subscriptions: subscribe, renew at the period start, short balance → past_due → lapsed
// (or recovered within the grace days), cancel renewal; concurrency never overdraws.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select } from '../../server/db/index.js';
import { accounts } from '../../server/money/index.js';
import { monthOf } from '../../shared/month.js';
import { assertBooksBalanced, balanceOf, credit, money } from './helpers.js';

let node: TestNode;
let admin: { token: string };
const changes: string[] = [];
before(async () => {
  node = await startTestNode({ name: 'money-subs' });
  admin = await node.user('admin');
  node.ctx.events.on('subscription.changed', (p) => void changes.push(p.subscriptionId));
});
after(async () => {
  await node?.stop();
});

const wallet = (id: string) => balanceOf(node, accounts.wallet(id).key);
const charges = async (userId: string) => (await select<{ month: string }>(node.ctx.db, 'SELECT month FROM money_subscription_charges WHERE user_id = :userId ORDER BY month', { userId })).map((r) => r.month);

test('subscribe over HTTP: short balance refused, then charged once into the month pool, cancel and resume', async () => {
  const l = await node.user('listener');
  const month = monthOf(new Date(), 'UTC');
  const none = await node.api('GET', '/api/v1/me/subscription', { token: l.token });
  assert.equal(none.status, 404);
  const poor = await node.api('POST', '/api/v1/me/subscription', { token: l.token });
  assert.equal(poor.status, 402);
  assert.equal(poor.body.code, 'insufficient_funds');
  assert.equal((await node.api('GET', '/api/v1/me/subscription', { token: l.token })).status, 404, 'the refused attempt left nothing behind');
  assert.deepEqual(await charges(l.user.id), []);

  await credit(node, l.user.id, 2500);
  const poolBefore = await balanceOf(node, accounts.pool(month).key);
  const changesBefore = changes.length;
  const sub = await node.api('POST', '/api/v1/me/subscription', { token: l.token });
  assert.equal(sub.status, 201);
  assert.equal(sub.body.status, 'active');
  assert.equal(sub.body.currentMonth, month);
  assert.equal(sub.body.amount, 1000);
  assert.equal(sub.body.nodeFee, 100);
  assert.equal(await wallet(l.user.id), 1500);
  assert.equal(await balanceOf(node, accounts.pool(month).key), poolBefore + 1000, 'the charge waits in the month pool');
  const again = await node.api('POST', '/api/v1/me/subscription', { token: l.token });
  assert.equal(again.status, 200);
  assert.equal(await wallet(l.user.id), 1500, 'subscribing twice charges once');

  const cancel = await node.api('DELETE', '/api/v1/me/subscription', { token: l.token });
  assert.equal(cancel.status, 200);
  assert.equal(cancel.body.status, 'active');
  assert.equal(cancel.body.cancelAtPeriodEnd, true);
  const resume = await node.api('POST', '/api/v1/me/subscription', { token: l.token });
  assert.equal(resume.status, 201);
  assert.equal(resume.body.cancelAtPeriodEnd, false);
  assert.equal(await wallet(l.user.id), 1500, 'resuming does not charge again');
  const got = await node.api('GET', '/api/v1/me/subscription', { token: l.token });
  assert.equal(got.body.charges.length, 1);
  assert.equal(got.body.charges[0].month, month);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(changes.length - changesBefore >= 3, 'subscription.changed emitted after each change');
  assert.ok(changes.includes(sub.body.id));
  await assertBooksBalanced(node, admin.token);
});

test('renewal at the period start; short balance → past_due → recovered within grace; later → lapsed', async () => {
  const l = await node.user('listener');
  const s = money(node).subscriptions;
  await credit(node, l.user.id, 2000);
  const first = await s.subscribe(l.user.id, new Date('2025-01-15T10:00:00Z'));
  assert.equal(first.subscription.currentMonth, '2025-01');
  // Before the period ends nothing renews.
  let counts = await s.renewDue(new Date('2025-01-31T23:00:00Z'));
  assert.equal((await s.get(l.user.id))!.currentMonth, '2025-01');
  counts = await s.renewDue(new Date('2025-02-01T00:05:00Z'));
  assert.ok(counts.renewed >= 1);
  let sub = (await s.get(l.user.id))!;
  assert.equal(sub.status, 'active');
  assert.equal(sub.currentMonth, '2025-02');
  assert.equal(await wallet(l.user.id), 0);
  // Running the renewal again in the same month charges nothing more.
  await s.renewDue(new Date('2025-02-01T01:05:00Z'));
  assert.deepEqual(await charges(l.user.id), ['2025-01', '2025-02']);

  await s.renewDue(new Date('2025-03-01T00:05:00Z'));
  sub = (await s.get(l.user.id))!;
  assert.equal(sub.status, 'past_due');
  assert.equal(sub.pastDueMonth, '2025-03');
  assert.equal(sub.graceEndsAt, '2025-03-04T00:05:00.000Z');
  await s.renewDue(new Date('2025-03-02T00:05:00Z'));
  assert.equal((await s.get(l.user.id))!.status, 'past_due', 'still in grace, still short');
  await credit(node, l.user.id, 1000);
  await s.renewDue(new Date('2025-03-02T12:00:00Z'));
  sub = (await s.get(l.user.id))!;
  assert.equal(sub.status, 'active');
  assert.equal(sub.currentMonth, '2025-03');
  assert.equal(await wallet(l.user.id), 0);

  await s.renewDue(new Date('2025-04-01T00:05:00Z'));
  assert.equal((await s.get(l.user.id))!.status, 'past_due');
  await s.renewDue(new Date('2025-04-04T00:05:00Z'));
  sub = (await s.get(l.user.id))!;
  assert.equal(sub.status, 'lapsed');
  assert.equal(sub.graceEndsAt, null);
  assert.deepEqual(await charges(l.user.id), ['2025-01', '2025-02', '2025-03']);
  // A lapsed listener comes back by subscribing again (charged for that month).
  await credit(node, l.user.id, 1000);
  const back = await s.subscribe(l.user.id, new Date('2025-04-20T00:00:00Z'));
  assert.equal(back.subscription.status, 'active');
  assert.equal(back.subscription.currentMonth, '2025-04');
  const events = await select<{ kind: string }>(node.ctx.db, 'SELECT kind FROM money_subscription_events WHERE subscription_id = :id ORDER BY id', { id: sub.id });
  assert.deepEqual(events.map((e) => e.kind), ['subscribed', 'renewed', 'past_due', 'recovered', 'past_due', 'lapsed', 'subscribed']);
  await assertBooksBalanced(node);
});

test('cancel renewal: runs to the end of the month, then canceled without a charge; past_due cancels at once', async () => {
  const s = money(node).subscriptions;
  const a = await node.user('listener');
  await credit(node, a.user.id, 3000);
  await s.subscribe(a.user.id, new Date('2025-05-10T00:00:00Z'));
  const c = await s.cancel(a.user.id);
  assert.equal(c.status, 'active');
  assert.equal(c.cancelAtPeriodEnd, true);
  await s.renewDue(new Date('2025-06-01T00:01:00Z'));
  const after = (await s.get(a.user.id))!;
  assert.equal(after.status, 'canceled');
  assert.equal(await wallet(a.user.id), 2000, 'no charge for June');
  await assert.rejects(s.cancel(a.user.id), { code: 'not_subscribed' });

  const b = await node.user('listener');
  await credit(node, b.user.id, 1000);
  await s.subscribe(b.user.id, new Date('2025-05-10T00:00:00Z'));
  await s.renewDue(new Date('2025-06-01T00:01:00Z'));
  assert.equal((await s.get(b.user.id))!.status, 'past_due');
  const canceled = await s.cancel(b.user.id);
  assert.equal(canceled.status, 'canceled');
  const res = await node.api('DELETE', '/api/v1/me/subscription', { token: (await node.user('listener')).token });
  assert.equal(res.status, 409);
  await assertBooksBalanced(node);
});

test('parallel charges against a small balance never overdraw or double-spend', async () => {
  const l = await node.user('listener');
  await credit(node, l.user.id, 1500);
  const attempts = await Promise.all([
    node.api('POST', '/api/v1/me/subscription', { token: l.token }),
    node.api('POST', '/api/v1/me/subscription', { token: l.token }),
    node.api('POST', '/api/v1/me/subscription', { token: l.token }),
    node.api('POST', '/api/v1/gift-links', { token: l.token, body: { amount: 1000 } }),
    node.api('POST', '/api/v1/gift-links', { token: l.token, body: { amount: 1000 } }),
  ]);
  const created = attempts.filter((r) => r.status === 201);
  assert.equal(created.length, 1, `exactly one debit of 1000 wins: ${attempts.map((r) => r.status)}`);
  assert.ok(attempts.every((r) => [200, 201, 402].includes(r.status)), attempts.map((r) => r.status).join());
  assert.equal(await wallet(l.user.id), 500);

  // Parallel renewal runs charge each subscription once.
  const s = money(node).subscriptions;
  const many = await Promise.all(Array.from({ length: 4 }, () => node.user('listener')));
  for (const u of many) {
    await credit(node, u.user.id, 2000);
    await s.subscribe(u.user.id, new Date('2025-07-03T00:00:00Z'));
  }
  await Promise.all([s.renewDue(new Date('2025-08-01T00:00:00Z')), s.renewDue(new Date('2025-08-01T00:00:00Z')), s.renewDue(new Date('2025-08-01T00:00:01Z'))]);
  for (const u of many) {
    assert.deepEqual(await charges(u.user.id), ['2025-07', '2025-08']);
    assert.equal(await wallet(u.user.id), 0, 'July and August, once each');
  }
  await assertBooksBalanced(node, admin.token);
});

test('the worker tick queues renewals, then the close of the previous month and, from the payout day, its payout', async () => {
  // July and August charges exist from the test before; it is now "September 26th".
  await money(node).tick(new Date('2025-09-26T08:00:00Z'));
  await node.waitJobs();
  const closed = await money(node).closeState('2025-08');
  assert.equal(closed?.status, 'closed', JSON.stringify(closed));
  assert.equal(closed?.steps.reconcile.withLedger, true, 'listening figures are reconciled with the ledger');
  await money(node).tick(new Date('2025-09-26T09:00:00Z'));
  await node.waitJobs();
  assert.ok((await money(node).closeState('2025-08'))?.paidAt, 'paid out on/after the payout day');
  await assertBooksBalanced(node, admin.token);
});
