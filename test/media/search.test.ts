// Search and browse on one real node: tracks uploaded with tags are found by a misspelt title,
// by album, by artist without its accents and by genre; only ready public ones; albums come from
// the album tags in track-number order; genres are counted; channels and playlists by name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from './support.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
const ids: Record<string, string> = {};

before(async () => {
  node = await startTestNode({ name: 'media-search', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('search');
  artist = await makeArtist(node, 'sine_band');
  const tracks = [
    { key: 'crossing', tags: { title: 'Crossing the Wires', artist: 'Sine Band', album: 'Loopback Sessions', trackNumber: 2, genre: 'Ambient' } },
    { key: 'opening', tags: { title: 'Opening', artist: 'Sine Band', album: 'Loopback Sessions', trackNumber: 1, genre: 'ambient' } },
    { key: 'cafe', tags: { title: 'Café Olé', artist: 'Björk Sørensen', album: 'Été', genre: 'Chanson' } },
    { key: 'hidden', tags: { title: 'Crossing Privately', artist: 'Sine Band', genre: 'Ambient' }, visibility: 'private' as const },
  ];
  for (const t of tracks) {
    const file = await makeAudio(dir, { seconds: 2, tags: t.tags, name: `${t.key}.mp3`, format: 'mp3' });
    const up = await upload(node, artist.token, artist.channel.id, file, t.visibility ? { visibility: t.visibility } : {});
    assert.equal(up.status, 200, up.text);
    ids[t.key] = up.body.trackId;
    assert.equal((await waitTrack(node, artist.token, up.body.trackId)).status, 'ready');
  }
  const p = await node.api('POST', '/api/v1/playlists', { token: artist.token, body: { title: 'Late Night Wires', visibility: 'public' } });
  assert.equal(p.status, 201, p.text);
});
after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const search = async (q: string) => {
  const res = await node.api('GET', `/api/v1/search?q=${encodeURIComponent(q)}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
};

test('a track is found by a misspelt title, by album, by an artist written without accents, and by genre', async () => {
  assert.equal((await search('crosing wires')).tracks[0].id, ids.crossing, 'a typo');
  assert.equal((await search('Crossing')).tracks[0].id, ids.crossing, 'the first word, as typed');
  assert.equal((await search('cross')).tracks[0].id, ids.crossing, 'a prefix');
  const byAlbum = await search('loopback sessions');
  assert.deepEqual(byAlbum.tracks.map((t: any) => t.id).sort(), [ids.crossing, ids.opening].sort());
  assert.deepEqual(byAlbum.albums.map((a: any) => [a.title, a.tracks, a.channel.name]), [['Loopback Sessions', 2, 'sine_band']]);
  assert.equal((await search('bjork sorensen')).tracks[0].id, ids.cafe, 'accents folded');
  assert.equal((await search('cafe ole')).tracks[0].id, ids.cafe);
  assert.equal((await search('chanson')).tracks[0].id, ids.cafe, 'genre');
  const all = (await search('crossing')).tracks.map((t: any) => t.id);
  assert.ok(!all.includes(ids.hidden), 'a private track is never found');
  assert.equal((await search('sine band')).channels[0].handle.split('@')[0], 'sine_band');
  assert.equal((await search('late nigth')).playlists[0].title, 'Late Night Wires');
  assert.deepEqual((await search('zzqxv')).tracks, []);
  assert.equal((await node.api('GET', '/api/v1/search?q=')).status, 400);
  assert.equal((await node.api('GET', `/api/v1/search?q=${encodeURIComponent('@someone@example.org')}`)).status, 401, 'a handle needs a signed-in user');
});

test('albums come from the album tags in track-number order; genres are counted whatever their case', async () => {
  const albums = (await node.api('GET', '/api/v1/channels/sine_band/albums')).body.data;
  assert.deepEqual(albums.map((a: any) => a.title).sort(), ['Loopback Sessions', 'Été']);
  const album = await node.api('GET', `/api/v1/channels/sine_band/albums/${encodeURIComponent('Loopback Sessions')}`);
  assert.equal(album.status, 200, album.text);
  assert.deepEqual(album.body.trackList.map((t: any) => t.title), ['Opening', 'Crossing the Wires']);
  assert.ok(album.body.durationSeconds >= 3);
  assert.equal((await node.api('GET', '/api/v1/channels/sine_band/albums/Nothing')).status, 404);
  assert.equal((await node.api('GET', '/api/v1/channels/nobody/albums')).status, 404);

  const genres = (await node.api('GET', '/api/v1/genres')).body.data;
  assert.deepEqual(genres[0], { name: 'Ambient', tracks: 2 }, 'the private track is not counted; "ambient" is the same genre');
  const ambient = (await node.api('GET', '/api/v1/genres/AMBIENT/tracks')).body.data;
  assert.deepEqual(ambient.map((t: any) => t.id).sort(), [ids.crossing, ids.opening].sort());
});

test("a listener follows a channel of this node: accepted at once, its tracks are the listener's news; a person is not followed", async () => {
  const listener = await node.user('listener', 'lou');
  const host = new URL(node.ctx.config.publicUrl).host;
  const f = await node.api('POST', '/api/v1/federation/follows', { token: listener.token, body: { handle: `@sine_band@${host}` } });
  assert.equal(f.status, 201, f.text);
  assert.equal(f.body.state, 'accepted');
  assert.deepEqual(f.body.actor, { name: 'Channel sine_band', preferredUsername: 'sine_band', host, type: 'Group' });
  const again = await node.api('POST', '/api/v1/federation/follows', { token: listener.token, body: { handle: `sine_band@${host}` } });
  assert.equal(again.body.id, f.body.id, 'following twice is one follow');
  const news = (await node.api('GET', '/api/v1/discover/following', { token: listener.token })).body.data;
  assert.deepEqual(news.map((t: any) => t.id).sort(), [ids.crossing, ids.opening, ids.cafe].sort(), 'its public tracks, not the private one');
  assert.equal((await node.api('POST', '/api/v1/federation/follows', { token: listener.token, body: { handle: `lou@${host}` } })).status, 400, 'a listener is not a channel');
  assert.equal((await node.api('DELETE', `/api/v1/federation/follows/${f.body.id}`, { token: listener.token })).status, 204);
  assert.deepEqual((await node.api('GET', '/api/v1/discover/following', { token: listener.token })).body.data, []);
  assert.equal((await node.api('GET', '/api/v1/discover/following')).status, 401);
});
