// Investment campaigns over real HTTP and PostgreSQL: an artist opens one, fans pledge from their
// wallets into its escrow; at the deadline a funded one pays the artist (less the node's cut), a
// missed one refunds every pledge; an artist cancels one (full refunds). Bad input moves nothing,
// retries pledge once, a crash mid-refund resumes without paying twice; the books balance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { accounts } from '../../server/money/index.js';
import { campaignEscrow } from '../../server/money/campaigns.js';
import { splitCapped } from '../../shared/money/index.js';
import { assertBooksBalanced, balanceOf, money } from './helpers.js';
import { fan as fanOn, streamAndWithdraw, sweepPastDeadline } from '../helpers/campaigns.js';

let node: TestNode;
before(async () => {
  // The node keeps 5 % of a funded campaign.
  node = await startTestNode({ name: 'money-campaigns', overrides: { money: { campaignNodeCutBasisPoints: 500 } } });
});
after(async () => node?.stop());

const wallet = (userId: string) => balanceOf(node, accounts.wallet(userId).key);
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
const campaign = (over: Record<string, unknown> = {}) => ({ title: 'New mic and rent', description: 'A year of music', goal: 1000, minPledge: 50, deadline: inDays(30), shareBasisPoints: 1000, capMultiple: 1.5, ...over });

const fan = (amount: number) => fanOn(node, amount);

test('a funded campaign: pledges into escrow, the artist paid at the deadline less the node cut; bad input moves nothing; a retry pledges once', async () => {
  const a = await makeArtist(node);
  const open = (body: unknown, headers: Record<string, string> = {}) => node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, { token: a.token, body, headers });
  for (const [body, code] of [
    [campaign({ deadline: inDays(-1) }), 'invalid_campaign'],
    [campaign({ shareBasisPoints: 10_001 }), 'invalid_campaign'],
    [campaign({ capMultiple: 0.9 }), 'invalid_campaign'],
    [campaign({ minPledge: 2000 }), 'invalid_campaign'],
    [campaign({ goal: 0 }), 'invalid_amount'],
  ] as const) {
    const res = await open(body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.body.code, code);
  }
  const someoneElse = await node.user('artist');
  assert.equal((await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, { token: someoneElse.token, body: campaign() })).status, 403);

  const made = await open(campaign(), { 'Idempotency-Key': 'c-1' });
  assert.equal(made.status, 201, made.text);
  assert.equal((await open(campaign(), { 'Idempotency-Key': 'c-1' })).body.id, made.body.id, 'a retry opens no second campaign');
  assert.equal((await open(campaign())).body.code, 'campaign_open', 'one open campaign per channel');
  const id = made.body.id;
  assert.deepEqual([made.body.status, made.body.capMultiple, made.body.shareBasisPoints, made.body.nodeCutBasisPoints], ['open', 1.5, 1000, 500]);

  const f1 = await fan(2000);
  const f2 = await fan(100);
  const pledge = (token: string, amount: number, headers: Record<string, string> = {}) => node.api('POST', `/api/v1/campaigns/${id}/pledges`, { token, body: { amount }, headers });
  assert.equal((await pledge(f1.token, 10)).body.code, 'pledge_too_small');
  assert.equal((await pledge(f2.token, 500)).status, 402, 'over the wallet');
  assert.equal((await pledge(a.token, 100)).body.code, 'invalid_recipient', 'not into one\'s own campaign');
  assert.equal(await wallet(f2.user.id), 100, 'refused pledges moved nothing');

  const p1 = await pledge(f1.token, 700, { 'Idempotency-Key': 'p-1' });
  assert.equal(p1.status, 201, p1.text);
  const again = await pledge(f1.token, 700, { 'Idempotency-Key': 'p-1' });
  assert.deepEqual([again.status, again.body.id], [200, p1.body.id], 'a retry pledges once');
  assert.equal((await pledge(f1.token, 800, { 'Idempotency-Key': 'p-1' })).body.code, 'idempotency_key_reused');
  assert.equal((await pledge(f2.token, 100)).status, 201);
  assert.equal((await pledge(f1.token, 300)).status, 201);
  assert.equal(await wallet(f1.user.id), 1000);
  assert.equal(await balanceOf(node, campaignEscrow(id).key), 1100);
  const view = (await node.api('GET', `/api/v1/campaigns/${id}`)).body;
  assert.deepEqual([view.raised, view.pledges, view.investors], [1100, 3, 2]);

  const artistBefore = await wallet(a.user.id);
  const feeBefore = await balanceOf(node, accounts.nodeFee().key);
  // The deadline passes: the sweep settles (twice: the second moves nothing).
  money(node).campaigns.clock = () => Date.now() + 31 * 86_400_000;
  try {
    assert.equal((await pledge(f1.token, 100)).body.code, 'campaign_closed', 'no pledge after the deadline');
    assert.equal((await money(node).campaigns.sweep()).settled >= 1, true);
    await money(node).campaigns.sweep();
  } finally {
    money(node).campaigns.clock = Date.now;
  }
  const funded = (await node.api('GET', `/api/v1/campaigns/${id}`)).body;
  assert.equal(funded.status, 'funded');
  assert.equal(await wallet(a.user.id), artistBefore + 1100 - 55, 'the artist got the escrow less 5 %');
  assert.equal(await balanceOf(node, accounts.nodeFee().key), feeBefore + 55);
  assert.equal(await balanceOf(node, campaignEscrow(id).key), 0);
  assert.equal((await node.api('POST', `/api/v1/campaigns/${id}/cancel`, { token: a.token })).body.code, 'campaign_closed');
  const mine = (await node.api('GET', '/api/v1/me/pledges', { token: f1.token })).body;
  assert.deepEqual(mine.map((p: any) => [p.amount, p.refunded]).sort(), [[300, false], [700, false]]);
  await assertBooksBalanced(node);
});

