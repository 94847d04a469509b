// Playlists: create, order, edit, list, delete with their domain events; who may see them
// and which tracks they show.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from './support.js';
import { mediaService } from '../../server/media/index.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let other: Awaited<ReturnType<typeof makeArtist>>;
const trackIds: string[] = [];
const events: { name: string; payload: any }[] = [];

before(async () => {
  node = await startTestNode({ name: 'media-playlists', overrides: { media: { audioBitratesKbps: [64] } } });
  for (const name of ['playlist.changed', 'playlist.deleted'] as const) node.ctx.events.on(name, (payload) => void events.push({ name, payload }));
  dir = mediaDir('playlists');
  artist = await makeArtist(node, 'pl_artist');
  other = await makeArtist(node, 'pl_other');
  for (const [i, f] of [220, 330, 440].entries()) {
    const file = await makeAudio(dir, { format: 'mp3', seconds: 2, frequency: f, name: `t${i}.mp3` });
    const res = await upload(node, artist.token, artist.channel.id, file);
    assert.equal(res.status, 200, res.text);
    trackIds.push(res.body.trackId);
  }
  for (const id of trackIds) assert.equal((await waitTrack(node, artist.token, id)).status, 'ready');
});

after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const waitEvent = async (pred: (e: { name: string; payload: any }) => boolean) => {
  for (let i = 0; i < 100 && !events.some(pred); i++) await new Promise((r) => setTimeout(r, 20));
  return events.find(pred);
};

