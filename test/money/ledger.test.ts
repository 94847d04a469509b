// Money and the shared ledger: each subscription charge is recorded there (pseudonymous),
// and month close reconciles the books with the chaincode's own split — a mismatch
// refuses the close and pays nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { ledgerService } from '../../server/ledger/index.js';
import { listeningService } from '../../server/listening/index.js';
import { accounts } from '../../server/money/index.js';
import { assertBooksBalanced, balanceOf, credit, money, TestSecondsSource } from './helpers.js';

let node: TestNode;
const source = new TestSecondsSource();
before(async () => {
  node = await startTestNode({ name: 'money-ledger' });
  await node.waitJobs(); // the node joins the ledger's registry first
  money(node).setQualifiedSecondsSource(source, { reconcileWithLedger: true });
});
after(async () => {
  await node?.stop();
});

test('a subscription charge is recorded on the shared ledger under the listener pseudonym', async () => {
  const l = await node.user('listener');
  await credit(node, l.user.id, 1000);
  await money(node).subscriptions.subscribe(l.user.id, new Date('2024-11-05T00:00:00Z'));
  await node.waitJobs();
  const ledger = ledgerService(node.ctx);
  const recorded = (await ledger.evaluate('SubscriptionContract:listForMonth', [ledger.nodeId, '2024-11'])) as { pseudonym: string; amount: number; currency: string; kind: string; status: string }[];
  const pseudonym = await listeningService(node.ctx).pseudonym(l.user.id, '2024-11');
  assert.equal(pseudonym, await money(node).pseudonym(l.user.id, '2024-11'), "money uses listening's pseudonym");
  const mine = recorded.find((r) => r.pseudonym === pseudonym);
  assert.ok(mine, 'recorded on the ledger');
  assert.deepEqual({ amount: mine.amount, currency: mine.currency, kind: mine.kind, status: mine.status }, { amount: 1000, currency: 'USD', kind: 'new', status: 'active' });
  assert.ok(!recorded.some((r) => r.pseudonym === l.user.id), 'the raw account id never leaves the node');

  // The books and the chaincode agree (no listening reported: rolled over on both sides).
  const state = await money(node).closeMonth('2024-11');
  assert.equal(state.status, 'closed');
  assert.equal(state.steps.reconcile.withLedger, true);
  const statement = (await ledger.evaluate('MonthCloseContract:getStatement', [ledger.nodeId, '2024-11'])) as { rolledOver: number; nodeFeeTotal: number };
  assert.equal(statement.rolledOver, 900);
  assert.equal(statement.nodeFeeTotal, 100);
  await assertBooksBalanced(node);
});

test('books that disagree with the ledger refuse the close: nothing is paid out', async () => {
  const month = '2024-12';
  const l = await node.user('listener');
  await credit(node, l.user.id, 1000);
  await money(node).subscriptions.subscribe(l.user.id, new Date('2024-12-03T00:00:00Z'));
  await node.waitJobs();
  // Listening the ledger never saw in a daily report: the chaincode splits differently.
  source.add(month, [{ userId: l.user.id, artist: 'https://elsewhere.example/ap/actors/x', artistUserId: null, seconds: 300, held: false }]);
  await assert.rejects(money(node).closeMonth(month), (err: { code?: string; message: string }) => err.code === 'ledger_mismatch' && /payout to https:\/\/elsewhere/.test(err.message));
  const state = await money(node).closeState(month);
  assert.equal(state?.status, 'refused');
  assert.match(state?.error ?? '', /books 900, ledger 0/);
  await assert.rejects(money(node).payMonth(month), { code: 'month_not_closed' });
  assert.equal(await balanceOf(node, accounts.remotePayable('https://elsewhere.example/ap/actors/x').key), 0);
  await assertBooksBalanced(node);
});
