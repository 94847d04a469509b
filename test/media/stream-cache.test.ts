// The streaming hot path caches per track (visibility, owner, timeline, file table) and
// segment bytes: a change made through this node applies at once, a change made by another
// process (here: straight in the database) within the cache window; served bytes stay exact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, rawGet, readyShortTrack } from './support.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let track: any;

before(async () => {
  node = await startTestNode({ name: 'media-streamcache', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('streamcache');
  ({ artist, track } = await readyShortTrack(node, dir, 'sc'));
});

after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const segUrl = () => track.streaming.renditions[0].playlistUrl.replace(/playlist\.m3u8$/, 'seg-00001.m4s');

test('cached segments are byte-exact with their published hash, with ranges, HEAD and 304', async () => {
  const hashes = await (await fetch(track.streaming.renditions[0].segmentHashesUrl)).json();
  const entry = hashes.segments.find((s: { file: string }) => s.file === 'seg-00001.m4s');
  for (let i = 0; i < 2; i++) {
    // The second read comes from the byte cache.
    const res = await rawGet(segUrl());
    assert.equal(res.status, 200);
    assert.equal(Number(res.headers['content-length']), entry.bytes);
    assert.equal(createHash('sha256').update(res.body).digest('hex'), entry.sha256);
    assert.equal(res.headers['etag'], `"${entry.sha256.slice(0, 40)}"`);
  }
  const suffix = await rawGet(segUrl(), { range: 'bytes=-100' });
  assert.equal(suffix.status, 206);
  assert.equal(suffix.headers['content-range'], `bytes ${entry.bytes - 100}-${entry.bytes - 1}/${entry.bytes}`);
  assert.equal(suffix.body.length, 100);
  const head = await fetch(segUrl(), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), entry.bytes);
  assert.equal((await rawGet(segUrl(), { 'if-none-match': `W/"x", "${entry.sha256.slice(0, 40)}"` })).status, 304);
  assert.equal((await rawGet(segUrl(), { range: 'bytes=5-2' })).status, 416);
});

test('a track made private through the API stops being served at once', async () => {
  assert.equal((await rawGet(segUrl())).status, 200); // cached now
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body: { visibility: 'private' } })).status, 200);
  assert.equal((await rawGet(segUrl())).status, 404);
  assert.equal((await rawGet(segUrl(), { authorization: `Bearer ${artist.token}` })).status, 200, 'the owner still plays it');
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body: { visibility: 'public' } })).status, 200);
  assert.equal((await rawGet(segUrl())).status, 200);
});

test('a change made by another process is seen within the cache window (5 s)', async () => {
  assert.equal((await rawGet(segUrl())).status, 200); // cached now
  await node.ctx.db.query(`UPDATE media_tracks SET visibility = 'private' WHERE id = :id`, { replacements: { id: track.id } });
  const t0 = Date.now();
  let status = 200;
  while (status === 200 && Date.now() - t0 < 8000) {
    status = (await rawGet(segUrl())).status;
    if (status === 200) await new Promise((r) => setTimeout(r, 100));
  }
  const waited = Date.now() - t0;
  assert.equal(status, 404);
  assert.ok(waited <= 5000 + 700, `stopped after ${waited} ms`);
});
