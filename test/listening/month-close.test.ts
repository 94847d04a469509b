// Listening → daily reports → money's month close → the chaincode's MonthCloseContract:close.
// Held listening is part of the reported rows; money passes it as `held` and the chaincode
// sets its share aside: both sides agree, the close is not refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { listeningService } from '../../server/listening/index.js';
import { reportDueDays, storedReports } from '../../server/listening/daily-report.js';
import { ledgerService } from '../../server/ledger/index.js';
import { accounts } from '../../server/money/index.js';
import { assertBooksBalanced, balanceOf, credit, money } from '../money/helpers.js';
import { createSession, serve, progress, setListening, lenientRules, moveListenToDay } from './helpers.js';

let node: TestNode;
before(async () => {
  // The test drives the daily reports itself (no background tick reporting up to today).
  node = await startTestNode({ name: 'listenclose', overrides: { listening: { dailyReport: { enabled: false } } } });
  await node.waitJobs(); // the node joins the ledger's registry first
});
after(async () => {
  await node?.stop();
});

test('held listening is reported, passed as held at month close, and the chaincode agrees with the books', async () => {
  const month = '2025-02';
  const [d27, d28] = [`${month}-27`, `${month}-28`];
  setListening(node, { ...lenientRules({ maxPlaysPerTrackPerDay: 1 }), dailyReport: { enabled: false } });
  const svc = listeningService(node.ctx);
  const x = await node.user('artist');
  const y = await node.user('artist');
  const uri = (name: string) => `${node.ctx.config.publicUrl}/ap/channels/${name}`;
  const ann = await node.user('listener');
  const bob = await node.user('listener');
  for (const l of [ann, bob]) {
    await credit(node, l.user.id, 1000);
    await money(node).subscriptions.subscribe(l.user.id, new Date(`${month}-03T12:00:00Z`));
  }

  const trackX = randomUUID();
  const play = async (who: { token: string; user: { id: string } }, channelName: string, ownerId: string, trackId: string, seconds: number) => {
    const { sessionId } = await createSession(node, { userId: who.user.id, trackId, channelName, channelId: `ch-${channelName}`, ownerId });
    serve(node, sessionId, trackId, 0, 20, 4);
    const r = await progress(node, who.token, sessionId, seconds, seconds);
    assert.equal(r.body.qualified, true, r.text);
    return r.body.listen as { id: string; status: string; heldReason: string | null };
  };
  // ann: two plays of the same track of "xband" (the second is held: one play per track per day),
  // and one of "yband"; bob: one play of "yband".
  const first = await play(ann, 'xband', x.user.id, trackX, 40);
  const second = await play(ann, 'xband', x.user.id, trackX, 60);
  const third = await play(ann, 'yband', y.user.id, randomUUID(), 50);
  const fourth = await play(bob, 'yband', y.user.id, randomUUID(), 70);
  assert.equal(first.status, 'counted');
  assert.deepEqual([second.status, second.heldReason], ['held', 'plays_per_track_per_day']);
  for (const [l, day] of [[first, d27], [second, d27], [third, d28], [fourth, d28]] as const) await moveListenToDay(node, l.id, day);

  // The daily reports of the 27th and the 28th: the held 60 s are in ann's "xband" row.
  assert.deepEqual(await reportDueDays(node.ctx, svc.pseudonyms, d28), [d27, d28]);
  await node.waitJobs();
  const pa = await svc.pseudonym(ann.user.id, month);
  const reports = await storedReports(node.ctx);
  assert.deepEqual(reports.find((r) => r.day === d27)!.rows, [{ pseudonym: pa, artist: uri('xband'), seconds: 100, plays: 2 }]);
  const ledger = ledgerService(node.ctx);
  const onLedger = (await ledger.evaluate('ReportContract:listForMonth', [ledger.nodeId, month])) as { day: string }[];
  assert.deepEqual(onLedger.map((r) => r.day).sort(), [d27, d28], 'the chaincode accepted both days');

  // money: the held row is passed as `held`; the close reconciles with the ledger.
  const figures = await svc.qualifiedSeconds(month);
  assert.deepEqual(
    figures.filter((r) => r.userId === ann.user.id && r.artist === uri('xband')).map((r) => [r.seconds, r.held]).sort(),
    [[40, false], [60, true]],
  );
  const heldBefore = await balanceOf(node, accounts.held().key);
  const state = await money(node).closeMonth(month);
  assert.equal(state.status, 'closed', state.error ?? '');
  assert.equal(state.steps.reconcile.withLedger, true);
  const statement = (await ledger.evaluate('MonthCloseContract:getStatement', [ledger.nodeId, month])) as { heldTotal: number; payouts: { artist: string; amount: number }[]; missingDays: string[] };
  assert.ok(statement.heldTotal > 0, 'the chaincode set the held share aside');
  assert.equal(await balanceOf(node, accounts.held().key), heldBefore + statement.heldTotal, 'books and chaincode hold the same');
  assert.equal(statement.missingDays.length, 26, 'the days before the first listen were listed as missing');
  const holds = await money(node).holds({ month, userId: ann.user.id });
  assert.deepEqual(holds.map((h) => [h.artist, h.status]), [[uri('xband'), 'held']]);
  assert.equal(holds[0].amount, statement.heldTotal);
  assert.ok(statement.payouts.some((p) => p.artist === uri('xband') && p.amount > 0), 'the counted part is paid');
  await assertBooksBalanced(node);
});
