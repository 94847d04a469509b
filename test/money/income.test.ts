// Income besides the split on the ledger (decision 0306): a day's tips and stream withdrawals go
// to IncomeContract once, from the tick for yesterday or before a month's close, and the close's
// statement shows them apart, checked against the books.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { ledgerService } from '../../server/ledger/index.js';
import { select } from '../../server/db/index.js';
import { compositeKey } from '../../server/ledger/audit.js';
import { assertBooksBalanced, credit, money, TestSecondsSource } from './helpers.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'money-income' });
  await node.waitJobs(); // the node joins the ledger's registry first
  money(node).setQualifiedSecondsSource(new TestSecondsSource(), { reconcileWithLedger: true });
});
after(async () => {
  await node?.stop();
});

test('a day\'s tips and stream withdrawals reach the ledger once; the month\'s statement shows them apart', async () => {
  const day = new Date().toISOString().slice(0, 10); // money.timeZone is UTC here
  const month = day.slice(0, 7);
  const tomorrow = new Date(Date.parse(`${day}T05:00:00Z`) + 86_400_000);
  const artist = await makeArtist(node, 'income_band');
  const fan = await node.user('listener');
  await credit(node, fan.user.id, 5000);
  const tip = await node.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: 'income_band', amount: 700 } });
  assert.equal(tip.status, 201, tip.text);
  const stream = await node.api('POST', '/api/v1/streams', { token: fan.token, body: { recipient: artist.user.id, amount: 100, durationSeconds: 1 } });
  assert.equal(stream.status, 201, stream.text);
  await new Promise((r) => setTimeout(r, 1100));
  const withdrawn = await node.api('POST', `/api/v1/streams/${stream.body.id}/withdraw`, { token: artist.token, body: {} });
  assert.equal(withdrawn.status, 200, withdrawn.text);

  const channel = `${node.ctx.config.publicUrl}/ap/channels/income_band`;
  const user = `${node.ctx.config.publicUrl}/ap/users/${artist.user.username}`;
  assert.deepEqual(await money(node).income.figures(day), [channel, user].sort().map((a) => (a === channel ? { artist: a, tips: 700, streams: 0, metered: 0 } : { artist: a, tips: 0, streams: 100, metered: 0 })));

  // The tick of the next morning reports the day; a second tick reports nothing more.
  await money(node).tick(tomorrow);
  await money(node).tick(new Date(tomorrow.getTime() + 3_600_000));
  const reported = await select<{ outbox_id: string }>(node.ctx.db, 'SELECT outbox_id FROM money_income_reports');
  assert.equal(reported.length, 1, 'the tick reported the day, once');
  const id = await money(node).income.report(day);
  assert.equal(id, reported[0].outbox_id, 'asked again: the same report');
  const ledger = ledgerService(node.ctx);
  await ledger.waitForOutbox(id!);
  const onLedger = (await ledger.evaluate('IncomeContract:listForMonth', [ledger.nodeId, month])) as { day: string; income: { artist: string; tips: number; streams: number }[] }[];
  assert.equal(onLedger.length, 1);
  assert.equal(onLedger[0].day, day);
  assert.equal(onLedger[0].income.reduce((a, e) => a + e.tips + e.streams, 0), 800);
  assert.equal(await money(node).income.report('2001-01-01'), null, 'a day without such income sends nothing');

  const state = await money(node).closeMonth(month, { allowCurrentMonth: true });
  assert.equal(state.status, 'closed', JSON.stringify(state));
  const statement = (await ledger.evaluate('MonthCloseContract:getStatement', [ledger.nodeId, month])) as { incomeTotals: { tips: number; streams: number }; income: unknown[]; payouts: unknown[] };
  assert.deepEqual(statement.incomeTotals, { tips: 700, streams: 100, metered: 0 });
  assert.equal(statement.income.length, 2);
  assert.deepEqual(statement.payouts, [], 'apart from the split');
  await assertBooksBalanced(node);

  // Auditors recompute the statement's income from the month's days; a changed figure is caught.
  const auditor = await node.user('auditor');
  const recompute = () => node.api('GET', `/api/v1/ledger/recompute?node=${encodeURIComponent(ledger.nodeId)}&month=${month}`, { token: auditor.token });
  const r = await recompute();
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.matches, true, JSON.stringify(r.body));
  assert.deepEqual(r.body.income.map((i: { recomputed: unknown; matches: boolean }) => [i.recomputed, i.matches]), [channel, user].sort().map((a) => [a === channel ? { tips: 700, streams: 0, metered: 0 } : { tips: 0, streams: 100, metered: 0 }, true]));
  const key = Buffer.from(compositeKey('statement', [ledger.nodeId, month]), 'utf8');
  const [{ value }] = await select<{ value: Buffer }>(node.ctx.db, "SELECT value FROM ledger_state WHERE collection = '' AND key = :key", { key });
  const altered = JSON.parse(value.toString('utf8'));
  altered.income[0].tips += 1;
  await node.ctx.db.query("UPDATE ledger_state SET value = :v WHERE collection = '' AND key = :key", { replacements: { v: Buffer.from(JSON.stringify(altered)), key } });
  try {
    const wrong = await recompute();
    assert.equal(wrong.body.matches, false);
    assert.equal(wrong.body.income.filter((i: { matches: boolean }) => !i.matches).length, 1);
  } finally {
    await node.ctx.db.query("UPDATE ledger_state SET value = :v WHERE collection = '' AND key = :key", { replacements: { v: value, key } });
  }
});
