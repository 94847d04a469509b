// Subsonic / OpenSubsonic with a real client (the `subsonic-api` npm package) against a real node
// with real transcoded tracks: API keys, the sign-in methods, browsing, sync paging, streaming
// decoded by ffprobe, and scrobbles that count only what the node served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { SubsonicAPI } from 'subsonic-api';
import { removeMediaDir } from '../helpers/media.js';
import { listenerWithKey, monthSeconds, probe, startCatalogue, type Catalogue } from './support.js';

let c: Catalogue;
let listener: Awaited<ReturnType<typeof listenerWithKey>>;

before(async () => {
  c = await startCatalogue('subsonic');
  listener = await listenerWithKey(c.node);
});

after(async () => {
  await c?.node.stop();
  if (c) removeMediaDir(c.dir);
});

const withKey = (apiKey: string) => new SubsonicAPI({ url: c.node.url, auth: { apiKey } });
const withPassword = (username: string, password: string) => new SubsonicAPI({ url: c.node.url, auth: { username, password } });

/** A raw JSON call, for what the client does not send (plain `p`, `enc:`). */
async function rest(method: string, params: Record<string, string>, f = 'json') {
  const res = await fetch(`${c.node.url}/rest/${method}?${new URLSearchParams({ v: '1.16.1', c: 'test', f, ...params })}`);
  assert.equal(res.status, 200);
  return f === 'json' ? ((await res.json()) as any)['subsonic-response'] : await res.text();
}

test('API keys: made (shown once), listed without the key, revoked', async () => {
  const { node } = c;
  const me = await node.user('listener');
  const made = await node.api('POST', '/api/v1/me/api-keys', { token: me.token, body: { name: 'Symfonium' } });
  assert.equal(made.status, 201);
  assert.equal(made.body.name, 'Symfonium');
  assert.match(made.body.key, /^9t_[A-Za-z0-9_-]{43}$/);
  const list = await node.api('GET', '/api/v1/me/api-keys', { token: me.token });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.data.map((k: any) => k.name), ['Symfonium']);
  assert.ok(!JSON.stringify(list.body).includes(made.body.key), 'the list never shows the key');
  assert.equal((await withKey(made.body.key).ping()).status, 'ok');
  assert.equal((await node.api('POST', '/api/v1/me/api-keys', { token: me.token, body: {} })).status, 400);
  // Another user cannot revoke it.
  const other = await node.user('listener');
  assert.equal((await node.api('DELETE', `/api/v1/me/api-keys/${made.body.id}`, { token: other.token })).status, 404);
  assert.equal((await node.api('DELETE', `/api/v1/me/api-keys/${made.body.id}`, { token: me.token })).status, 204);
  const after = (await withKey(made.body.key).ping()) as any;
  assert.equal(after.status, 'failed');
  assert.equal(after.error?.code, 44);
});

test('sign-in: apiKey, token (md5 of key and salt), plain and enc: password; never the account password', async () => {
  const { user, key, password } = listener;
  const ping = await withKey(key).ping();
  assert.equal(ping.status, 'ok');
  assert.equal(ping.version, '1.16.1');
  assert.equal((ping as any).type, '9ten');
  assert.equal((ping as any).openSubsonic, true);
  assert.ok((ping as any).serverVersion);
  assert.equal((await withPassword(user.username, key).ping()).status, 'ok', 'u + t + s');
  const salt = randomBytes(6).toString('hex');
  const token = createHash('md5').update(key + salt).digest('hex');
  assert.equal((await rest('ping', { u: user.username, t: token, s: salt })).status, 'ok');
  assert.equal((await rest('ping', { u: user.username, p: key })).status, 'ok');
  assert.equal((await rest('ping', { u: user.username, p: `enc:${Buffer.from(key).toString('hex')}` })).status, 'ok');
  const account = await withPassword(user.username, password).ping();
  assert.equal(account.status, 'failed');
  assert.equal(account.error?.code, 40, 'the account password opens nothing');
  const wrongKey = (await withKey('9t_not-a-key').ping()) as any;
  assert.equal(wrongKey.error?.code, 44);
  const wrongToken = await rest('ping', { u: user.username, t: token, s: `${salt}x` });
  assert.equal(wrongToken.error.code, 40);
  assert.equal((await rest('ping', {})).error.code, 10, 'no credentials: a missing parameter');
  assert.equal((await rest('ping', { apiKey: key, u: user.username })).error.code, 43);
  // XML by default, the same envelope; and form POST.
  const xml = (await rest('ping', { apiKey: key }, 'xml')) as string;
  assert.match(xml, /<subsonic-response xmlns="http:\/\/subsonic.org\/restapi" status="ok" version="1.16.1" type="9ten" serverVersion="[^"]+" openSubsonic="true"\/>/);
  const posted = await fetch(`${c.node.url}/rest/ping.view`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ apiKey: key, f: 'json' }) });
  assert.equal(((await posted.json()) as any)['subsonic-response'].status, 'ok');
  const ext = await withKey(key).getOpenSubsonicExtensions();
  assert.ok(ext.openSubsonicExtensions.some((e: any) => e.name === 'apiKeyAuthentication'));
});

