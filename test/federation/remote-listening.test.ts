// "Listen from B reaches A": a listener on node B plays a track of an artist on node A
// through B's cache. B's listening sees the segment serves, qualifies the listen for the
// remote artist (so B's money can pay it as an obligation), and B sends a Listen to A,
// whose artist statistics show the remote play.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { listeningService } from '../../server/listening/index.js';
import { federationService } from '../../server/federation/index.js';
import { setListening, lenientRules } from '../listening/helpers.js';
import { startNodes, waitFor, hostOf, count } from './support.js';

let a: TestNode, b: TestNode;
let dir: string;
before(async () => {
  [a, b] = await startNodes(['rlisten-a', 'rlisten-b'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('rlisten');
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

test("a listener on B plays A's track through B: the listen qualifies on B for A's artist and reaches A", async () => {
  const artist = await makeArtist(a, 'far_band');
  const channelUri = `${a.ctx.config.publicUrl}/ap/channels/far_band`;
  const listener = await b.user('listener');
  const follow = await b.api('POST', '/api/v1/federation/follows', { token: listener.token, body: { handle: `far_band@${hostOf(a)}` } });
  assert.equal(follow.status, 201, follow.text);
  await waitFor('follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: listener.token })).body.data.find((f: any) => f.state === 'accepted'));

  const file = await makeAudio(dir, { seconds: 34, tags: { title: 'Far Away' } });
  const up = await upload(a, artist.token, artist.channel.id, file);
  assert.equal(up.status, 200, up.text);
  const trackId = up.body.trackId as string;
  assert.equal((await waitTrack(a, artist.token, trackId)).status, 'ready');
  const remote = await waitFor('track listed on B', async () =>
    (await b.api('GET', '/api/v1/federation/tracks')).body.data.find((t: any) => t.uri === `${a.ctx.config.publicUrl}/ap/tracks/${trackId}`),
  );

  // Play on B (the wall-clock rule would hold a 34 s play fetched in a second).
  setListening(b, lenientRules());
  const play = await b.api('POST', '/api/v1/plays', { token: listener.token, body: { trackId: remote.id } });
  assert.equal(play.status, 201, play.text);
  const sessionId = play.body.sessionId as string;
  const headers = { 'x-play-session': sessionId };
  const base = `${b.ctx.config.publicUrl}/api/v1/federation/tracks/${remote.id}/hls/`;
  const master = await (await fetch(`${base}master.m3u8`, { headers })).text();
  const playlistPath = master.split('\n').find((l) => l && !l.startsWith('#'))!;
  const playlistUrl = new URL(playlistPath, `${base}master.m3u8`).href;
  const playlist = await (await fetch(playlistUrl, { headers })).text();
  const segments = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(segments.length >= 8, playlist);
  for (const s of segments) {
    const res = await fetch(new URL(s, playlistUrl).href, { headers });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }

  // B's listening covers the served remote segments: the listen qualifies for A's artist.
  const listen = await waitFor('listen qualified on B', async () => {
    const r = await b.api('POST', `/api/v1/plays/${sessionId}/progress`, { token: listener.token, body: { positionSeconds: 33, playedSeconds: 33, state: 'playing' } });
    assert.equal(r.status, 200, r.text);
    return r.body.listen;
  });
  assert.equal(listen.status, 'counted');
  assert.equal(listen.artist, channelUri);
  assert.ok(listen.qualifiedSeconds >= 30, JSON.stringify(listen));
  // A remote segment is logged after its response finished and its timing was looked up: the
  // last one may still be on its way when the listen qualifies.
  const served = await waitFor('every served segment logged', async () => {
    await listeningService(b.ctx).segmentLog.flush();
    const n = await count(b, 'segment_serves', `session_id = '${sessionId}'`);
    return n >= segments.length ? n : undefined;
  }, 10_000).catch(async () => count(b, 'segment_serves', `session_id = '${sessionId}'`));
  assert.equal(served, segments.length, 'every remote segment served through B is in B\'s log');

  // B's month figures name the remote artist (no local owner): money pays it as an obligation.
  const month = listen.day.slice(0, 7);
  const rows = (await listeningService(b.ctx).qualifiedSeconds(month)).filter((r) => r.userId === listener.user.id);
  assert.deepEqual(
    rows.map((r) => ({ artist: r.artist, artistUserId: r.artistUserId, held: r.held, plays: r.plays, trackId: r.tracks[0].trackId })),
    [{ artist: channelUri, artistUserId: null, held: false, plays: 1, trackId: remote.id }],
  );

  // A receives the Listen: stored once and counted in the artist's statistics as remote.
  await waitFor('remote listen on A', async () => (await count(a, 'remote_listens', `track_id = '${trackId}'`)) === 1);
  const stats = await a.api('GET', '/api/v1/me/stats', { token: artist.token });
  assert.equal(stats.status, 200, stats.text);
  assert.equal(stats.body.totals.remotePlays, 1);
  assert.ok(stats.body.totals.remoteSeconds >= 30);
  assert.equal(stats.body.tracks[0].trackId, trackId);

  // A second play the same day is held (one play per track per day here): not announced to A
  // until a dispute counts it.
  setListening(b, lenientRules({ maxPlaysPerTrackPerDay: 1 }));
  const again = await b.api('POST', '/api/v1/plays', { token: listener.token, body: { trackId: remote.id } });
  assert.equal(again.status, 201, again.text);
  for (const s of segments) await (await fetch(new URL(s, playlistUrl).href, { headers: { 'x-play-session': again.body.sessionId } })).arrayBuffer();
  const held = await waitFor('second listen qualified on B', async () => {
    const r = await b.api('POST', `/api/v1/plays/${again.body.sessionId}/progress`, { token: listener.token, body: { positionSeconds: 33, playedSeconds: 33, state: 'playing' } });
    return r.status === 200 ? r.body.listen : undefined;
  });
  assert.equal(held.status, 'held');
  await b.waitJobs();
  await a.waitJobs();
  assert.equal(await count(a, 'remote_listens', `track_id = '${trackId}'`), 1, 'held listening is not announced');
  await listeningService(b.ctx).resolveHeldListen(held.id, 'counted', 'dispute decided');
  await waitFor('released listen on A', async () => (await count(a, 'remote_listens', `track_id = '${trackId}'`)) === 2);

  // A listen held after it qualified (and was announced), then released, is emitted again: its
  // Listen carries an id derived from the listen's, so it is not queued a second time.
  await b.ctx.db.query(`UPDATE listens SET status = 'held' WHERE id = :id`, { replacements: { id: listen.id } });
  await listeningService(b.ctx).resolveHeldListen(listen.id, 'counted', 'dispute decided');
  const resent = await federationService(b.ctx).sendListen({ listenId: listen.id, userId: listener.user.id, remoteTrackId: remote.id, qualifiedSeconds: 33 });
  assert.equal(resent.inboxes, 0, 'the Listen of a listen already announced is not queued again');
  await b.waitJobs();
  await a.waitJobs();
  assert.equal(await count(b, 'federation_outbox', `type = 'Listen'`), 2);
  assert.equal(await count(a, 'remote_listens', `track_id = '${trackId}'`), 2);
});
