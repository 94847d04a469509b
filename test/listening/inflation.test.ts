// Listening cannot be inflated cheaply: a 206 credits only the served bytes' share of the
// segment's time span, a listen's growth after qualifying is checked against its session's wall
// clock (and the day's, at the end-of-day sweep), and Listens from other nodes are checked (public track, length, time, per-actor cap).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select, selectOne } from '../../server/db/index.js';
import { listeningService } from '../../server/listening/index.js';
import { mediaService } from '../../server/media/index.js';
import { FrontLogMeter } from '../../server/media/front-log-meter.js';
import { sweepDay } from '../../server/listening/day-sweep.js';
import { federationService } from '../../server/federation/index.js';
import { processInboxItem } from '../../server/federation/process/process.js';
import { createSession, serve, progress, setListening, lenientRules, uploadTrack } from './helpers.js';

let node: TestNode;
let track: Awaited<ReturnType<typeof uploadTrack>>;
let segments: string[];
before(async () => {
  node = await startTestNode({ name: 'listeninfl', overrides: { media: { audioBitratesKbps: [64] } } });
  setListening(node, lenientRules());
  track = await uploadTrack(node, 40);
  const rendition = track.track.streaming.renditions[0];
  const playlist = await node.api('GET', new URL(rendition.playlistUrl).pathname);
  assert.equal(playlist.status, 200, playlist.text);
  segments = String(playlist.text)
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => new URL(l, rendition.playlistUrl).pathname);
  assert.ok(segments.length >= 8, playlist.text);
});
after(async () => {
  await node?.stop();
});

async function startPlay(token: string): Promise<string> {
  const res = await node.api('POST', '/api/v1/plays', { token, body: { trackId: track.trackId } });
  assert.equal(res.status, 201, res.text);
  return res.body.sessionId as string;
}

async function getRange(segment: string, sessionId: string, range?: string) {
  const res = await fetch(node.url + segment, { headers: { 'x-play-session': sessionId, ...(range ? { range } : {}) } });
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, bytes: body.length, contentRange: res.headers.get('content-range') };
}

test('a few bytes of every segment by Range, many times, do not qualify a listen', async () => {
  const { token } = await node.user('listener');
  const sessionId = await startPlay(token);
  for (const segment of segments) {
    for (let i = 0; i < 10; i++) {
      const r = await getRange(segment, sessionId, `bytes=${i * 2}-${i * 2 + 1}`);
      assert.equal(r.status, 206);
      assert.equal(r.bytes, 2);
    }
    // The same bytes again count no more.
    for (let i = 0; i < 10; i++) assert.equal((await getRange(segment, sessionId, 'bytes=0-1')).status, 206);
  }
  const res = await progress(node, token, sessionId, 40, 40);
  assert.equal(res.status, 200, res.text);
  // 20 distinct bytes of each segment (a few hundred bytes long here): their share of its 4 s.
  assert.ok(res.body.coveredSeconds < 10, `covered ${res.body.coveredSeconds} s from a few bytes a segment`);
  assert.equal(res.body.qualified, false);
  await listeningService(node.ctx).segmentLog.flush();
  const [row] = await select<{ byte_start: string; segment_bytes: string; bytes: string }>(
    node.ctx.db,
    'SELECT byte_start, segment_bytes, bytes FROM segment_serves WHERE session_id = :sessionId ORDER BY id LIMIT 1',
    { sessionId },
  );
  assert.equal(Number(row.byte_start), 0);
  assert.equal(Number(row.bytes), 2);
  assert.ok(Number(row.segment_bytes) > 40, JSON.stringify(row));
});

test('a segment fetched as two ranges counts whole; a full fetch counts whole', async () => {
  const { token } = await node.user('listener');
  const sessionId = await startPlay(token);
  for (const [i, segment] of segments.entries()) {
    if (i % 2) {
      assert.equal((await getRange(segment, sessionId)).status, 200);
      continue;
    }
    const first = await getRange(segment, sessionId, 'bytes=0-99');
    const size = Number(/\/(\d+)$/.exec(first.contentRange ?? '')?.[1]);
    assert.ok(size > 100, String(first.contentRange));
    assert.equal((await getRange(segment, sessionId, 'bytes=100-')).status, 206);
  }
  const res = await progress(node, token, sessionId, 39, 39);
  assert.equal(res.body.coveredSeconds, 39);
  assert.equal(res.body.qualified, true);
});

