// Each anomaly rule holds the listen it fires on (never counted silently, never dropped)
// and records its evidence, which admins see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { listeningService } from '../../server/listening/index.js';
import { createSession, serve, progress, setListening, lenientRules, type SessionInput } from './helpers.js';

let node: TestNode;
let admin: { token: string };
before(async () => {
  node = await startTestNode({ name: 'listenanom' });
  admin = await node.user('admin');
});
after(async () => {
  await node?.stop();
});

/** One play that qualifies with 32 s served and played; returns the progress reply. */
async function play(token: string, s: SessionInput) {
  const { sessionId, trackId } = await createSession(node, s);
  serve(node, sessionId, trackId, 0, 8);
  const res = await progress(node, token, sessionId, 32, 32);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.qualified, true);
  return res.body;
}

async function flagsOf(listenId: string) {
  const res = await node.api('GET', '/api/v1/admin/listening/flags?limit=200', { token: admin.token });
  assert.equal(res.status, 200, res.text);
  return (res.body.items as any[]).filter((f) => f.listen.id === listenId);
}

test('plays per track per listener per day above the limit are held', async () => {
  setListening(node, lenientRules({ maxPlaysPerTrackPerDay: 2 }));
  const { user, token } = await node.user('listener');
  const trackId = randomUUID();
  const first = await play(token, { userId: user.id, trackId });
  const second = await play(token, { userId: user.id, trackId });
  assert.equal(first.listen.status, 'counted');
  assert.equal(second.listen.status, 'counted');
  const third = await play(token, { userId: user.id, trackId });
  assert.equal(third.listen.status, 'held');
  assert.equal(third.listen.heldReason, 'plays_per_track_per_day');
  // Another track is not affected.
  assert.equal((await play(token, { userId: user.id })).listen.status, 'counted');
  const [flag] = await flagsOf(third.listen.id);
  assert.equal(flag.rule, 'plays_per_track_per_day');
  assert.equal(flag.evidence.playsThatDay, 3);
  assert.equal(flag.evidence.limit, 2);
  assert.equal(flag.evidence.earlierQualifiedAt.length, 2);
  assert.equal(flag.evidence.session.segmentsServed, 8);
  assert.equal(flag.evidence.session.distinctSegments, 8);
  assert.equal(flag.evidence.session.coveredSeconds, 32);
  assert.equal(flag.listen.userId, user.id);
  assert.match(flag.listen.pseudonym, /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(flag.evidence).includes(user.id), 'evidence is pseudonymous');
});

test('listening longer than wall-clock time (parallel sessions) is held', async () => {
  setListening(node, lenientRules({ wallClockToleranceSeconds: 5 }));
  const { user, token } = await node.user('listener');
  // Two sessions started 35 s ago, both playing 32 s: 64 s of listening in 35 s.
  const a = await play(token, { userId: user.id, startedSecondsAgo: 35 });
  assert.equal(a.listen.status, 'counted');
  const b = await play(token, { userId: user.id, startedSecondsAgo: 35 });
  assert.equal(b.listen.status, 'held');
  const [flag] = await flagsOf(b.listen.id);
  assert.equal(flag.rule, 'listening_exceeds_wall_clock');
  assert.equal(flag.evidence.listeningSeconds, 64);
  assert.ok(flag.evidence.wallClockSeconds >= 35 && flag.evidence.wallClockSeconds < 59, String(flag.evidence.wallClockSeconds));
  assert.equal(flag.evidence.sessions.length, 2);
  // A single play claiming 32 s a moment after it started is held the same way.
  const { user: u2, token: t2 } = await node.user('listener');
  const quick = await play(t2, { userId: u2.id });
  assert.equal(quick.listen.status, 'held');
  assert.equal(quick.listen.heldReason, 'listening_exceeds_wall_clock');
});

