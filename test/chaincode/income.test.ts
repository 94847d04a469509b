// IncomeContract: a node's daily per-artist tips and stream income, once per day, and the month
// statement summing them apart from the subscription split.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { monthDays, ORG1, ORG2, submitDay, World } from './world.js';

const N1 = 'https://one.example/actor';
const MONTH = '2026-10';
const ADA = 'https://music.example/channels/ada';
const BO = 'https://other.example/channels/bo';

async function setup(): Promise<World> {
  const w = new World();
  await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 });
  return w;
}

const income = (day: string, entries: unknown[], extra: Record<string, unknown> = {}) => ({ nodeId: N1, day, currency: 'USD', income: entries, ...extra });

test('a day\'s income is stored once, in canonical order; the same report again is a no-op, another is refused', async () => {
  const w = await setup();
  const first = await w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-02`, [{ artist: BO, streams: 50 }, { artist: ADA, tips: 300, streams: 0 }]));
  assert.deepEqual(first.income, [{ artist: ADA, tips: 300, streams: 0, metered: 0 }, { artist: BO, tips: 0, streams: 50, metered: 0 }]);
  const writes = w.writes.length;
  const again = await w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-02`, [{ artist: ADA, tips: 300 }, { artist: BO, streams: 50, tips: 0 }]));
  assert.equal(again.txId, first.txId, 'the stored record');
  assert.equal(w.writes.length, writes, 'nothing written');
  await assert.rejects(w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-02`, [{ artist: ADA, tips: 301 }])), /already reported its income of 2026-10-02/);
  const listed = await w.invoke(ORG1, 'IncomeContract:listForMonth', [N1, MONTH]);
  assert.equal(listed.length, 1);
});

test('bad income is refused with a message: other organisation, bad day, negative or empty amounts, duplicates', async () => {
  const w = await setup();
  await assert.rejects(w.submit(ORG2, 'IncomeContract:submit', income(`${MONTH}-03`, [{ artist: ADA, tips: 1 }])), /does not match node/);
  await assert.rejects(w.submit(ORG1, 'IncomeContract:submit', income('2026-02-30', [{ artist: ADA, tips: 1 }])), /calendar date/);
  await assert.rejects(w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-03`, [{ artist: ADA, tips: -1 }])), /integer >= 0/);
  await assert.rejects(w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-03`, [{ artist: ADA, tips: 0, streams: 0 }])), /must carry some income/);
  await assert.rejects(w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-03`, [{ artist: ADA, tips: 1 }, { artist: ADA, streams: 2 }])), /two entries/);
  await assert.rejects(w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-03`, 'lots' as unknown as unknown[])), /must be an array/);
  assert.deepEqual(await w.invoke(ORG1, 'IncomeContract:listForMonth', [N1, MONTH]), []);
});

test('the month statement sums the month\'s income per artist, apart from the split; a closed month takes no more', async () => {
  const w = await setup();
  await w.submit(ORG1, 'SubscriptionContract:record', { nodeId: N1, month: MONTH, pseudonym: 'p1', amount: 1000, currency: 'USD', kind: 'new' });
  await submitDay(w, ORG1, N1, `${MONTH}-01`, [{ pseudonym: 'p1', artist: ADA, seconds: 60, plays: 1 }]);
  await w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-01`, [{ artist: ADA, tips: 200 }]));
  await w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-05`, [{ artist: ADA, tips: 100, streams: 7, metered: 12 }, { artist: BO, streams: 40 }]));
  await w.submit(ORG1, 'IncomeContract:submit', income('2026-11-01', [{ artist: ADA, tips: 999 }]));
  const missingDays = monthDays(MONTH).filter((d) => d !== `${MONTH}-01`);
  const statement = await w.submit(ORG1, 'MonthCloseContract:close', { nodeId: N1, month: MONTH, nodeFee: 100, policy: 'refund', missingDays });
  assert.deepEqual(statement.income, [{ artist: ADA, tips: 300, streams: 7, metered: 12 }, { artist: BO, tips: 0, streams: 40, metered: 0 }]);
  assert.deepEqual(statement.incomeTotals, { tips: 300, streams: 47, metered: 12 });
  assert.deepEqual(statement.payouts, [{ artist: ADA, amount: 900 }], 'the split is the subscription\'s alone');
  await assert.rejects(w.submit(ORG1, 'IncomeContract:submit', income(`${MONTH}-09`, [{ artist: ADA, tips: 1 }])), /already closed/);
});