test('ranges nginx served (front access log) credit only their share of the segment', async () => {
  const { token } = await node.user('listener');
  const sessionId = await startPlay(token);
  const dir = mkdtempSync(path.join(tmpdir(), 'nt-infl-'));
  try {
    const file = path.join(dir, 'front.log');
    const streaming = mediaService(node.ctx).streaming;
    const entry = await streaming.streamEntry(track.trackId);
    const lines = segments.map((segment) => {
      const size = entry.files.get(segment.split('/').slice(-2).join('/'))!.bytes;
      return JSON.stringify({ t: Date.now() / 1000, s: 206, b: 4, m: 'GET', u: segment, ps: sessionId, ip: '10.2.3.4', ua: 'front', cr: `bytes 20-23/${size}` });
    });
    // An older log line without the content range: placed at the segment's start.
    lines.push(JSON.stringify({ t: Date.now() / 1000, s: 206, b: 4, m: 'GET', u: segments[0], ps: sessionId, ip: '10.2.3.4', ua: 'front' }));
    appendFileSync(file, lines.join('\n') + '\n');
    const meter = new FrontLogMeter({ file, cursorFile: path.join(dir, 'cursor.json'), streaming, segmentSeconds: node.ctx.config.media.segmentSeconds, log: node.ctx.logger, pollMs: 60_000 });
    await meter.poll();
    await meter.stop();
    assert.equal(meter.stats().metered, segments.length + 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const res = await progress(node, token, sessionId, 40, 40);
  assert.ok(res.body.coveredSeconds < 2, `covered ${res.body.coveredSeconds} s`);
  assert.equal(res.body.qualified, false);
});

test('growth after qualifying faster than the wall clock is held with evidence', async () => {
  setListening(node, lenientRules({ wallClockToleranceSeconds: 15 }));
  try {
    const { user, token } = await node.user('listener');
    const { sessionId, trackId } = await createSession(node, { userId: user.id, startedSecondsAgo: 40, durationSeconds: 600 });
    serve(node, sessionId, trackId, 0, 100); // [0, 400) served at once
    const first = await progress(node, token, sessionId, 35, 35);
    assert.equal(first.body.listen.status, 'counted');
    assert.equal(first.body.listen.qualifiedSeconds, 35);
    // 40 s after the start the player claims 400 s played: the growth is checked again.
    const grown = await progress(node, token, sessionId, 400, 400);
    assert.equal(grown.status, 200, grown.text);
    assert.equal(grown.body.listen.qualifiedSeconds, 400);
    assert.equal(grown.body.listen.status, 'held');
    assert.equal(grown.body.listen.heldReason, 'listening_exceeds_wall_clock');
    const [flag] = await select<{ rule: string; evidence: any }>(node.ctx.db, 'SELECT rule, evidence FROM listening_flags WHERE listen_id = :id', { id: first.body.listen.id });
    assert.equal(flag.rule, 'listening_exceeds_wall_clock');
    assert.equal(flag.evidence.afterQualifying, true);
    assert.equal(flag.evidence.countedSecondsBefore, 35);
    assert.equal(flag.evidence.session.coveredSeconds, 400);
    // Listening at the speed of time keeps growing as counted.
    const { user: u2, token: t2 } = await node.user('listener');
    const calm = await createSession(node, { userId: u2.id, startedSecondsAgo: 60, durationSeconds: 600 });
    serve(node, calm.sessionId, calm.trackId, 0, 20);
    assert.equal((await progress(node, t2, calm.sessionId, 35, 35)).body.listen.status, 'counted');
    const ok = await progress(node, t2, calm.sessionId, 60, 60);
    assert.equal(ok.body.listen.status, 'counted');
    assert.equal(ok.body.listen.qualifiedSeconds, 60);
  } finally {
    setListening(node, lenientRules());
  }
});

test('sessions side by side that together outrun the clock are held by the end-of-day sweep', async () => {
  setListening(node, lenientRules({ wallClockToleranceSeconds: 15 }));
  try {
    const { user, token } = await node.user('listener');
    // Two sessions started 100 s ago, each playing at the speed of time: each keeps to its own clock.
    const a = await createSession(node, { userId: user.id, startedSecondsAgo: 100, durationSeconds: 600 });
    const b = await createSession(node, { userId: user.id, startedSecondsAgo: 100, durationSeconds: 600 });
    for (const x of [a, b]) {
      serve(node, x.sessionId, x.trackId, 0, 25);
      assert.equal((await progress(node, token, x.sessionId, 35, 35)).body.listen.status, 'counted');
    }
    // Growth is checked against each session's own clock only: both stay counted...
    for (const x of [a, b]) assert.equal((await progress(node, token, x.sessionId, 90, 90)).body.listen.status, 'counted');
    // ...and the day's sweep, before the day is reported, sees 180 s listened in 100 s.
    const [{ day }] = await select<{ day: string }>(node.ctx.db, "SELECT day::text AS day FROM listens WHERE user_id = :id LIMIT 1", { id: user.id });
    const held = await node.ctx.db.transaction((t) => sweepDay(node.ctx, listeningService(node.ctx).pseudonyms, day, t));
    assert.ok(held >= 2, String(held));
    const rows = await select<{ status: string; held_reason: string; evidence: any }>(
      node.ctx.db,
      `SELECT l.status, l.held_reason, f.evidence FROM listens l JOIN listening_flags f ON f.listen_id = l.id AND f.rule = 'listening_exceeds_wall_clock' WHERE l.user_id = :id`,
      { id: user.id },
    );
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.status, 'held');
      assert.equal(r.held_reason, 'listening_exceeds_wall_clock');
      assert.equal(r.evidence.sweptAtDayEnd, true);
      assert.ok(r.evidence.listeningSeconds > r.evidence.wallClockSeconds + 15, JSON.stringify(r.evidence));
    }
  } finally {
    setListening(node, lenientRules());
  }
});

