// Channels and roles, resumable chunked uploads, bad input (each with a clear error and no
// orphan files), metadata edits, covers, visibility rules, deletes and a failing job.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio, makeCorrupt, makeTruncated, makeEmpty, makeImage, makeUnsupportedCodec } from '../helpers/media.js';
import { makeArtist, upload, waitTrack, mediaFiles, rawGet } from './support.js';
import parseTorrent from 'parse-torrent';
import { mediaService } from '../../server/media/index.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let other: Awaited<ReturnType<typeof makeArtist>>;
const events: { name: string; payload: any }[] = [];
const createdChannels: string[] = [];

before(async () => {
  node = await startTestNode({
    name: 'media-upload',
    overrides: { uploads: { maxFileBytes: 400_000, chunkBytes: 16_384 }, media: { audioBitratesKbps: [64] } },
  });
  for (const name of ['track.published', 'track.updated', 'track.deleted'] as const) node.ctx.events.on(name, (payload) => void events.push({ name, payload }));
  mediaService(node.ctx).onChannelCreated((c) => void createdChannels.push(c.name));
  dir = mediaDir('upload');
  artist = await makeArtist(node, 'first_artist');
  other = await makeArtist(node, 'second_artist');
});

after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('channels: artists create them, listeners cannot, names are unique handles', async () => {
  const listener = await node.user('listener');
  const denied = await node.api('POST', '/api/v1/channels', { token: listener.token, body: { name: 'nope', displayName: 'Nope' } });
  assert.equal(denied.status, 403);
  const anon = await node.api('POST', '/api/v1/channels', { body: { name: 'nope', displayName: 'Nope' } });
  assert.equal(anon.status, 401);
  const bad = await node.api('POST', '/api/v1/channels', { token: artist.token, body: { name: 'Bad Name!', displayName: 'x' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const dup = await node.api('POST', '/api/v1/channels', { token: other.token, body: { name: 'first_artist', displayName: 'Copy' } });
  assert.equal(dup.status, 409);
  assert.ok(createdChannels.includes('first_artist'), 'onChannelCreated listeners heard about it');

  const got = await node.api('GET', '/api/v1/channels/first_artist');
  assert.equal(got.status, 200);
  assert.deepEqual(Object.keys(got.body).sort(), ['createdAt', 'description', 'displayName', 'id', 'name', 'ownerId']);
  assert.equal(got.body.ownerId, artist.user.id);
  const list = await node.api('GET', '/api/v1/channels');
  assert.ok(list.body.total >= 2);
  const mine = await node.api('GET', '/api/v1/me/channels', { token: artist.token });
  assert.deepEqual(mine.body.data.map((c: any) => c.name), ['first_artist']);
  const edit = await node.api('PATCH', '/api/v1/channels/first_artist', { token: artist.token, body: { displayName: 'First!', description: 'Tones' } });
  assert.equal(edit.status, 200);
  assert.equal(edit.body.displayName, 'First!');
  const foreign = await node.api('PATCH', '/api/v1/channels/first_artist', { token: other.token, body: { displayName: 'Mine now' } });
  assert.equal(foreign.status, 403);
});

test('chunked upload resumes after a missing chunk and reports progress', async () => {
  const file = await makeAudio(dir, { format: 'mp3', seconds: 4, tags: { title: 'Resumed', artist: 'Chunky', album: 'Parts', trackNumber: 7 } });
  const data = readFileSync(file);
  const created = await node.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: artist.channel.id, filename: 'resumed.mp3', size: data.length } });
  assert.equal(created.status, 201);
  assert.equal(created.body.received, 0);
  assert.equal(created.body.chunkSize, 16_384);
  const id = created.body.id;
  const put = (start: number, end: number, total = data.length) =>
    node.api('PUT', `/api/v1/uploads/${id}`, {
      token: artist.token,
      body: data.subarray(start, end + 1),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${end}/${total}` },
    });
  const c = 16_384;
  const first = await put(0, c - 1);
  assert.equal(first.status, 200);
  assert.deepEqual(first.body, { id, received: c, size: data.length, complete: false });
  // The second chunk is lost; the third arrives: refused with where to resume.
  const skipped = await put(2 * c, 3 * c - 1);
  assert.equal(skipped.status, 409);
  assert.equal(skipped.body.code, 'out_of_order');
  assert.equal(skipped.body.received, c);
  const overlap = await put(100, c + 99);
  assert.equal(overlap.status, 409);
  const wrongTotal = await put(c, 2 * c - 1, data.length + 1);
  assert.equal(wrongTotal.status, 416);
  assert.equal(wrongTotal.body.received, c);
  assert.equal(wrongTotal.body.code, 'size_mismatch');
  // A range past its own total is malformed (the total is the declared size).
  const past = await put(c, data.length);
  assert.equal(past.status, 400);
  assert.equal(past.body.code, 'invalid_content_range');
  assert.equal(past.body.received, c);
  const otherUser = await node.api('GET', `/api/v1/uploads/${id}`, { token: other.token });
  assert.equal(otherUser.status, 404);
  const progress = await node.api('GET', `/api/v1/uploads/${id}`, { token: artist.token });
  assert.deepEqual(progress.body, { id, received: c, size: data.length, complete: false });
  let last = progress;
  for (let start = progress.body.received; start < data.length; start += c) last = await put(start, Math.min(data.length, start + c) - 1);
  assert.equal(last.status, 200);
  assert.equal(last.body.complete, true);
  assert.ok(last.body.trackId);
  const track = await waitTrack(node, artist.token, last.body.trackId);
  assert.equal(track.status, 'ready');
  assert.equal(track.title, 'Resumed');
  assert.equal(track.trackNumber, 7);
  const done = await node.api('GET', `/api/v1/uploads/${id}`, { token: artist.token });
  assert.equal(done.body.trackId, track.id);
  assert.ok(events.some((e) => e.name === 'track.published' && e.payload.trackId === track.id));
});

test('uploading to a channel you do not own is refused; a cancelled upload leaves no file', async () => {
  const res = await node.api('POST', '/api/v1/uploads', { token: other.token, body: { channelId: artist.channel.id, filename: 'x.mp3', size: 100 } });
  assert.equal(res.status, 403);
  const created = await node.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: artist.channel.id, filename: 'x.mp3', size: 1000 } });
  await node.api('PUT', `/api/v1/uploads/${created.body.id}`, { token: artist.token, body: new Uint8Array(500), headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-499/1000' } });
  assert.ok(existsSync(path.join(node.dataDir, 'media/uploads', `${created.body.id}.part`)));
  const del = await node.api('DELETE', `/api/v1/uploads/${created.body.id}`, { token: artist.token });
  assert.equal(del.status, 204);
  assert.ok(!existsSync(path.join(node.dataDir, 'media/uploads', `${created.body.id}.part`)));
  assert.equal((await node.api('GET', `/api/v1/uploads/${created.body.id}`, { token: artist.token })).status, 404);
});

test('bad input gets a clear problem and leaves no orphan files', async () => {
  const before = mediaFiles(node);
  const cases: { file: string; name: string; status: number; code: string }[] = [
    { file: makeCorrupt(dir, 'corrupt.mp3', 50_000), name: 'corrupt.mp3', status: 422, code: 'unreadable_media' },
    { file: makeTruncated(await makeAudio(dir, { format: 'm4a', seconds: 4 }), dir, 0.3), name: 'cut.m4a', status: 422, code: 'unreadable_media' },
    { file: await makeImage(dir, 'picture.png'), name: 'song.mp3', status: 422, code: 'no_media_stream' },
    { file: await makeUnsupportedCodec(dir), name: 'speech.ogg', status: 422, code: 'unsupported_codec' },
    { file: makeCorrupt(dir, 'big.flac', 500_000), name: 'big.flac', status: 413, code: 'file_too_large' },
  ];
  for (const c of cases) {
    const res = await upload(node, artist.token, artist.channel.id, c.file, { filename: c.name });
    assert.equal(res.status, c.status, `${c.name}: ${res.text}`);
    assert.equal(res.body.code, c.code, c.name);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.ok(res.body.detail.length > 10, `${c.name} has a readable reason`);
  }
  const empty = makeEmpty(dir);
  const zero = await node.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: artist.channel.id, filename: path.basename(empty), size: 0 } });
  assert.equal(zero.status, 400);
  assert.equal(zero.body.code, 'empty_file');
  assert.deepEqual(mediaFiles(node), before, 'no files left behind');
  const [rows] = await node.ctx.db.query(`SELECT count(*)::int AS n FROM media_uploads WHERE track_id IS NULL`);
  assert.equal((rows as { n: number }[])[0].n, 0);
});

test('a wrongly named file is recognised by its content; a path-like name never reaches the disk', async () => {
  const flac = await makeAudio(dir, { format: 'flac', seconds: 3, name: 'real-flac.flac' });
  const res = await upload(node, artist.token, artist.channel.id, flac, { filename: '../../../../tmp/evil\u0000name.mp3' });
  assert.equal(res.status, 200, res.text);
  const track = await waitTrack(node, artist.token, res.body.trackId);
  assert.equal(track.status, 'ready');
  assert.equal(track.kind, 'audio');
  assert.equal(track.title, 'evilname');
  assert.ok(existsSync(path.join(node.dataDir, 'media/originals', `${track.id}.flac`)), 'stored under its id with the probed type');
  assert.ok(!existsSync('/tmp/evilname.mp3'));
  for (const p of ['..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e/%2e%2e/master.m3u8', '64k/..%2F..%2F..%2Fsecret', '.hidden']) {
    const r = await rawGet(`${node.url}/static/streaming/${track.id}/${p}`);
    assert.ok(r.status >= 400 && r.status < 500, `${p} -> ${r.status}`);
  }
  const dotdot = await rawGet(`${node.url}/static/streaming/..%2F${track.id}/master.m3u8`);
  assert.ok(dotdot.status >= 400 && dotdot.status < 500);
  const master = await rawGet(`${node.url}/static/streaming/${track.id}/master.m3u8`);
  assert.equal(master.status, 200);
});

test('metadata edits are validated and emit track.updated; covers are images only', async () => {
  const file = await makeAudio(dir, { format: 'mp3', seconds: 3, name: 'edit.mp3' });
  const res = await upload(node, artist.token, artist.channel.id, file);
  const track = await waitTrack(node, artist.token, res.body.trackId);
  const patch = await node.api('PATCH', `/api/v1/tracks/${track.id}`, {
    token: artist.token,
    body: { title: 'Edited', artist: 'Someone', album: null, trackNumber: 3, genre: 'Ambient', license: 'cc-by-sa-4.0', allowDownload: true },
  });
  assert.equal(patch.status, 200, patch.text);
  assert.equal(patch.body.title, 'Edited');
  assert.equal(patch.body.album, null);
  assert.equal(patch.body.license, 'cc-by-sa-4.0');
  assert.ok(patch.body.downloadUrl);
  assert.ok(events.some((e) => e.name === 'track.updated' && e.payload.trackId === track.id));
  const badLicense = await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body: { license: 'gpl' } });
  assert.equal(badLicense.status, 400);
  const unknownField = await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body: { status: 'ready' } });
  assert.equal(unknownField.status, 400);
  const foreign = await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: other.token, body: { title: 'Stolen' } });
  assert.equal(foreign.status, 403);
  const admin = await node.user('admin');
  const byAdmin = await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: admin.token, body: { genre: 'Drone' } });
  assert.equal(byAdmin.status, 200);

  const png = readFileSync(await makeImage(dir, 'cover.png', '64x64'));
  const cover = await node.api('PUT', `/api/v1/tracks/${track.id}/cover`, { token: artist.token, body: png, headers: { 'content-type': 'image/png' } });
  assert.equal(cover.status, 200, cover.text);
  assert.equal(cover.body.coverUrl, `${node.url}/static/covers/${track.id}`);
  const got = await fetch(cover.body.coverUrl);
  assert.equal(got.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), png);
  const notImage = await node.api('PUT', `/api/v1/tracks/${track.id}/cover`, { token: artist.token, body: randomBytes(100), headers: { 'content-type': 'image/png' } });
  assert.equal(notImage.status, 415);
  const tooBig = await node.api('PUT', `/api/v1/tracks/${track.id}/cover`, { token: artist.token, body: Buffer.concat([png, Buffer.alloc(6 * 1024 * 1024)]), headers: { 'content-type': 'image/png' } });
  assert.equal(tooBig.status, 413);
});

test('visibility: public is listed, unlisted is reachable by id only, private only by owner and admins', async () => {
  const ids: Record<string, string> = {};
  for (const visibility of ['public', 'unlisted', 'private'] as const) {
    const file = await makeAudio(dir, { format: 'mp3', seconds: 3, name: `${visibility}.mp3`, tags: { title: `V ${visibility}` } });
    const res = await upload(node, other.token, other.channel.id, file, { visibility });
    ids[visibility] = (await waitTrack(node, other.token, res.body.trackId)).id;
  }
  const stranger = await node.user('listener');
  const admin = await node.user('admin');
  const listed = await node.api('GET', '/api/v1/tracks?channel=second_artist', { token: stranger.token });
  assert.deepEqual(listed.body.data.map((t: any) => t.title), ['V public']);
  const own = await node.api('GET', '/api/v1/tracks?channel=second_artist', { token: other.token });
  assert.equal(own.body.total, 3);
  const kinds = await node.api('GET', '/api/v1/tracks?kind=video');
  assert.equal(kinds.body.total, 0);

  for (const [who, token, expect] of [
    ['anonymous', undefined, { public: 200, unlisted: 200, private: 404 }],
    ['stranger', stranger.token, { public: 200, unlisted: 200, private: 404 }],
    ['owner', other.token, { public: 200, unlisted: 200, private: 200 }],
    ['admin', admin.token, { public: 200, unlisted: 200, private: 200 }],
  ] as const) {
    for (const v of ['public', 'unlisted', 'private'] as const) {
      const meta = await node.api('GET', `/api/v1/tracks/${ids[v]}`, { token });
      assert.equal(meta.status, expect[v], `${who} GET ${v} track`);
      const master = await node.api('GET', `/static/streaming/${ids[v]}/master.m3u8`, { token });
      assert.equal(master.status, expect[v], `${who} GET ${v} master playlist`);
      const seg = await node.api('GET', `/static/streaming/${ids[v]}/64k/seg-00000.m4s`, { token });
      assert.equal(seg.status, expect[v], `${who} GET ${v} segment`);
      const wave = await node.api('GET', `/api/v1/tracks/${ids[v]}/waveform`, { token });
      assert.equal(wave.status, expect[v], `${who} GET ${v} waveform`);
    }
  }
  const priv = await node.api('GET', `/static/streaming/${ids.private}/64k/seg-00000.m4s`, { token: other.token });
  assert.match(priv.headers.get('cache-control') ?? '', /^private/);
  // The node's tracker does not serve the private track's swarm.
  const torrent = await fetch(`${node.url}/static/streaming/${ids.private}/64k.torrent`, { headers: { authorization: `Bearer ${other.token}` } });
  const infoHash = (await parseTorrent(Buffer.from(await torrent.arrayBuffer()))).infoHash;
  const announce = await fetch(
    `${node.url}/tracker/announce?info_hash=${escape(Buffer.from(infoHash, 'hex').toString('latin1'))}&peer_id=${escape('-9T0001-abcdefghijkl')}&port=6881&uploaded=0&downloaded=0&left=0&compact=1`,
  );
  assert.match(Buffer.from(await announce.arrayBuffer()).toString('latin1'), /failure reason/);
  // Made public later: published then, and listed.
  assert.ok(!events.some((e) => e.name === 'track.published' && e.payload.trackId === ids.private));
  const made = await node.api('PATCH', `/api/v1/tracks/${ids.private}`, { token: other.token, body: { visibility: 'public' } });
  assert.equal(made.status, 200);
  assert.ok(made.body.publishedAt);
  assert.ok(events.some((e) => e.name === 'track.published' && e.payload.trackId === ids.private));
  const relisted = await node.api('GET', '/api/v1/tracks?channel=second_artist');
  assert.equal(relisted.body.total, 2);
});

test('deleting a track removes its files and emits track.deleted', async () => {
  const file = await makeAudio(dir, { format: 'mp3', seconds: 3, name: 'delete-me.mp3' });
  const res = await upload(node, artist.token, artist.channel.id, file);
  const track = await waitTrack(node, artist.token, res.body.trackId);
  assert.ok(mediaFiles(node).some((f) => f.includes(track.id)));
  assert.equal((await node.api('DELETE', `/api/v1/tracks/${track.id}`, { token: other.token })).status, 403);
  assert.equal((await node.api('DELETE', `/api/v1/tracks/${track.id}`, { token: artist.token })).status, 204);
  assert.equal((await node.api('GET', `/api/v1/tracks/${track.id}`, { token: artist.token })).status, 404);
  assert.ok(!mediaFiles(node).some((f) => f.includes(track.id)), 'no file of the track is left');
  const ev = events.find((e) => e.name === 'track.deleted' && e.payload.trackId === track.id);
  assert.equal(ev?.payload.channelId, artist.channel.id);
});

test('a failing transcode marks the track failed with its reason, cleans up, and the node keeps serving', async () => {
  const file = await makeAudio(dir, { format: 'mp3', seconds: 3, name: 'will-break.mp3' });
  const res = await upload(node, artist.token, artist.channel.id, file);
  const track = await waitTrack(node, artist.token, res.body.trackId);
  // Break the stored original and transcode again.
  writeFileSync(path.join(node.dataDir, 'media/originals', `${track.id}.mp3`), randomBytes(20_000));
  assert.equal((await node.api('POST', `/api/v1/tracks/${track.id}/retranscode`, { token: artist.token })).status, 202);
  const failed = await waitTrack(node, artist.token, track.id);
  assert.equal(failed.status, 'failed');
  assert.match(failed.failureReason, /^The media could not be transcoded: .+/);
  assert.doesNotMatch(failed.failureReason, new RegExp(node.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no server paths in the reason');
  assert.ok(!mediaFiles(node).some((f) => f.startsWith(`streaming/${track.id}`) || f.startsWith(`work/${track.id}`)), 'partial files removed');
  assert.equal((await node.api('GET', '/healthz')).status, 200);
  const next = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 3, name: 'after.mp3' }));
  assert.equal((await waitTrack(node, artist.token, next.body.trackId)).status, 'ready');
});

test('retranscode: owner or admin only; a broken original fails with one readable sentence, a restored one is ready again', async () => {
  const file = await makeAudio(dir, { format: 'mp3', seconds: 3, name: 'again.mp3' });
  const res = await upload(node, artist.token, artist.channel.id, file);
  const track = await waitTrack(node, artist.token, res.body.trackId);
  assert.equal(track.status, 'ready');
  assert.equal((await node.api('POST', `/api/v1/tracks/${track.id}/retranscode`)).status, 401);
  assert.equal((await node.api('POST', `/api/v1/tracks/${track.id}/retranscode`, { token: other.token })).status, 403);
  const stored = path.join(node.dataDir, 'media/originals', `${track.id}.mp3`);
  const good = readFileSync(stored);
  writeFileSync(stored, randomBytes(20_000));
  const started = await node.api('POST', `/api/v1/tracks/${track.id}/retranscode`, { token: artist.token });
  assert.equal(started.status, 202, started.text);
  assert.equal(started.body.status, 'processing');
  const failed = await waitTrack(node, artist.token, track.id);
  assert.equal(failed.status, 'failed');
  assert.match(failed.failureReason, /^The media could not be transcoded: [A-Z][^\n]*\.$/);
  assert.doesNotMatch(failed.failureReason, /lib\w+\s+\d+\.|ffmpeg version|@ 0x|\/media\//, `no banner, addresses or paths: ${failed.failureReason}`);
  writeFileSync(stored, good);
  assert.equal((await node.api('POST', `/api/v1/tracks/${track.id}/retranscode`, { token: artist.token })).status, 202);
  const again = await waitTrack(node, artist.token, track.id);
  assert.equal(again.status, 'ready', again.failureReason);
  assert.equal(again.failureReason, null);
  const seg = await fetch(again.streaming.renditions[0].playlistUrl.replace(/playlist\.m3u8$/, 'seg-00000.m4s'));
  assert.equal(seg.status, 200);
});
