// End to end through media: upload a track, stream its segments with X-Play-Session,
// report progress, and the listen qualifies only once 30 s were really served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select } from '../../server/db/index.js';
import { listeningService } from '../../server/listening/index.js';
import { setListening, lenientRules, uploadTrack } from './helpers.js';

let node: TestNode;
let track: Awaited<ReturnType<typeof uploadTrack>>;
before(async () => {
  node = await startTestNode({ name: 'listene2e' });
  setListening(node, lenientRules());
  track = await uploadTrack(node, 37);
});
after(async () => {
  await node?.stop();
});

/** The segment URLs of the track's first rendition, from its HLS playlist. */
async function segmentUrls(): Promise<string[]> {
  const rendition = track.track.streaming.renditions[0];
  const playlistUrl: string = rendition.playlistUrl;
  const text = await (await fetch(playlistUrl)).text();
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => new URL(l, playlistUrl).toString());
}

test('segments fetched with X-Play-Session make the listen qualify at 30 s', async () => {
  const listener = await node.user('listener');
  const start = await node.api('POST', '/api/v1/plays', { token: listener.token, body: { trackId: track.trackId } });
  assert.equal(start.status, 201, start.text);
  const sessionId: string = start.body.sessionId;
  assert.equal(start.body.header, 'X-Play-Session');
  const urls = await segmentUrls();
  assert.ok(urls.length >= 8, `segments: ${urls.length}`);
  const segSeconds = node.ctx.config.media.segmentSeconds;

  // Only the first 5 segments (20 s) are served: a claim of 32 s does not qualify.
  for (const url of urls.slice(0, 5)) {
    const res = await fetch(url, { headers: { 'x-play-session': sessionId, authorization: `Bearer ${listener.token}` } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  // The same segments fetched without the session header count for nobody.
  for (const url of urls.slice(5, 9)) await (await fetch(url)).arrayBuffer();
  const early = await node.api('POST', `/api/v1/plays/${sessionId}/progress`, { token: listener.token, body: { positionSeconds: 32, playedSeconds: 32, state: 'playing' } });
  assert.equal(early.status, 200, early.text);
  assert.equal(early.body.qualified, false);
  assert.ok(Math.abs(early.body.coveredSeconds - 5 * segSeconds) < 0.2, String(early.body.coveredSeconds));

  for (const url of urls.slice(5, 9)) {
    const res = await fetch(url, { headers: { 'x-play-session': sessionId } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  const later = await node.api('POST', `/api/v1/plays/${sessionId}/progress`, { token: listener.token, body: { positionSeconds: 33, playedSeconds: 33, state: 'playing' } });
  assert.equal(later.body.qualified, true, later.text);
  assert.equal(later.body.listen.status, 'counted');
  assert.equal(later.body.listen.artist, `${node.ctx.config.publicUrl}/ap/channels/${track.channelName}`);
  assert.ok(later.body.listen.qualifiedSeconds >= 30 && later.body.listen.qualifiedSeconds <= 33);

  // The log has what was served: 9 segments to the session, 4 without one.
  await listeningService(node.ctx).segmentLog.flush();
  const rows = await select<{ with_session: string; without: string }>(
    node.ctx.db,
    'SELECT count(*) FILTER (WHERE session_id = :sessionId) AS with_session, count(*) FILTER (WHERE session_id IS NULL) AS without FROM segment_serves WHERE track_id = :trackId',
    { sessionId, trackId: track.trackId },
  );
  assert.equal(Number(rows[0].with_session), 9);
  assert.equal(Number(rows[0].without), 4);

  // The artist's statistics show it.
  const stats = await node.api('GET', '/api/v1/me/stats', { token: track.artist.token });
  assert.equal(stats.body.totals.localPlays, 1);
});

test('a play session needs a track that exists and is ready', async () => {
  const listener = await node.user('listener');
  assert.equal((await node.api('POST', '/api/v1/plays', { token: listener.token, body: { trackId: '00000000-0000-4000-8000-000000000000' } })).status, 404);
  assert.equal((await node.api('POST', '/api/v1/plays', { token: listener.token, body: {} })).status, 400);
  assert.equal((await node.api('POST', '/api/v1/plays', { body: { trackId: track.trackId } })).status, 401);
});
