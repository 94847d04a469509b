// ReportContract: public totals + hash, private rows from the transient map (sinon-stubbed stub, see world.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { artistTotals, chaincode, ORG1, ORG2, submitDay, World } from './world.js';

const N1 = 'https://one.example/actor';
const A = 'https://one.example/artists/a';
const B = 'https://two.example/artists/b';

const rows = [
  { pseudonym: 'p2', artist: A, seconds: 120, plays: 2 },
  { pseudonym: 'p1', artist: B, seconds: 45, plays: 1 },
  { pseudonym: 'p1', artist: A, seconds: 60, plays: 1 },
];

async function world(): Promise<World> {
  const w = new World();
  await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 });
  return w;
}

test('submit stores public totals and the rows as the organisation\'s private data', async () => {
  const w = await world();
  const report = await submitDay(w, ORG1, N1, '2026-10-03', rows);
  assert.equal(report.version, 1);
  assert.equal(report.reportKey, `${N1}#2026-10-03#1`);
  assert.equal(report.collection, 'reportRows_Org1MSP');
  assert.deepEqual(report.artistTotals, [
    { artist: A, plays: 3, seconds: 180 },
    { artist: B, plays: 1, seconds: 45 },
  ]);
  assert.equal(report.hash, chaincode.reportRowsHash(rows));
  // no pseudonym reaches public state
  for (const v of w.state.values()) assert.ok(!Buffer.from(v).toString().includes('p1'));
  const stored = [...w.privateState.get('reportRows_Org1MSP')!.values()].map((v) => JSON.parse(Buffer.from(v).toString()));
  assert.deepEqual(stored, [[rows[2], rows[1], rows[0]].map((r) => ({ artist: r.artist, plays: r.plays, pseudonym: r.pseudonym, seconds: r.seconds }))]);
  assert.deepEqual(await w.invoke(ORG1, 'ReportContract:get', [N1, '2026-10-03']), report);
  assert.deepEqual((await w.invoke(ORG1, 'ReportContract:getRows', [N1, '2026-10-03'])).length, 3);
  await assert.rejects(w.invoke(ORG2, 'ReportContract:getRows', [N1, '2026-10-03']), /does not match node/);
  assert.equal(await w.invoke(ORG1, 'ReportContract:get', [N1, '2026-10-04']), null);
  assert.deepEqual(w.events.at(-1), { tx: report.txId, name: 'ReportSubmitted', payload: { hash: report.hash, nodeId: N1, day: '2026-10-03', reportKey: report.reportKey, version: 1 } });
});

test('a second report for the same day is refused; a correction naming the current one replaces it', async () => {
  const w = await world();
  const first = await submitDay(w, ORG1, N1, '2026-10-03', rows);
  await assert.rejects(submitDay(w, ORG1, N1, '2026-10-03', rows), /already reported 2026-10-03; send a correction/);
  const corrected = rows.map((r) => (r.pseudonym === 'p2' ? { ...r, seconds: 90 } : r));
  await assert.rejects(submitDay(w, ORG1, N1, '2026-10-03', corrected, { correctionOf: 'something-else' }), /is not the current report/);
  const second = await submitDay(w, ORG1, N1, '2026-10-03', corrected, { correctionOf: first.reportKey, reason: 'double-counted segment' });
  assert.equal(second.version, 2);
  assert.equal(second.correctionOf, first.reportKey);
  assert.equal(second.reason, 'double-counted segment');
  // the superseded version is not the current one any more; the txId of the current one also works
  await assert.rejects(submitDay(w, ORG1, N1, '2026-10-03', rows, { correctionOf: first.reportKey }), /is not the current report/);
  const third = await submitDay(w, ORG1, N1, '2026-10-03', rows, { correctionOf: second.txId });
  assert.equal(third.version, 3);
  assert.equal((await w.invoke(ORG1, 'ReportContract:get', [N1, '2026-10-03'])).version, 3);
  assert.equal(w.privateState.get('reportRows_Org1MSP')!.size, 3, 'every version keeps its rows');
  await assert.rejects(submitDay(w, ORG1, N1, '2026-10-04', rows, { correctionOf: first.reportKey }), /has no report for 2026-10-04/);
  await submitDay(w, ORG1, N1, '2026-10-01', rows);
  const month = await w.invoke(ORG1, 'ReportContract:listForMonth', [N1, '2026-10']);
  assert.deepEqual(month.map((r: { day: string; version: number }) => [r.day, r.version]), [['2026-10-01', 1], ['2026-10-03', 3]]);
});

test('a report from an unregistered node or from another organisation is refused', async () => {
  const w = await world();
  await assert.rejects(submitDay(w, ORG1, 'https://ghost.example/actor', '2026-10-03', rows), /is not registered/);
  await assert.rejects(submitDay(w, ORG2, N1, '2026-10-03', rows), /caller organisation "Org2MSP" does not match/);
  assert.equal(w.privateState.size, 0);
});

test('hash mismatch, totals that do not sum, missing transient rows and bad rows are refused', async () => {
  const w = await world();
  const day = '2026-10-03';
  await assert.rejects(submitDay(w, ORG1, N1, day, rows, { hash: 'a'.repeat(64) }), /hash mismatch/);
  await assert.rejects(submitDay(w, ORG1, N1, day, rows, { hash: 'not-a-hash' }), /sha256 hex/);
  const badTotals = artistTotals(rows).map((t) => (t.artist === A ? { ...t, seconds: t.seconds + 1 } : t));
  await assert.rejects(submitDay(w, ORG1, N1, day, rows, { artistTotals: badTotals }), /rows of artist ".*a" sum to 180s\/3 plays, artistTotals say 181s/);
  await assert.rejects(submitDay(w, ORG1, N1, day, rows, { artistTotals: [...artistTotals(rows), { artist: 'x', seconds: 0, plays: 0 }] }), /list artist "x" that no row has/);
  await assert.rejects(submitDay(w, ORG1, N1, day, rows, { artistTotals: artistTotals(rows).slice(1) }), /rows list artist/);
  await assert.rejects(
    w.submit(ORG1, 'ReportContract:submit', { nodeId: N1, day, artistTotals: artistTotals(rows), hash: chaincode.reportRowsHash(rows) }),
    /transient map under "rows"/,
  );
  await assert.rejects(submitDay(w, ORG1, N1, day, [...rows, rows[0]]), /two rows for the same pseudonym and artist/);
  await assert.rejects(submitDay(w, ORG1, N1, day, [{ ...rows[0], seconds: -1 }]), /"seconds" must be an integer >= 0/);
  await assert.rejects(submitDay(w, ORG1, N1, '2026-02-30', rows), /calendar date/);
  assert.equal(await w.invoke(ORG1, 'ReportContract:get', [N1, day]), null, 'nothing was stored');
});