test('a long idle session lends no wall-clock time to another session', async () => {
  setListening(node, lenientRules({ wallClockToleranceSeconds: 15 }));
  try {
    const { user, token } = await node.user('listener');
    // Session A: started an hour ago, 32 s really played, still reporting.
    const a = await createSession(node, { userId: user.id, startedSecondsAgo: 3600 });
    serve(node, a.sessionId, a.trackId, 0, 8);
    assert.equal((await progress(node, token, a.sessionId, 32, 32)).body.listen.status, 'counted');
    // Session B: started now, claims 120 s at once.
    const b = await createSession(node, { userId: user.id });
    serve(node, b.sessionId, b.trackId, 0, 30);
    const res = await progress(node, token, b.sessionId, 120, 120);
    assert.equal(res.body.listen.status, 'held');
    assert.equal(res.body.listen.heldReason, 'listening_exceeds_wall_clock');
    const flag = await selectOne<{ evidence: any }>(node.ctx.db, 'SELECT evidence FROM listening_flags WHERE listen_id = :id', { id: res.body.listen.id });
    assert.equal(flag!.evidence.sessionCoveredSeconds, 120);
    assert.ok(flag!.evidence.sessionWallClockSeconds < 10, String(flag!.evidence.sessionWallClockSeconds));
  } finally {
    setListening(node, lenientRules());
  }
});

test('remote Listens: public tracks only, within the length, the time window and the per-actor daily cap', async () => {
  const svc = listeningService(node.ctx);
  const actor = `https://other.example/ap/users/${randomUUID().slice(0, 8)}`;
  let n = 0;
  const listen = (over: Record<string, unknown> = {}) => ({ activityId: `https://other.example/ap/l/${randomUUID()}-${++n}`, actorUri: actor, trackId: track.trackId, seconds: 35, at: new Date().toISOString(), ...over });
  const refused = async (over: Record<string, unknown>, code: string) => {
    await assert.rejects(svc.recordRemoteListen(listen(over)), (err: any) => {
      assert.equal(err.code, code, String(err.message));
      return true;
    });
  };
  assert.deepEqual(await svc.recordRemoteListen(listen()), { created: true });
  // Longer than the track (40 s): refused, not capped.
  await refused({ seconds: 500 }, 'remote_listen_too_long');
  // In the future beyond the skew, or older than the window.
  await refused({ at: new Date(Date.now() + 3600_000).toISOString() }, 'remote_listen_in_future');
  assert.deepEqual(await svc.recordRemoteListen(listen({ at: new Date(Date.now() + 30_000).toISOString() })), { created: true });
  await refused({ at: new Date(Date.now() - 400 * 86_400_000).toISOString() }, 'remote_listen_too_old');
  // A track that is not public.
  const hidden = await uploadTrack(node, 12);
  const patch = await node.api('PATCH', `/api/v1/tracks/${hidden.trackId}`, { token: hidden.artist.token, body: { visibility: 'unlisted' } });
  assert.equal(patch.status, 200, patch.text);
  await refused({ trackId: hidden.trackId, seconds: 10 }, 'remote_listen_track_not_public');
  // The per-actor daily cap (plays, then seconds); another actor is not affected.
  setListening(node, { ...lenientRules(), remoteListens: { maxPlaysPerActorPerDay: 3, maxSecondsPerActorPerDay: 100_000 } });
  try {
    assert.deepEqual(await svc.recordRemoteListen(listen()), { created: true });
    await refused({}, 'remote_listen_daily_cap');
    assert.deepEqual(await svc.recordRemoteListen(listen({ actorUri: `${actor}-2` })), { created: true });
    setListening(node, { ...lenientRules(), remoteListens: { maxSecondsPerActorPerDay: 70 } }); // actor-2 has 35 s
    await refused({ actorUri: `${actor}-2`, seconds: 40 }, 'remote_listen_daily_cap');
    assert.deepEqual(await svc.recordRemoteListen(listen({ actorUri: `${actor}-2`, seconds: 30 })), { created: true });
  } finally {
    setListening(node, lenientRules());
  }
  const [{ n: stored }] = await select<{ n: string }>(node.ctx.db, 'SELECT count(*) AS n FROM remote_listens WHERE actor_uri LIKE :a', { a: `${actor}%` });
  assert.equal(Number(stored), 5);
});

