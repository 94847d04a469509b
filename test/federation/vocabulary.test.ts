// The vocabulary on its own: track documents (audio and video) and their Mastodon
// fallback, multi-typed custom activities, segment-hash shapes, durations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { federationService } from '../../server/federation/index.js';
import { trackObject, trackNote } from '../../server/federation/objects.js';
import { validateActivity, primaryType } from '../../server/federation/validate.js';
import { normaliseSegmentHashes } from '../../server/federation/remote-tracks.js';
import { isoDuration, parseIsoDuration } from '../../server/federation/vocabulary.js';
import type { TrackView } from '../../server/federation/runtime.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'fed-vocab' });
});
after(async () => {
  await node?.stop();
});

// Only what the documents read of media's view (the license as a remote node may spell it).
const video = {
  id: 'v1', kind: 'video', channel: { id: 'c1', name: 'cam_band', displayName: 'Cam Band' }, title: 'Moving <b>Pictures</b>',
  artist: 'Cam Band', album: null, trackNumber: null, license: 'CC-BY-4.0', durationSeconds: 125, coverUrl: '/static/covers/v1',
  streaming: { masterPlaylistUrl: 'http://n.example/static/streaming/v1/master.m3u8', renditions: [{ name: '360p', playlistUrl: 'http://n.example/p.m3u8', segmentHashesUrl: 'http://n.example/h.json', torrentUrl: 'http://n.example/t.torrent', magnetUri: 'magnet:?xt=urn:btih:abc' }] },
} as unknown as TrackView;

test('a video track is a Video with VideoTrack terms; its fallback is a Note with a video attachment and a link', () => {
  const rt = federationService(node.ctx).rt;
  const obj = trackObject(rt, video);
  assert.equal(obj.type, 'Video');
  assert.equal(obj.trackKind, 'VideoTrack');
  assert.equal(obj.duration, 'PT2M5S');
  assert.equal(obj.license, 'CC-BY-4.0');
  assert.equal((obj.image as any).url, `${rt.publicUrl}/static/covers/v1`);
  const rels = (obj.url as any[]).map((u) => u.rel);
  assert.deepEqual(rels, ['alternate', 'hls-master', 'hls-playlist', 'torrent', 'magnet', 'segment-hashes']);

  const note = trackNote(rt, video);
  assert.equal(note.type, 'Note');
  assert.equal(note.id, obj.id);
  assert.match(String(note.content), /New video: <a href="[^"]+\/tracks\/v1">Moving &lt;b&gt;Pictures&lt;\/b&gt;<\/a> by Cam Band · 2:05/);
  assert.deepEqual((note.attachment as any[]).map((a) => [a.type, a.mediaType]), [['Video', 'application/x-mpegURL'], ['Image', 'image/jpeg']]);
});

test('custom types travel multi-typed and the 9ten type wins; bad shapes are refused', () => {
  assert.equal(primaryType(['Subscription', 'Join']), 'Subscription');
  assert.equal(primaryType(['Stream', 'Create']), 'Stream');
  assert.equal(primaryType('Join'), undefined);
  const ok = validateActivity({ id: 'https://a.example/1', type: ['Subscription', 'Join'], actor: 'https://a.example/u', object: 'https://b.example/ch', amount: 1000, currency: 'USD', period: '2026-11' });
  assert.equal(ok.ok, true);
  const floatAmount = validateActivity({ id: 'https://a.example/2', type: ['Subscription', 'Join'], actor: 'https://a.example/u', object: 'https://b.example/ch', amount: 10.5 });
  assert.equal(floatAmount.ok, false);
  const listen = validateActivity({ id: 'https://a.example/3', type: 'Listen', actor: 'https://a.example/u', object: 'https://b.example/t' });
  assert.equal(listen.ok, false, 'Listen needs qualifiedSeconds');
  const spoof = validateActivity({ id: 'https://evil.example/4', type: 'Follow', actor: 'https://a.example/u', object: 'https://b.example/ch' });
  assert.deepEqual(spoof.ok ? null : [spoof.status, spoof.code], [403, 'origin_mismatch']);
});

test('segment-hash documents of common shapes normalise to name → sha256', () => {
  const h = 'a'.repeat(64);
  assert.deepEqual(normaliseSegmentHashes({ algorithm: 'sha256', files: { 'init.mp4': h }, segments: [{ file: 'seg-00001.m4s', sha256: h }] }), { 'init.mp4': h, 'seg-00001.m4s': h });
  assert.deepEqual(normaliseSegmentHashes([{ name: 'dir/s1.ts', hash: h.toUpperCase() }]), { 's1.ts': h });
  assert.deepEqual(normaliseSegmentHashes({ 's1.ts': 'not-a-hash' }), {});
});

test('durations round-trip through ISO 8601', () => {
  for (const s of [0, 4, 59, 60, 125, 3600, 3725]) assert.equal(parseIsoDuration(isoDuration(s)), s);
  assert.equal(parseIsoDuration('PT1M30.4S'), 90);
  assert.equal(parseIsoDuration('soon'), undefined);
});