test('getArtists, getArtist and getAlbum: a channel is an artist, an album tag an album, untagged tracks its singles', async () => {
  const api = withKey(listener.key);
  const { artists } = await api.getArtists();
  const all = artists.index!.flatMap((i) => i.artist ?? []);
  const band = all.find((a) => a.name === `Channel ${c.artist.channel.name}`);
  assert.ok(band, 'the channel is listed as an artist');
  assert.equal(band.id, `ar-${c.artist.channel.id}`);
  assert.equal(band.albumCount, 2);
  const { artist } = await api.getArtist({ id: band.id });
  const names = artist.album!.map((a) => a.name).sort();
  assert.deepEqual(names, ['First Light', 'Singles']);
  const first = artist.album!.find((a) => a.name === 'First Light')!;
  assert.equal(first.songCount, 2);
  assert.ok(first.coverArt, 'the album shows its first cover');
  const { album } = await api.getAlbum({ id: first.id });
  assert.deepEqual(album.song!.map((s) => s.title), ['Morning Tide', 'Evening Tide']);
  assert.deepEqual(album.song!.map((s) => s.track), [1, 2]);
  assert.equal(album.song![0].artistId, band.id);
  assert.equal(album.song![0].duration, 8);
  const { song } = await api.getSong({ id: c.tracks.one.id });
  assert.equal(song.album, 'First Light');
  const missing = await api.getAlbum({ id: `al-${c.artist.channel.id}-000000000000` });
  assert.equal((missing as any).error?.code, 70);
  const cover = await api.getCoverArt({ id: first.coverArt!, size: 32 });
  assert.equal(cover.headers.get('content-type'), 'image/jpeg');
  const coverFile = path.join(c.dir, 'cover-32.jpg');
  writeFileSync(coverFile, Buffer.from(await cover.arrayBuffer()));
  assert.ok(((await probe(coverFile)).width ?? 0) <= 32);
  const list = await api.getAlbumList2({ type: 'alphabeticalByName', size: 10 });
  assert.ok(list.albumList2.album!.some((a) => a.name === 'First Light'));
});

test('search3 with query "" lists everything in a stable order, page by page (how Symfonium syncs)', async () => {
  const api = withKey(listener.key);
  const seen: string[] = [];
  for (let offset = 0; ; offset++) {
    const page = await api.search3({ query: '', songCount: 1, songOffset: offset, albumCount: 0, artistCount: 0 });
    const songs = page.searchResult3.song ?? [];
    if (!songs.length) break;
    assert.equal(songs.length, 1);
    seen.push(songs[0].id);
  }
  assert.deepEqual([...seen].sort(), [c.tracks.one.id, c.tracks.two.id, c.tracks.single.id].sort());
  const again = await api.search3({ query: '', songCount: 3, songOffset: 0, albumCount: 10, artistCount: 10 });
  assert.deepEqual(again.searchResult3.song!.map((s) => s.id), seen, 'the same order every time');
  assert.equal(again.searchResult3.album!.length, 2);
  const found = await api.search3({ query: 'morning' });
  assert.deepEqual(found.searchResult3.song!.map((s) => s.id), [c.tracks.one.id]);
});

