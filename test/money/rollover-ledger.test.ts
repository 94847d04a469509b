// Rolled-over credit and the shared ledger: pseudonyms change every month, so the close of
// month M hands the chaincode (privately, in the transient map) each listener's pseudonym of
// M+1; the credit then reaches the same listener's artists in M+1 on the ledger exactly as in
// the books, and an independent recomputation from the ledger's own data agrees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { ledgerService } from '../../server/ledger/index.js';
import { ledgerEngine } from '../../server/ledger/registry.js';
import { recomputeMonth } from '../../server/ledger/audit.js';
import type { EmbeddedLedger } from '../../server/ledger/embedded.js';
import { listeningService } from '../../server/listening/index.js';
import { select } from '../../server/db/index.js';
import { reportRowsHash } from '../../shared/money/index.js';
import { assertBooksBalanced, credit, money, TestSecondsSource } from './helpers.js';

let node: TestNode;
const source = new TestSecondsSource();
before(async () => {
  node = await startTestNode({ name: 'money-rollover-ledger' });
  await node.waitJobs();
  money(node).setQualifiedSecondsSource(source, { reconcileWithLedger: true });
});
after(async () => {
  await node?.stop();
});

const ARTIST = 'https://elsewhere.example/ap/actors/rolled';

test('a credit rolled over from a month without listening is paid next month on the ledger as in the books', async () => {
  const [m, next] = ['2025-05', '2025-06'];
  const l = await node.user('listener');
  await credit(node, l.user.id, 2000);
  const subs = money(node).subscriptions;
  await subs.subscribe(l.user.id, new Date('2025-05-04T00:00:00Z'));
  await subs.renewDue(new Date('2025-06-01T00:05:00Z'));
  await node.waitJobs();
  const ledger = ledgerService(node.ctx);
  const pM = await listeningService(node.ctx).pseudonym(l.user.id, m);
  const pNext = await listeningService(node.ctx).pseudonym(l.user.id, next);
  assert.notEqual(pM, pNext, 'pseudonyms change every month');

  // Month M: no listening at all, so the pool (900) rolls over on both sides.
  const may = await money(node).closeMonth(m);
  assert.equal(may.status, 'closed');
  const mayStatement = (await ledger.evaluate('MonthCloseContract:getStatement', [ledger.nodeId, m])) as { rolledOver: number; hash: string };
  assert.equal(mayStatement.rolledOver, 900);
  // The link between the two pseudonyms is not public.
  const engine = ledgerEngine(node.ctx) as EmbeddedLedger;
  const log = await engine.pool.query<{ args: string }>("SELECT args FROM ledger_transactions WHERE fn = 'MonthCloseContract:close'");
  assert.ok(log.rows.length >= 1);
  assert.ok(!log.rows.some((r) => String(r.args).includes(pNext)), 'the close transaction arguments carry no next-month pseudonym');

  // Month M+1: the same listener listens to one artist; the ledger hears it in a daily report.
  source.add(next, [{ userId: l.user.id, artist: ARTIST, artistUserId: null, seconds: 120, held: false }]);
  const rows = [{ pseudonym: pNext, artist: ARTIST, seconds: 120, plays: 1 }];
  await ledger.submit(
    'ReportContract:submit',
    [JSON.stringify({ nodeId: ledger.nodeId, day: `${next}-09`, artistTotals: [{ artist: ARTIST, seconds: 120, plays: 1 }], hash: reportRowsHash(rows) })],
    { transient: { rows: JSON.stringify(rows) } },
  );
  const june = await money(node).closeMonth(next);
  assert.equal(june.status, 'closed', 'the books and the ledger agree');
  const statement = (await ledger.evaluate('MonthCloseContract:getStatement', [ledger.nodeId, next])) as {
    creditsIn: number; payouts: { artist: string; amount: number }[]; rolledOver: number;
  };
  assert.equal(statement.creditsIn, 900, 'the ledger carries the credit into the listener’s next-month pseudonym');
  assert.equal(statement.rolledOver, 0);
  assert.deepEqual(statement.payouts, [{ artist: ARTIST, amount: 1800 }]);
  const books = await select<{ artist: string; amount: string }>(node.ctx.db, 'SELECT artist, amount FROM money_payouts WHERE month = :month', { month: next });
  assert.deepEqual(books.map((b) => ({ artist: b.artist, amount: Number(b.amount) })), [{ artist: ARTIST, amount: 1800 }]);

  // An auditor's independent recomputation from the ledger's data agrees.
  const recomputed = await recomputeMonth(engine, ledger.nodeId, next);
  assert.ok(recomputed);
  assert.equal(recomputed.matches, true, JSON.stringify(recomputed.problems));
  assert.deepEqual(recomputed.artists.map((a) => [a.artist, a.recomputed]), [[ARTIST, 1800]]);
  await assertBooksBalanced(node);
});

test('held listening counted in the daily report rows: the books and the ledger agree on the held share', async () => {
  const month = '2025-08';
  const l = await node.user('listener');
  await credit(node, l.user.id, 1000);
  await money(node).subscriptions.subscribe(l.user.id, new Date('2025-08-03T00:00:00Z'));
  await node.waitJobs();
  const ledger = ledgerService(node.ctx);
  const p = await listeningService(node.ctx).pseudonym(l.user.id, month);
  const [a, b] = ['https://elsewhere.example/ap/actors/held-a', 'https://elsewhere.example/ap/actors/held-b'];
  // 120 s counted and 60 s held for a; 100 s counted for b. Listening's daily rows carry the held seconds too.
  source.add(month, [
    { userId: l.user.id, artist: a, artistUserId: null, seconds: 120, held: false },
    { userId: l.user.id, artist: a, artistUserId: null, seconds: 60, held: true },
    { userId: l.user.id, artist: b, artistUserId: null, seconds: 100, held: false },
  ]);
  const rows = [{ pseudonym: p, artist: a, seconds: 180, plays: 2 }, { pseudonym: p, artist: b, seconds: 100, plays: 1 }];
  await ledger.submit(
    'ReportContract:submit',
    [JSON.stringify({ nodeId: ledger.nodeId, day: `${month}-05`, artistTotals: [{ artist: a, seconds: 180, plays: 2 }, { artist: b, seconds: 100, plays: 1 }], hash: reportRowsHash(rows) })],
    { transient: { rows: JSON.stringify(rows) } },
  );
  const state = await money(node).closeMonth(month);
  assert.equal(state.status, 'closed', state.error ?? '');
  const statement = (await ledger.evaluate('MonthCloseContract:getStatement', [ledger.nodeId, month])) as { heldTotal: number; payouts: { artist: string; amount: number }[] };
  // 900 by seconds 180:100 → a 579 (of which 60/280 of 900 = 193 held), b 321.
  assert.equal(statement.heldTotal, 193);
  assert.deepEqual(statement.payouts, [{ artist: a, amount: 386 }, { artist: b, amount: 321 }]);
  const held = await money(node).holds({ month });
  assert.deepEqual(held.map((h) => [h.artist, h.amount]), [[a, 193]]);
  await assertBooksBalanced(node);
});
