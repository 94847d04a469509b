// Playlists cross nodes: a channel's (and a listener's) public playlist goes to the
// followers as Create, each change as Update, and made private or deleted as Delete; the
// other node stores it and lists it with its items resolved to the remote tracks it knows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { startNodes, waitFor, hostOf } from './support.js';

let a: TestNode, b: TestNode;
let dir: string;
before(async () => {
  [a, b] = await startNodes(['plist-a', 'plist-b'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('plist');
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

const remotePlaylists = async (node: TestNode) => (await node.api('GET', '/api/v1/federation/playlists')).body.data as {
  uri: string; actorUri: string; name: string; items: { uri: string; trackId: string | null }[];
}[];

test("a channel's and a listener's public playlists reach their followers on another node: Create, Update, Delete", async () => {
  const artist = await makeArtist(a, 'list_band');
  const lia = await a.user('listener', 'lia');
  const bob = await b.user('listener');
  for (const handle of [`list_band@${hostOf(a)}`, `lia@${hostOf(a)}`]) {
    const res = await b.api('POST', '/api/v1/federation/follows', { token: bob.token, body: { handle } });
    assert.equal(res.status, 201, res.text);
  }
  await waitFor('both follows accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: bob.token })).body.data.filter((f: any) => f.state === 'accepted').length === 2);

  const up = await upload(a, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 2, tags: { title: 'Listed' } }));
  assert.equal(up.status, 200, up.text);
  const trackId = up.body.trackId as string;
  assert.equal((await waitTrack(a, artist.token, trackId)).status, 'ready');
  const trackUri = `${a.ctx.config.publicUrl}/ap/tracks/${trackId}`;
  const remoteTrack = await waitFor('track listed on B', async () => (await b.api('GET', '/api/v1/federation/tracks')).body.data.find((t: any) => t.uri === trackUri));

  // The channel's playlist: Create, then Update with its track and a new title.
  const made = await a.api('POST', '/api/v1/playlists', { token: artist.token, body: { title: 'Best of', channelId: artist.channel.id } });
  assert.equal(made.status, 201, made.text);
  const playlistUri = `${a.ctx.config.publicUrl}/ap/playlists/${made.body.id}`;
  await waitFor('playlist created on B', async () => (await remotePlaylists(b)).find((p) => p.uri === playlistUri));
  const patched = await a.api('PATCH', `/api/v1/playlists/${made.body.id}`, { token: artist.token, body: { title: 'Best of all', trackIds: [trackId] } });
  assert.equal(patched.status, 200, patched.text);
  const updated = await waitFor('playlist updated on B', async () => (await remotePlaylists(b)).find((p) => p.uri === playlistUri && p.name === 'Best of all' && p.items.length === 1));
  assert.equal(updated.actorUri, `${a.ctx.config.publicUrl}/ap/channels/list_band`);
  assert.deepEqual(updated.items, [{ uri: trackUri, trackId: remoteTrack.id }]);
  // The document on A is an ordered collection of the tracks' ids.
  const doc = JSON.parse((await a.api('GET', `/ap/playlists/${made.body.id}`)).text);
  assert.deepEqual(doc.type, ['Playlist', 'OrderedCollection']);
  assert.deepEqual(doc.orderedItems, [trackUri]);
  assert.equal(doc.attributedTo, updated.actorUri);

  // A listener's public playlist goes to the listener's followers; made private, it is taken back.
  const mix = await a.api('POST', '/api/v1/playlists', { token: lia.token, body: { title: 'Lia mix' } });
  assert.equal(mix.status, 201, mix.text);
  const mixUri = `${a.ctx.config.publicUrl}/ap/playlists/${mix.body.id}`;
  await waitFor('listener playlist on B', async () => (await remotePlaylists(b)).find((p) => p.uri === mixUri));
  assert.equal((await a.api('PATCH', `/api/v1/playlists/${mix.body.id}`, { token: lia.token, body: { trackIds: [trackId] } })).status, 200);
  const mixed = await waitFor('listener playlist updated on B', async () => (await remotePlaylists(b)).find((p) => p.uri === mixUri && p.items.length === 1));
  assert.equal(mixed.actorUri, `${a.ctx.config.publicUrl}/ap/users/lia`);
  assert.equal((await a.api('PATCH', `/api/v1/playlists/${mix.body.id}`, { token: lia.token, body: { visibility: 'private' } })).status, 200);
  await waitFor('private playlist gone from B', async () => !(await remotePlaylists(b)).some((p) => p.uri === mixUri));
  assert.equal((await a.api('GET', `/ap/playlists/${mix.body.id}`)).status, 404, 'a private playlist has no public document');

  // The channel's playlist deleted on A: gone from B.
  assert.equal((await a.api('DELETE', `/api/v1/playlists/${made.body.id}`, { token: artist.token })).status, 204);
  await waitFor('deleted playlist gone from B', async () => (await remotePlaylists(b)).length === 0);
});
