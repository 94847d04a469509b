// Daily reports: per pseudonymous listener and artist, counted and held listening (rejected
// left out), hashed as the chaincode hashes; every unreported day up to yesterday in order;
// never twice; a rejection after the day was reported corrects it, a release does not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select, selectOne } from '../../server/db/index.js';
import { listeningService } from '../../server/listening/index.js';
import { reportDueDays, storedReports } from '../../server/listening/daily-report.js';
import { createSession, serve, progress, setListening, lenientRules, moveListenToDay } from './helpers.js';

let node: TestNode;
let days: string[]; // [D-3, D-2, D-1, today] in the node's time zone
let auditor: { token: string };
before(async () => {
  node = await startTestNode({ name: 'listenreport' });
  auditor = await node.user('auditor');
  const started = Date.now();
  const row = await selectOne<{ d: string[] }>(node.ctx.db, "SELECT array[(timezone(:tz, now())::date - 3)::text, (timezone(:tz, now())::date - 2)::text, (timezone(:tz, now())::date - 1)::text, timezone(:tz, now())::date::text] AS d", { tz: node.ctx.config.money.timeZone });
  days = row!.d;
  // Let the start-up tick pass (it finds nothing to report) so the test drives the reports.
  await new Promise((r) => setTimeout(r, Math.max(0, started + 2500 - Date.now())));
  await node.waitJobs();
});
after(async () => {
  await node?.stop();
});

async function listen(token: string, userId: string, channelName: string, seconds: number): Promise<{ id: string; status: string }> {
  const { sessionId, trackId } = await createSession(node, { userId, channelName });
  serve(node, sessionId, trackId, 0, 20, 4);
  const r = await progress(node, token, sessionId, seconds, seconds);
  assert.equal(r.body.qualified, true, r.text);
  return r.body.listen;
}

/** The daily reports the ledger accepted from this node, in ledger order (the auditors' transaction log). */
async function reportsOnLedger(): Promise<{ nodeId: string; day: string; hash: string; artistTotals: unknown; correctionOf?: string; reason?: string }[]> {
  const res = await node.api('GET', '/api/v1/ledger/transactions?fn=ReportContract:submit&limit=1000', { token: auditor.token });
  assert.equal(res.status, 200, res.text);
  return (res.body.data as { args: string[] }[]).map((tx) => JSON.parse(tx.args[0]));
}

const canonicalHash = (rows: { pseudonym: string; artist: string; seconds: number; plays: number }[]) => {
  // Written out here rather than imported, so the test checks the format itself.
  const sorted = [...rows].sort((a, b) => (a.pseudonym < b.pseudonym ? -1 : a.pseudonym > b.pseudonym ? 1 : a.artist < b.artist ? -1 : a.artist > b.artist ? 1 : 0));
  const json = `[${sorted.map((r) => `{"artist":${JSON.stringify(r.artist)},"plays":${r.plays},"pseudonym":${JSON.stringify(r.pseudonym)},"seconds":${r.seconds}}`).join(',')}]`;
  return createHash('sha256').update(json).digest('hex');
};