test('stream: transcoded to the asked format and bitrate, the whole track', async () => {
  const api = withKey(listener.key);
  for (const [format, kbps, codec] of [['mp3', 128, 'mp3'], ['ogg', 96, 'opus']] as const) {
    const res = await api.stream({ id: c.tracks.two.id, format, maxBitRate: kbps });
    assert.equal(res.status, 200);
    const file = path.join(c.dir, `streamed-${format}`);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const got = await probe(file);
    assert.equal(got.codec, codec);
    assert.ok(Math.abs(got.duration - 8) < 0.3, `${format}: duration ${got.duration}`);
    if (format === 'mp3') assert.ok(Math.abs(got.bitRate - kbps * 1000) < kbps * 100, `${format}: bitrate ${got.bitRate}`);
  }
  const offset = await api.stream({ id: c.tracks.two.id, format: 'mp3', maxBitRate: 128, timeOffset: 4 });
  const file = path.join(c.dir, 'streamed-offset.mp3');
  writeFileSync(file, Buffer.from(await offset.arrayBuffer()));
  assert.ok(Math.abs((await probe(file)).duration - 4) < 0.3);
  // The artist did not offer the track for download: no original over download or format=raw.
  const dl = await api.download({ id: c.tracks.two.id });
  assert.equal(((await dl.json()) as any)['subsonic-response'].error.code, 50);
});