test('remote Listens backdated across days, or from many actors of one origin, are capped by arrival', async () => {
  const svc = listeningService(node.ctx);
  const host = `n${randomUUID().slice(0, 8)}.example`;
  const actor = `https://${host}/ap/users/a`;
  const listen = (over: Record<string, unknown> = {}) => ({ activityId: `https://${host}/ap/l/${randomUUID()}`, actorUri: actor, trackId: track.trackId, seconds: 35, at: new Date().toISOString(), ...over });
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
  setListening(node, { ...lenientRules(), remoteListens: { maxPlaysPerActorPerDay: 2, maxPlaysPerOriginPerDay: 3 } });
  try {
    // One listen on each of several past days: each day is under the per-day cap, but the actor
    // sent them all within the last 24 hours.
    assert.deepEqual(await svc.recordRemoteListen(listen({ at: daysAgo(10) })), { created: true });
    assert.deepEqual(await svc.recordRemoteListen(listen({ at: daysAgo(20) })), { created: true });
    await assert.rejects(svc.recordRemoteListen(listen({ at: daysAgo(30) })), (err: any) => err.code === 'remote_listen_daily_cap' && /last 24 hours/.test(err.message));
    // Another actor of the same origin: its own cap is free, the origin's is not, after one more.
    assert.deepEqual(await svc.recordRemoteListen(listen({ actorUri: `https://${host}/ap/users/b` })), { created: true });
    await assert.rejects(svc.recordRemoteListen(listen({ actorUri: `https://${host}/ap/users/c` })), (err: any) => err.code === 'remote_listen_daily_cap' && err.message.includes(host));
    // Another origin is not affected.
    assert.deepEqual(await svc.recordRemoteListen(listen({ actorUri: `https://other-${host}/ap/users/a` })), { created: true });
  } finally {
    setListening(node, lenientRules());
  }
});

test('a refused Listen activity is ignored with its reason on the inbox item', async () => {
  const federation = federationService(node.ctx);
  const activity = (id: string, seconds: number, extra: Record<string, unknown> = {}) => ({
    '@context': 'https://www.w3.org/ns/activitystreams',
    id,
    type: 'Listen',
    actor: 'https://far.example/ap/users/zed',
    object: `${node.ctx.config.publicUrl}/ap/tracks/${track.trackId}`,
    qualifiedSeconds: seconds,
    endTime: new Date().toISOString(),
    ...extra,
  });
  // Federation's inbox processing, end to end: the item it stored, processed, and what it kept on it.
  const inbox = async (body: Record<string, unknown>) => {
    const row = await selectOne<{ id: string }>(
      node.ctx.db,
      `INSERT INTO federation_inbox_items (activity_uri, actor_uri, type, body) VALUES (:uri, :actor, 'Listen', CAST(:body AS jsonb)) RETURNING id`,
      { uri: body.id, actor: body.actor, body: JSON.stringify(body) },
    );
    const result = await processInboxItem(federation, row!.id);
    const item = await selectOne<{ state: string; error: string | null }>(node.ctx.db, 'SELECT state, error FROM federation_inbox_items WHERE id = :id', { id: row!.id });
    return { result, ...item! };
  };
  const tooLong = await inbox(activity(`https://far.example/ap/l/${randomUUID()}`, 3000));
  assert.equal(tooLong.state, 'ignored');
  assert.match(String(tooLong.error), /remote_listen_too_long/);
  const future = await inbox(activity(`https://far.example/ap/l/${randomUUID()}`, 31, { endTime: new Date(Date.now() + 86_400_000).toISOString() }));
  assert.equal(future.state, 'ignored');
  assert.match(String(future.error), /remote_listen_in_future/);
  const good = await inbox(activity(`https://far.example/ap/l/${randomUUID()}`, 31));
  assert.equal(good.state, 'processed');
  assert.equal(good.error, null);
  const stored = await select(node.ctx.db, "SELECT 1 FROM remote_listens WHERE actor_uri = 'https://far.example/ap/users/zed'");
  assert.equal(stored.length, 1);
});