test('shares of all open and funded campaigns never pass 100 % of an artist\'s income', async () => {
  const a = await makeArtist(node);
  const second = await node.api('POST', '/api/v1/channels', { token: a.token, body: { name: `${a.channel.name}_b`.slice(0, 50), displayName: 'Second' } });
  assert.equal(second.status, 201, second.text);
  const first = await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, { token: a.token, body: campaign({ shareBasisPoints: 7000 }) });
  assert.equal(first.status, 201, first.text);
  const over = await node.api('POST', `/api/v1/channels/${second.body.name}/campaigns`, { token: a.token, body: campaign({ shareBasisPoints: 3001 }) });
  assert.equal(over.status, 409);
  assert.equal(over.body.code, 'share_over_100');
  assert.equal((await node.api('POST', `/api/v1/channels/${second.body.name}/campaigns`, { token: a.token, body: campaign({ shareBasisPoints: 3000 }) })).status, 201);
});

test('a missed goal refunds every pledge; a cancelled campaign too; a crash mid-refund resumes and pays nobody twice', async () => {
  const a = await makeArtist(node);
  const made = await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, { token: a.token, body: campaign({ goal: 5000 }) });
  const id = made.body.id;
  const fans = await Promise.all([fan(300), fan(300), fan(300)]);
  for (const f of fans) assert.equal((await node.api('POST', `/api/v1/campaigns/${id}/pledges`, { token: f.token, body: { amount: 200 } })).status, 201);
  const artistBefore = await wallet(a.user.id);
  await sweepPastDeadline(node);
  assert.equal((await node.api('GET', `/api/v1/campaigns/${id}`)).body.status, 'failed');
  for (const f of fans) assert.equal(await wallet(f.user.id), 300, 'refunded in full');
  assert.equal(await wallet(a.user.id), artistBefore, 'the artist got nothing');
  assert.equal(await balanceOf(node, campaignEscrow(id).key), 0);

  // Cancelled, and the process died after the status flip committed, before any refund ran.
  const c2 = await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, { token: a.token, body: campaign() });
  assert.equal(c2.status, 201, c2.text);
  for (const f of fans) await node.api('POST', `/api/v1/campaigns/${c2.body.id}/pledges`, { token: f.token, body: { amount: 100 } });
  await node.ctx.db.query(`UPDATE money_campaigns SET status = 'cancelled', settled_at = now() WHERE id = '${c2.body.id}'`);
  for (const f of fans) assert.equal(await wallet(f.user.id), 200, 'not refunded yet');
  const swept = await money(node).campaigns.sweep();
  assert.equal(swept.refunded, 3);
  assert.equal((await money(node).campaigns.sweep()).refunded, 0, 'a second sweep pays nobody again');
  for (const f of fans) assert.equal(await wallet(f.user.id), 300);

  // An artist cancels through the API; a fan cannot.
  const c3 = await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, { token: a.token, body: campaign() });
  await node.api('POST', `/api/v1/campaigns/${c3.body.id}/pledges`, { token: fans[0].token, body: { amount: 150 } });
  assert.equal((await node.api('POST', `/api/v1/campaigns/${c3.body.id}/cancel`, { token: fans[0].token })).status, 403);
  const cancelled = await node.api('POST', `/api/v1/campaigns/${c3.body.id}/cancel`, { token: a.token });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.equal(cancelled.body.status, 'cancelled');
  assert.equal(await wallet(fans[0].user.id), 300);
  assert.equal((await node.api('POST', `/api/v1/campaigns/${c3.body.id}/pledges`, { token: fans[1].token, body: { amount: 100 } })).body.code, 'campaign_closed');
  await assertBooksBalanced(node);
});