test('scrobble counts a listen only when the node served the bytes', async () => {
  const { node } = c;
  const streamed = await listenerWithKey(node);
  const api = withKey(streamed.key);
  const res = await api.stream({ id: c.tracks.one.id, format: 'mp3', maxBitRate: 128 });
  await res.arrayBuffer();
  await new Promise((r) => setTimeout(r, 200));
  const scrobbled = await api.scrobble({ id: c.tracks.one.id, submission: true });
  assert.equal(scrobbled.status, 'ok');
  const seconds = await monthSeconds(node, streamed.user.id);
  assert.ok(seconds >= 7, `the whole track was served and played: ${seconds} s`);

  const claimed = await listenerWithKey(node);
  const scrobbledOnly = await withKey(claimed.key).scrobble({ id: c.tracks.one.id, submission: true });
  assert.equal(scrobbledOnly.status, 'ok');
  assert.equal(await monthSeconds(node, claimed.user.id), 0, 'a scrobble of nothing served counts nothing');

  // AAC at the node's bitrate is the track's own .m4a (no transcode), seekable by range, metered
  // under the stream's play session: streamed whole and scrobbled, it counts.
  const aacListener = await listenerWithKey(node);
  const aac = await fetch(`${node.url}/rest/stream?${new URLSearchParams({ apiKey: aacListener.key, id: c.tracks.one.id, format: 'aac' })}`);
  assert.equal(aac.status, 200);
  assert.equal(aac.headers.get('content-type'), 'audio/mp4');
  assert.equal(aac.headers.get('accept-ranges'), 'bytes');
  const aacFile = path.join(c.dir, 'streamed.m4a');
  writeFileSync(aacFile, Buffer.from(await aac.arrayBuffer()));
  assert.equal((await probe(aacFile)).codec, 'aac');
  await new Promise((r) => setTimeout(r, 200));
  await withKey(aacListener.key).scrobble({ id: c.tracks.one.id, submission: true });
  assert.ok((await monthSeconds(node, aacListener.user.id)) >= 7, 'the .m4a served whole counts');
  const part = await fetch(`${node.url}/rest/stream?${new URLSearchParams({ apiKey: aacListener.key, id: c.tracks.one.id, format: 'm4a' })}`, { headers: { range: 'bytes=0-999' } });
  assert.equal(part.status, 206);
  assert.equal((await part.arrayBuffer()).byteLength, 1000);

  // The owner may have the original (format=raw) with byte ranges: the first 2,000 bytes stand for
  // their share of the track, well under the 5 s a listen needs.
  const owner = c.artist;
  const ownerKey = (await node.api('POST', '/api/v1/me/api-keys', { token: owner.token, body: { name: 'own phone' } })).body.key as string;
  const ranged = await fetch(`${node.url}/rest/stream?${new URLSearchParams({ apiKey: ownerKey, id: c.tracks.two.id, format: 'raw' })}`, { headers: { range: 'bytes=0-1999' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get('content-type'), 'audio/mpeg');
  assert.equal((await ranged.arrayBuffer()).byteLength, 2000);
  await new Promise((r) => setTimeout(r, 200));
  await withKey(ownerKey).scrobble({ id: c.tracks.two.id });
  assert.equal(await monthSeconds(node, owner.user.id), 0, 'a part of the file covers only its share of the claim');
});

test('stars, play queue and playlists are kept per user', async () => {
  const api = withKey(listener.key);
  assert.equal((await api.star({ id: c.tracks.single.id })).status, 'ok');
  const starred = await api.getStarred2();
  assert.deepEqual(starred.starred2.song!.map((s) => s.id), [c.tracks.single.id]);
  await api.unstar({ id: c.tracks.single.id });
  assert.equal((await api.getStarred2()).starred2.song?.length ?? 0, 0);

  await api.savePlayQueue({ id: [c.tracks.one.id, c.tracks.two.id], current: c.tracks.two.id, position: 1500 });
  const playQueue = (await api.getPlayQueue()).playQueue!;
  assert.equal(playQueue.current, c.tracks.two.id);
  assert.equal(playQueue.position, 1500);
  assert.deepEqual(playQueue.entry!.map((e) => e.id), [c.tracks.one.id, c.tracks.two.id]);

  const created = await api.createPlaylist({ name: 'Tides', songId: [c.tracks.two.id, c.tracks.one.id] });
  const id = created.playlist.id;
  assert.deepEqual(created.playlist.entry!.map((e) => e.id), [c.tracks.two.id, c.tracks.one.id]);
  await api.updatePlaylist({ playlistId: id, songIndexToRemove: [0], songIdToAdd: [c.tracks.single.id] });
  const { playlist } = await api.getPlaylist({ id });
  assert.deepEqual(playlist.entry!.map((e) => e.id), [c.tracks.one.id, c.tracks.single.id]);
  assert.ok((await api.getPlaylists()).playlists.playlist!.some((p) => p.id === id));
  await api.deletePlaylist({ id });
  assert.equal(((await api.getPlaylist({ id })) as any).error?.code, 70);
  const user = await api.getUser({ username: listener.user.username });
  assert.equal(user.user.streamRole, true);
});

test('paid tracks: subscribers-only and metered tracks play only for whom the web player would; error 50 otherwise', async () => {
  const { node } = c;
  const id = c.tracks.single.id;
  const setAccess = async (access: unknown) => {
    const res = await node.api('PATCH', `/api/v1/tracks/${id}`, { token: c.artist.token, body: { access } });
    assert.equal(res.status, 200, res.text);
  };
  const streamCode = async (key: string) => {
    const res = await withKey(key).stream({ id, format: 'mp3' });
    if (/xml|json/.test(res.headers.get('content-type') ?? '')) return ((await res.json()) as any)['subsonic-response'].error.code as number;
    await res.arrayBuffer();
    return 0;
  };
  const ownerKey = (await node.api('POST', '/api/v1/me/api-keys', { token: c.artist.token, body: { name: 'owner' } })).body.key as string;
  try {
    await setAccess({ mode: 'subscribers' });
    assert.equal(await streamCode(listener.key), 50, 'a listener without a subscription');
    await setAccess({ mode: 'metered', pricesPerMinute: Object.fromEntries(c.tracks.single.streaming.renditions.map((r: any, i: number) => [r.name, 10 * (i + 1)])) });
    const res = await withKey(listener.key).stream({ id, format: 'mp3' });
    const error = ((await res.json()) as any)['subsonic-response'].error;
    assert.equal(error.code, 50);
    assert.match(error.message, /web player/);
    assert.equal(await streamCode(ownerKey), 0, 'the owner plays their own track');
  } finally {
    await setAccess({ mode: 'free' });
  }
});
