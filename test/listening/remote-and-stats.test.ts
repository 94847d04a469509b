// Listens from other nodes (idempotent by activity id) and the artist's statistics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select } from '../../server/db/index.js';
import { listeningService } from '../../server/listening/index.js';
import { createSession, serve, progress, setListening, lenientRules, uploadTrack } from './helpers.js';

let node: TestNode;
let track: Awaited<ReturnType<typeof uploadTrack>>;
before(async () => {
  node = await startTestNode({ name: 'listenremote' });
  setListening(node, lenientRules());
  track = await uploadTrack(node, 12);
});
after(async () => {
  await node?.stop();
});

test('a remote Listen is recorded once per activity id', async () => {
  const svc = listeningService(node.ctx);
  const listen = { activityId: 'https://other.example/ap/activities/listen-1', actorUri: 'https://other.example/ap/users/ann', trackId: track.trackId, seconds: 9.7, at: new Date().toISOString() };
  assert.deepEqual(await svc.recordRemoteListen(listen), { created: true });
  assert.deepEqual(await svc.recordRemoteListen(listen), { created: false });
  assert.deepEqual(await svc.recordRemoteListen({ ...listen, seconds: 500 }), { created: false });
  const rows = await select<{ seconds: number; channel_owner_id: string }>(node.ctx.db, 'SELECT seconds, channel_owner_id FROM remote_listens WHERE activity_id = :id', { id: listen.activityId });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].seconds, 9);
  assert.equal(rows[0].channel_owner_id, track.artist.user.id);
  // More seconds than the track lasts, unknown tracks and bad input are refused.
  await assert.rejects(svc.recordRemoteListen({ ...listen, activityId: 'https://other.example/ap/activities/listen-2', seconds: 5000 }), /longer than the track/);
  await svc.recordRemoteListen({ ...listen, activityId: 'https://other.example/ap/activities/listen-2', seconds: 12 });
  await assert.rejects(svc.recordRemoteListen({ ...listen, activityId: 'https://other.example/x/3', trackId: '00000000-0000-4000-8000-000000000000' }), /not found/i);
  await assert.rejects(svc.recordRemoteListen({ ...listen, activityId: 'not a uri' }));
  // Remote listening is not this node's to pay: it is not in the month figures.
  const month = new Date().toISOString().slice(0, 7);
  assert.equal((await svc.qualifiedSeconds(month)).filter((r) => r.artistChannelId === track.track.channel.id).length, 0);
});

test('artists see plays and seconds per track and day, local and remote', async () => {
  const svc = listeningService(node.ctx);
  const listener = await node.user('listener');
  const { sessionId } = await createSession(node, {
    userId: listener.user.id,
    trackId: track.trackId,
    channelId: track.track.channel.id,
    channelName: track.channelName,
    ownerId: track.artist.user.id,
    durationSeconds: 100,
  });
  serve(node, sessionId, track.trackId, 0, 10);
  const p = await progress(node, listener.token, sessionId, 31, 31);
  assert.equal(p.body.qualified, true);
  await svc.recordRemoteListen({ activityId: 'https://third.example/ap/l/9', actorUri: 'https://third.example/ap/users/bo', trackId: track.trackId, seconds: 7, at: new Date().toISOString() });

  const res = await node.api('GET', '/api/v1/me/stats', { token: track.artist.token });
  assert.equal(res.status, 200, res.text);
  const t = res.body.tracks.find((x: { trackId: string }) => x.trackId === track.trackId);
  assert.ok(t, res.text);
  assert.equal(t.localPlays, 1);
  assert.equal(t.localSeconds, 31);
  assert.equal(t.remotePlays, 3);
  const [listen2] = await select<{ seconds: number }>(node.ctx.db, "SELECT seconds FROM remote_listens WHERE activity_id LIKE '%listen-2'");
  assert.equal(t.remoteSeconds, 9 + listen2.seconds + 7);
  assert.equal(t.plays, 4);
  assert.equal(t.days.length, 1);
  assert.equal(t.days[0].localPlays, 1);
  assert.equal(res.body.totals.plays, 4);
  // Money's month figures name the artist by actor URI, channel and owner.
  const [row] = (await svc.qualifiedSeconds(p.body.listen.day.slice(0, 7))).filter((r) => r.userId === listener.user.id);
  assert.deepEqual(
    { artist: row.artist, artistChannelId: row.artistChannelId, artistUserId: row.artistUserId, seconds: row.seconds, plays: row.plays, held: row.held, tracks: row.tracks },
    { artist: `${node.ctx.config.publicUrl}/ap/channels/${track.channelName}`, artistChannelId: track.track.channel.id, artistUserId: track.artist.user.id, seconds: 31, plays: 1, held: false, tracks: [{ trackId: track.trackId, seconds: 31, plays: 1 }] },
  );
  // Another artist sees none of it; listeners cannot ask.
  const other = await node.user('artist');
  assert.deepEqual((await node.api('GET', '/api/v1/me/stats', { token: other.token })).body.tracks, []);
  assert.equal((await node.api('GET', '/api/v1/me/stats', { token: listener.token })).status, 403);
  assert.equal((await node.api('GET', '/api/v1/me/stats?from=yesterday', { token: track.artist.token })).status, 400);
});