test('many accounts from one address, or one device, are held', async () => {
  setListening(node, lenientRules({ maxAccountsPerAddress: 2, maxAccountsPerDevice: 1000 }));
  const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const results = [];
  for (let i = 0; i < 3; i++) {
    const { user, token } = await node.user('listener');
    results.push(await play(token, { userId: user.id, ip, userAgent: `agent-${i}` }));
  }
  assert.deepEqual(results.map((r) => r.listen.status), ['counted', 'counted', 'held']);
  const [flag] = await flagsOf(results[2].listen.id);
  assert.equal(flag.rule, 'accounts_per_address');
  assert.equal(flag.evidence.distinctAccounts, 3);
  assert.equal(flag.evidence.accounts.length, 3);
  assert.match(flag.evidence.addressHash, /^[0-9a-f]{32}$/);
  assert.ok(!JSON.stringify(flag.evidence).includes(ip), 'the address is hashed');

  setListening(node, lenientRules({ maxAccountsPerDevice: 1 }));
  const ip2 = `10.8.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  const one = await node.user('listener');
  const two = await node.user('listener');
  assert.equal((await play(one.token, { userId: one.user.id, ip: ip2, userAgent: 'same-browser' })).listen.status, 'counted');
  const held = await play(two.token, { userId: two.user.id, ip: ip2, userAgent: 'same-browser' });
  assert.equal(held.listen.status, 'held');
  assert.equal(held.listen.heldReason, 'accounts_per_device');
  const [dflag] = await flagsOf(held.listen.id);
  assert.equal(dflag.evidence.userAgent, 'same-browser');
  assert.equal(dflag.evidence.distinctAccounts, 2);
});

test('a burst of very short repeated plays is held', async () => {
  setListening(node, lenientRules({ burstMaxShortPlays: 3, shortPlaySeconds: 45, burstWindowSeconds: 600 }));
  const { user, token } = await node.user('listener');
  for (let i = 0; i < 3; i++) {
    const { sessionId, trackId } = await createSession(node, { userId: user.id });
    serve(node, sessionId, trackId, 0, 3);
    const r = await progress(node, token, sessionId, 10, 10, 'ended');
    assert.equal(r.body.coveredSeconds, 10);
  }
  const held = await play(token, { userId: user.id });
  assert.equal(held.listen.status, 'held');
  assert.equal(held.listen.heldReason, 'short_play_burst');
  const [flag] = await flagsOf(held.listen.id);
  assert.equal(flag.evidence.shortPlaysInWindow, 3);
  assert.equal(flag.evidence.plays.length, 3);
  assert.ok(flag.evidence.plays.every((p: { coveredSeconds: number }) => p.coveredSeconds === 10));
});

test('held listening stays visible: in the month figures as held, listed for admins only', async () => {
  setListening(node, lenientRules({ maxPlaysPerTrackPerDay: 1 }));
  const { user, token } = await node.user('listener');
  const trackId = randomUUID();
  await play(token, { userId: user.id, trackId });
  const held = await play(token, { userId: user.id, trackId });
  assert.equal(held.listen.status, 'held');
  const month = held.listen.day.slice(0, 7);
  const rows = (await listeningService(node.ctx).qualifiedSeconds(month)).filter((r) => r.userId === user.id);
  assert.deepEqual(
    rows.map((r) => ({ held: r.held, seconds: r.seconds, plays: r.plays })).sort((a, b) => Number(a.held) - Number(b.held)),
    [
      { held: false, seconds: 32, plays: 1 },
      { held: true, seconds: 32, plays: 1 },
    ],
  );
  const listener = await node.user('listener');
  assert.equal((await node.api('GET', '/api/v1/admin/listening/flags', { token: listener.token })).status, 403);
  const onlyHeld = await node.api('GET', '/api/v1/admin/listening/flags?status=held&limit=1', { token: admin.token });
  assert.equal(onlyHeld.status, 200);
  assert.equal(onlyHeld.body.items.length, 1);
  assert.ok(onlyHeld.body.total >= 5);
  // The listener sees their own listening, counted and held, per artist.
  const mine = await node.api('GET', `/api/v1/me/listens?month=${month}`, { token });
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual(mine.body.artists, [{ artist: held.listen.artist, seconds: 32, plays: 1, heldSeconds: 32, heldPlays: 1 }]);
  assert.deepEqual(mine.body.listens.map((l: { status: string }) => l.status).sort(), ['counted', 'held']);
  assert.equal((await node.api('GET', '/api/v1/me/listens?month=2026-13', { token })).status, 400);
  // A dispute sees the listener's held listens for the artist, with what was served.
  const evidence = await listeningService(node.ctx).heldListens(user.id, held.listen.artist, month);
  assert.equal(evidence.length, 1);
  assert.equal(evidence[0].listenId, held.listen.id);
  assert.deepEqual(evidence[0].rules, ['plays_per_track_per_day']);
  assert.equal(evidence[0].segmentsServed, 8);
  assert.equal(evidence[0].qualifiedSeconds, 32);
  // A dispute's outcome releases or rejects it.
  await listeningService(node.ctx).resolveHeldListen(held.listen.id, 'counted');
  assert.equal((await listeningService(node.ctx).getListen(held.listen.id))?.status, 'counted');
  await assert.rejects(listeningService(node.ctx).resolveHeldListen(held.listen.id, 'rejected'), /not held/);
});