test('reports per pseudonym and artist, catches up missed days in order, never twice', async () => {
  setListening(node, lenientRules({ maxPlaysPerTrackPerDay: 1000 }));
  const svc = listeningService(node.ctx);
  const ann = await node.user('listener');
  const bob = await node.user('listener');
  const [d3, d2, d1, today] = days;
  const artist = (name: string) => `${node.ctx.config.publicUrl}/ap/channels/${name}`;
  // D-3: ann 40 s + 35 s of "alpha", bob 31 s of "alpha" and 50 s of "beta"; one held listen of bob.
  for (const [who, ch, s] of [[ann, 'alpha', 40], [ann, 'alpha', 35], [bob, 'alpha', 31], [bob, 'beta', 50]] as const) {
    await moveListenToDay(node, (await listen(who.token, who.user.id, ch, s)).id, d3);
  }
  const held = await listen(bob.token, bob.user.id, 'beta', 60);
  await node.ctx.db.query("UPDATE listens SET status = 'held', held_reason = 'test' WHERE id = :id", { replacements: { id: held.id } });
  await moveListenToDay(node, held.id, d3);
  // D-2: nothing. D-1: ann 32 s of "beta". Today: bob 45 s of "alpha" (not reported yet).
  await moveListenToDay(node, (await listen(ann.token, ann.user.id, 'beta', 32)).id, d1);
  await listen(bob.token, bob.user.id, 'alpha', 45);

  // D-2: three accounts from one address, counted when they qualified (the limit was high);
  // with the limit at 2, the end-of-day sweep holds all three before D-2 is reported.
  const farm: string[] = [];
  for (let i = 0; i < 3; i++) {
    const who = await node.user('listener');
    const { sessionId, trackId } = await createSession(node, { userId: who.user.id, channelName: 'alpha', ip: '10.66.0.1', userAgent: `agent-${i}` });
    serve(node, sessionId, trackId, 0, 10);
    const r = await progress(node, who.token, sessionId, 33, 33);
    assert.equal(r.body.listen.status, 'counted');
    await moveListenToDay(node, r.body.listen.id, d2);
    farm.push(r.body.listen.id);
  }
  setListening(node, lenientRules({ maxAccountsPerAddress: 2 }));
  await svc.segmentLog.flush(); // long done by the time a day is reported
  // An old segment serve, past the retention period: the daily job prunes it.
  await node.ctx.db.query(
    "INSERT INTO segment_serves (track_id, rendition, segment_index, start_seconds, duration_seconds, bytes, served_at) VALUES ('old-track', 'a', 0, 0, 4, 1, now() - interval '100 days')",
  );
  // The job was missed for a while: a run up to D-2 reports D-3 and D-2, the next run D-1.
  assert.deepEqual(await reportDueDays(node.ctx, svc.pseudonyms, d2), [d3, d2]);
  await node.ctx.jobs.enqueue('listening.daily-report', {});
  await node.waitJobs();
  // Run again (job and direct): nothing new.
  await node.ctx.jobs.enqueue('listening.daily-report', {});
  await node.waitJobs();
  assert.deepEqual(await reportDueDays(node.ctx, svc.pseudonyms), []);

  const old = await select(node.ctx.db, "SELECT 1 FROM segment_serves WHERE track_id = 'old-track'");
  assert.equal(old.length, 0, 'segment serves past retention are pruned');
  const recent = await select(node.ctx.db, 'SELECT 1 FROM segment_serves LIMIT 1');
  assert.equal(recent.length, 1, 'recent segment serves stay');

  const reports = await storedReports(node.ctx);
  assert.deepEqual(reports.map((r) => r.day), [d3, d2, d1]);
  const month3 = d3.slice(0, 7);
  const pa = await svc.pseudonym(ann.user.id, month3);
  const pb = await svc.pseudonym(bob.user.id, month3);
  const expected3 = [
    { pseudonym: pa, artist: artist('alpha'), seconds: 75, plays: 2 },
    { pseudonym: pb, artist: artist('alpha'), seconds: 31, plays: 1 },
    { pseudonym: pb, artist: artist('beta'), seconds: 110, plays: 2 }, // 50 counted + 60 held
  ].sort((a, b) => (a.pseudonym < b.pseudonym ? -1 : 1) || (a.artist < b.artist ? -1 : 1));
  const r3 = reports[0];
  assert.deepEqual(
    [...r3.rows].sort((a, b) => (a.pseudonym + a.artist < b.pseudonym + b.artist ? -1 : 1)),
    [...expected3].sort((a, b) => (a.pseudonym + a.artist < b.pseudonym + b.artist ? -1 : 1)),
  );
  assert.equal(r3.hash, canonicalHash(expected3));
  assert.deepEqual(r3.artistTotals, [
    { artist: artist('alpha'), seconds: 106, plays: 3 },
    { artist: artist('beta'), seconds: 110, plays: 2 },
  ]);
  assert.ok(!JSON.stringify(reports).includes(ann.user.id) && !JSON.stringify(reports).includes(bob.user.id), 'no raw account ids');
  const farmRows = await Promise.all(
    (await select<{ user_id: string }>(node.ctx.db, 'SELECT user_id FROM listens WHERE id IN (:ids)', { ids: farm })).map(async (l) => ({
      pseudonym: await svc.pseudonym(l.user_id, d2.slice(0, 7)),
      artist: artist('alpha'),
      seconds: 33,
      plays: 1,
    })),
  );
  assert.deepEqual(
    [...reports[1].rows].sort((a, b) => (a.pseudonym < b.pseudonym ? -1 : 1)),
    farmRows.sort((a, b) => (a.pseudonym < b.pseudonym ? -1 : 1)),
    'the swept listens of D-2 are held and still reported (the month close sets their money aside)',
  );
  const swept = await select<{ status: string; held_reason: string; rule: string; evidence: { sweptAtDayEnd: boolean; distinctAccounts: number; session: { segmentsServed: number } } }>(
    node.ctx.db,
    'SELECT l.status, l.held_reason, f.rule, f.evidence FROM listens l JOIN listening_flags f ON f.listen_id = l.id WHERE l.id IN (:ids)',
    { ids: farm },
  );
  assert.equal(swept.length, 3);
  for (const f of swept) {
    assert.deepEqual([f.status, f.held_reason, f.rule], ['held', 'accounts_per_address', 'accounts_per_address']);
    assert.equal(f.evidence.sweptAtDayEnd, true);
    assert.equal(f.evidence.distinctAccounts, 3);
    assert.equal(f.evidence.session.segmentsServed, 10);
  }
  assert.equal(reports[1].hash, canonicalHash(farmRows));
  assert.deepEqual(reports[2].rows, [{ pseudonym: await svc.pseudonym(ann.user.id, d1.slice(0, 7)), artist: artist('beta'), seconds: 32, plays: 1 }]);
  assert.ok(!reports.some((r) => r.day === today));

  // Each day went to the ledger exactly once, in order, and the chaincode accepted it.
  const submitted = await reportsOnLedger();
  assert.deepEqual(submitted.map((r) => r.day), [d3, d2, d1]);
  const first = submitted[0];
  assert.equal(first.nodeId, `${node.ctx.config.publicUrl}/ap/actor`);
  assert.equal(first.hash, r3.hash);
  const rowsOnLedger = await node.api('GET', `/api/v1/ledger/reports/rows?node=${encodeURIComponent(first.nodeId)}&day=${d3}`, { token: auditor.token });
  assert.equal(rowsOnLedger.status, 200, rowsOnLedger.text);
  assert.deepEqual(rowsOnLedger.body.data, r3.rows, 'the rows travelled in the transient map');

  // A dispute releases bob's held listen of D-3: it was reported already, nothing changes.
  await svc.resolveHeldListen(held.id, 'counted', 'dispute 42 decided: count it');
  await node.waitJobs();
  assert.equal((await reportsOnLedger()).length, 3, 'no correction for a release');
  assert.equal((await storedReports(node.ctx)).find((r) => r.day === d3)!.version, 1);

  // A dispute rejects one of the swept listens of D-2: D-2's report is corrected (version 2).
  await svc.resolveHeldListen(farm[0], 'rejected', 'dispute 43 decided: a farm');
  await node.waitJobs();
  const [corrected] = (await storedReports(node.ctx)).filter((r) => r.day === d2);
  assert.equal(corrected.version, 2);
  assert.equal(corrected.rows.length, 2);
  assert.equal(corrected.hash, canonicalHash(corrected.rows));
  const onLedger = await reportsOnLedger();
  assert.equal(onLedger.length, 4, 'the chaincode accepted the correction');
  const body = onLedger[3];
  assert.equal(body.correctionOf, `${first.nodeId}#${d2}#1`);
  assert.equal(body.reason, 'dispute 43 decided: a farm');
  assert.deepEqual(body.artistTotals, [{ artist: artist('alpha'), seconds: 66, plays: 2 }]);
  // Rejecting it again is refused; the reports do not change.
  await assert.rejects(svc.resolveHeldListen(farm[0], 'rejected'), { code: 'not_held' });
  // The month figures (counted + held) and the reports agree.
  const month = (await svc.qualifiedSeconds(month3)).filter((r) => [ann.user.id, bob.user.id].includes(r.userId));
  const reportedSeconds = (await storedReports(node.ctx)).filter((r) => r.day.startsWith(month3)).flatMap((r) => r.rows).filter((r) => [pa, pb].includes(r.pseudonym)).reduce((a, r) => a + r.seconds, 0);
  const todays = today.startsWith(month3) ? 45 : 0; // bob's listen of today is not reported yet
  assert.equal(month.reduce((a, r) => a + r.seconds, 0), reportedSeconds + todays);
  assert.ok(month.some((r) => r.held === false && r.userId === bob.user.id), 'released listening is counted in the month figures');
});