test('a channel playlist: create, set the order, edit, list, delete, with events after commit', async () => {
  const created = await node.api('POST', '/api/v1/playlists', { token: artist.token, body: { title: 'Night drive', description: 'slow ones', visibility: 'public', channelId: artist.channel.id } });
  assert.equal(created.status, 201, created.text);
  const id = created.body.id;
  assert.deepEqual(created.body.channel, { id: artist.channel.id, name: 'pl_artist', displayName: 'Channel pl_artist' });
  assert.equal(created.body.owner.id, artist.user.id);
  assert.deepEqual(created.body.tracks, []);
  assert.ok(await waitEvent((e) => e.name === 'playlist.changed' && e.payload.playlistId === id));

  const order = [trackIds[2], trackIds[0], trackIds[1]];
  const patched = await node.api('PATCH', `/api/v1/playlists/${id}`, { token: artist.token, body: { title: 'Night drive II', trackIds: order } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.title, 'Night drive II');
  assert.deepEqual(patched.body.tracks.map((t: { id: string }) => t.id), order);
  assert.ok(patched.body.tracks[0].streaming.masterPlaylistUrl, 'tracks carry their streaming URLs');
  assert.equal(patched.body.tracks[0].filesDir, undefined, 'no server paths');

  // Anyone reads it; the service view federation uses has the same order.
  const anon = await node.api('GET', `/api/v1/playlists/${id}`);
  assert.deepEqual(anon.body.tracks.map((t: { id: string }) => t.id), order);
  const svc = await mediaService(node.ctx).getPlaylist(id);
  assert.equal(svc?.name, 'Night drive II');
  assert.equal(svc?.channel?.name, 'pl_artist');
  assert.deepEqual(svc?.tracks.map((t) => t.id), order);

  const listed = await node.api('GET', '/api/v1/playlists?channel=pl_artist');
  assert.deepEqual(listed.body.data.map((p: { id: string }) => p.id), [id]);
  assert.equal((await node.api('GET', `/api/v1/playlists?channel=${artist.channel.id}`)).body.total, 1);
  assert.equal((await node.api('GET', '/api/v1/playlists?channel=pl_other')).body.total, 0);

  // Only the owner (or an admin) edits or deletes.
  assert.equal((await node.api('PATCH', `/api/v1/playlists/${id}`, { token: other.token, body: { title: 'Mine now' } })).status, 403);
  assert.equal((await node.api('DELETE', `/api/v1/playlists/${id}`, { token: other.token })).status, 403);
  assert.equal((await node.api('DELETE', `/api/v1/playlists/${id}`)).status, 401);
  assert.equal((await node.api('DELETE', `/api/v1/playlists/${id}`, { token: artist.token })).status, 204);
  const deleted = await waitEvent((e) => e.name === 'playlist.deleted' && e.payload.playlistId === id);
  assert.equal(deleted?.payload.channelId, artist.channel.id);
  assert.equal(deleted?.payload.apId, `${node.ctx.config.publicUrl}/ap/playlists/${id}`);
  assert.equal((await node.api('GET', `/api/v1/playlists/${id}`)).status, 404);
});

test('playlists show only the ready tracks the viewer may see; private ones only to their owner', async () => {
  const listener = await node.user('listener');
  // A listener's own playlist of public tracks; another's channel is refused.
  const refused = await node.api('POST', '/api/v1/playlists', { token: listener.token, body: { title: 'x', channelId: artist.channel.id } });
  assert.equal(refused.status, 403);
  assert.equal((await node.api('POST', '/api/v1/playlists', { token: listener.token, body: {} })).status, 400);
  const mine = await node.api('POST', '/api/v1/playlists', { token: listener.token, body: { title: 'Faves', visibility: 'private' } });
  assert.equal(mine.status, 201, mine.text);
  assert.equal(mine.body.channel, null);
  const id = mine.body.id;
  assert.equal((await node.api('PATCH', `/api/v1/playlists/${id}`, { token: listener.token, body: { trackIds: [trackIds[0], trackIds[1]] } })).status, 200);

  // Private playlist: invisible to others and absent from public listings.
  assert.equal((await node.api('GET', `/api/v1/playlists/${id}`)).status, 404);
  assert.equal((await node.api('GET', `/api/v1/playlists/${id}`, { token: other.token })).status, 404);
  assert.ok(!(await node.api('GET', '/api/v1/playlists')).body.data.some((p: { id: string }) => p.id === id));
  const me = await node.api('GET', '/api/v1/me/playlists', { token: listener.token });
  assert.deepEqual(me.body.data.map((p: { id: string }) => p.id), [id]);

  // The artist makes a track private: it drops out of the listener's playlist, and can no longer be added.
  const before = events.length;
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${trackIds[1]}`, { token: artist.token, body: { visibility: 'private' } })).status, 200);
  assert.ok(await waitEvent((e) => events.indexOf(e) >= before && e.name === 'playlist.changed' && e.payload.playlistId === id), 'playlists holding the track change');
  const seen = await node.api('GET', `/api/v1/playlists/${id}`, { token: listener.token });
  assert.deepEqual(seen.body.tracks.map((t: { id: string }) => t.id), [trackIds[0]]);
  const bad = await node.api('PATCH', `/api/v1/playlists/${id}`, { token: listener.token, body: { trackIds: [trackIds[1]] } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.detail, new RegExp(trackIds[1]));
  // The owner of the track still sees it in their own playlist.
  const own = await node.api('POST', '/api/v1/playlists', { token: artist.token, body: { title: 'Drafts', visibility: 'unlisted' } });
  const ownPatched = await node.api('PATCH', `/api/v1/playlists/${own.body.id}`, { token: artist.token, body: { trackIds: [trackIds[1]] } });
  assert.deepEqual(ownPatched.body.tracks.map((t: { id: string }) => t.id), [trackIds[1]]);
  assert.deepEqual((await node.api('GET', `/api/v1/playlists/${own.body.id}`)).body.tracks, [], 'others do not see the private track');
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${trackIds[1]}`, { token: artist.token, body: { visibility: 'public' } })).status, 200);

  // Deleting a track removes it from playlists and announces the change.
  const file = await makeAudio(dir, { format: 'mp3', seconds: 2, frequency: 550, name: 'gone.mp3' });
  const up = await upload(node, artist.token, artist.channel.id, file);
  await waitTrack(node, artist.token, up.body.trackId);
  await node.api('PATCH', `/api/v1/playlists/${id}`, { token: listener.token, body: { trackIds: [up.body.trackId, trackIds[0]] } });
  const mark = events.length;
  assert.equal((await node.api('DELETE', `/api/v1/tracks/${up.body.trackId}`, { token: artist.token })).status, 204);
  assert.ok(await waitEvent((e) => events.indexOf(e) >= mark && e.name === 'playlist.changed' && e.payload.playlistId === id));
  assert.deepEqual((await node.api('GET', `/api/v1/playlists/${id}`, { token: listener.token })).body.tracks.map((t: { id: string }) => t.id), [trackIds[0]]);
});
