// A listen qualifies after 30 s of playback covered by segments the node really served to
// that play session; claims beyond what was served do not count.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select } from '../../server/db/index.js';
import { listeningService } from '../../server/listening/index.js';
import { createSession, serve, progress, setListening, lenientRules } from './helpers.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'listenq' });
  setListening(node, lenientRules());
});
after(async () => {
  await node?.stop();
});

test('claims without served segments do not qualify', async () => {
  const { user, token } = await node.user('listener');
  const { sessionId } = await createSession(node, { userId: user.id });
  const res = await progress(node, token, sessionId, 60, 60);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.qualified, false);
  assert.equal(res.body.coveredSeconds, 0);
  assert.equal(res.body.claimedSeconds, 60);
  const listens = await select(node.ctx.db, 'SELECT * FROM listens WHERE session_id = :sessionId', { sessionId });
  assert.equal(listens.length, 0);
});

test('claims beyond the served segments do not count', async () => {
  const { user, token } = await node.user('listener');
  const { sessionId, trackId } = await createSession(node, { userId: user.id });
  serve(node, sessionId, trackId, 0, 4); // [0, 16)
  const res = await progress(node, token, sessionId, 60, 60);
  assert.equal(res.body.coveredSeconds, 16);
  assert.equal(res.body.qualified, false);
  // Segments served to another session, or of another track, do not help either.
  const other = await createSession(node, { userId: user.id, trackId });
  serve(node, other.sessionId, trackId, 4, 12);
  serve(node, sessionId, 'another-track', 4, 12);
  const again = await progress(node, token, sessionId, 60, 60);
  assert.equal(again.body.coveredSeconds, 16);
  assert.equal(again.body.qualified, false);
});

test('the 30 s threshold is exact', async () => {
  const { user, token } = await node.user('listener');
  const { sessionId, trackId } = await createSession(node, { userId: user.id });
  serve(node, sessionId, trackId, 0, 10); // [0, 40)
  const below = await progress(node, token, sessionId, 29.9, 29.9);
  assert.equal(below.body.qualified, false);
  assert.equal(below.body.coveredSeconds, 29.9);
  const at = await progress(node, token, sessionId, 30, 30);
  assert.equal(at.status, 200);
  assert.equal(at.body.qualified, true);
  assert.equal(at.body.listen.status, 'counted');
  assert.equal(at.body.listen.qualifiedSeconds, 30);
  assert.equal(at.body.listen.userId, user.id);
  assert.equal(at.body.listen.artist, `${node.ctx.config.publicUrl}/ap/channels/band`);
  // Listening goes on: the listen grows with what is served and played, only once.
  const more = await progress(node, token, sessionId, 38, 38);
  assert.equal(more.body.listen.qualifiedSeconds, 38);
  assert.equal(more.body.listen.id, at.body.listen.id);
  const rows = await select<{ n: string }>(node.ctx.db, 'SELECT count(*) AS n FROM listens WHERE session_id = :sessionId', { sessionId });
  assert.equal(Number(rows[0].n), 1);
});

test('playback pieces add up only where they were served (seek, gaps)', async () => {
  const { user, token } = await node.user('listener');
  const { sessionId, trackId } = await createSession(node, { userId: user.id });
  serve(node, sessionId, trackId, 0, 5); // [0, 20)
  serve(node, sessionId, trackId, 10, 15); // [40, 60)
  await progress(node, token, sessionId, 20, 20); // played [0, 20)
  // Seeked to 40 and played 15 s more: [45, 60) claimed, all served.
  const r1 = await progress(node, token, sessionId, 60, 35);
  assert.equal(r1.body.coveredSeconds, 35);
  assert.equal(r1.body.qualified, true);
});

test('the served log is read both from the buffer and from the database', async () => {
  const { user, token } = await node.user('listener');
  const { sessionId, trackId } = await createSession(node, { userId: user.id });
  serve(node, sessionId, trackId, 0, 5);
  await listeningService(node.ctx).segmentLog.flush();
  serve(node, sessionId, trackId, 5, 8); // still buffered
  const res = await progress(node, token, sessionId, 32, 32);
  assert.equal(res.body.coveredSeconds, 32);
  assert.equal(res.body.qualified, true);
});

test("a listener cannot report on someone else's session, nor after it ended", async () => {
  const a = await node.user('listener');
  const b = await node.user('listener');
  const { sessionId, trackId } = await createSession(node, { userId: a.user.id });
  serve(node, sessionId, trackId, 0, 2);
  assert.equal((await progress(node, b.token, sessionId, 5, 5)).status, 404);
  assert.equal((await progress(node, a.token, 'not-a-uuid', 5, 5)).status, 404);
  assert.equal((await node.api('POST', `/api/v1/plays/${sessionId}/progress`, { body: { positionSeconds: 1, playedSeconds: 1, state: 'playing' } })).status, 401);
  assert.equal((await progress(node, a.token, sessionId, -1, 5)).status, 400);
  assert.equal((await progress(node, a.token, sessionId, 8, 8, 'ended')).status, 200);
  assert.equal((await progress(node, a.token, sessionId, 8, 8)).status, 409);
});