test('repayments: each income of the artist pays the campaign its share, split by what each invested, until each cap is met exactly; a retried income repays nothing again', async () => {
  const a = await makeArtist(node);
  const made = await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, { token: a.token, body: campaign({ goal: 1000, shareBasisPoints: 1000, capMultiple: 1.5 }) });
  const id = made.body.id;
  const big = await fan(600);
  const small = await fan(400);
  await node.api('POST', `/api/v1/campaigns/${id}/pledges`, { token: big.token, body: { amount: 600 } });
  await node.api('POST', `/api/v1/campaigns/${id}/pledges`, { token: small.token, body: { amount: 400 } });
  await sweepPastDeadline(node);
  assert.equal((await node.api('GET', `/api/v1/campaigns/${id}`)).body.status, 'funded');
  const artistAfterFunding = await wallet(a.user.id);

  // A tip of 10.00: 10 % (1.00) goes to the investors, 60/40.
  const tipper = await fan(100_000);
  const tip = (amount: number, key: string) => node.api('POST', '/api/v1/tips', { token: tipper.token, body: { channel: a.channel.name, amount }, headers: { 'Idempotency-Key': key } });
  assert.equal((await tip(1000, 'tip-1')).status, 201);
  assert.deepEqual([await wallet(big.user.id), await wallet(small.user.id)], [60, 40]);
  assert.equal(await wallet(a.user.id), artistAfterFunding + 900);
  assert.equal((await tip(1000, 'tip-1')).status, 200, 'the retry is the same tip');
  assert.deepEqual([await wallet(big.user.id), await wallet(small.user.id)], [60, 40], 'and repays nothing again');

  // A payment stream's withdrawal is income too: 5.00 streamed, 0.50 to the investors.
  await streamAndWithdraw(node, tipper, a, 500);
  assert.deepEqual([await wallet(big.user.id), await wallet(small.user.id)], [90, 60]);

  // A large tip meets both caps exactly (900 and 600); what is past them stays the artist's.
  assert.equal((await tip(50_000, 'tip-2')).status, 201);
  assert.deepEqual([await wallet(big.user.id), await wallet(small.user.id)], [900, 600]);
  const done = (await node.api('GET', `/api/v1/campaigns/${id}`)).body;
  assert.equal(done.repaid, 1500);
  assert.ok(done.repaidAt, 'every investor reached the cap');
  assert.equal((await tip(1000, 'tip-3')).status, 201);
  assert.deepEqual([await wallet(big.user.id), await wallet(small.user.id)], [900, 600], 'nothing past the caps');
  const mine = (await node.api('GET', '/api/v1/me/investments', { token: big.token })).body;
  assert.deepEqual(mine.map((i: any) => [i.invested, i.cap, i.received, i.remaining, i.done]), [[600, 900, 900, 0, true]]);
  // The funded campaign no longer holds its share once repaid: a new one may promise all 100 %.
  assert.equal((await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, { token: a.token, body: campaign({ shareBasisPoints: 10_000 }) })).status, 201);
  await assertBooksBalanced(node);
});

test('splitCapped: all of the total placed up to the rooms, by weight, none past its room (randomised)', () => {
  assert.deepEqual([...splitCapped(100, [{ key: 'a', weight: 600, room: 900 }, { key: 'b', weight: 400, room: 600 }])], [['a', 60], ['b', 40]]);
  assert.deepEqual([...splitCapped(1000, [{ key: 'a', weight: 1, room: 10 }, { key: 'b', weight: 1, room: 2000 }])], [['a', 10], ['b', 990]]);
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let run = 0; run < 500; run++) {
    const parts = Array.from({ length: 1 + rnd(8) }, (_, i) => ({ key: `k${i}`, weight: 1 + rnd(1000), room: rnd(500) }));
    const total = rnd(3000);
    const out = splitCapped(total, parts);
    const placed = [...out.values()].reduce((s, v) => s + v, 0);
    assert.equal(placed, Math.min(total, parts.reduce((s, p) => s + p.room, 0)), `run ${run}`);
    for (const p of parts) assert.ok(out.get(p.key)! >= 0 && out.get(p.key)! <= p.room);
  }
});
