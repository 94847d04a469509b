// Video: mp4, webm and mov end `ready` with an HLS fMP4 ladder (with audio) that never
// upscales, decodes over HTTP, and is served with video content types.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeVideo, probe, decodeFully, type VideoFormat } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from './support.js';

let node: TestNode;
let dir: string;
const tracks = new Map<VideoFormat, any>();
let silentTrack: any;
const sizes: Record<VideoFormat, [number, number]> = { mp4: [640, 360], webm: [320, 180], mov: [426, 240] };

before(async () => {
  node = await startTestNode({ name: 'media-video' });
  dir = mediaDir('video');
  const artist = await makeArtist(node);
  for (const format of ['mp4', 'webm', 'mov'] as const) {
    const [width, height] = sizes[format];
    const file = await makeVideo(dir, { format, seconds: 3, width, height });
    const res = await upload(node, artist.token, artist.channel.id, file);
    assert.equal(res.status, 200, `${format}: ${res.text}`);
    tracks.set(format, res.body.trackId);
  }
  const silent = await upload(node, artist.token, artist.channel.id, await makeVideo(dir, { format: 'mp4', seconds: 3, width: 320, height: 240, audio: false, name: 'silent.mp4' }));
  assert.equal(silent.status, 200, silent.text);
  for (const [format, id] of tracks) tracks.set(format, await waitTrack(node, artist.token, id));
  silentTrack = await waitTrack(node, artist.token, silent.body.trackId);
});

after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('each video format ends ready with a ladder that never upscales', () => {
  const expected: Record<VideoFormat, string[]> = { mp4: ['240p', '360p'], webm: ['180p'], mov: ['240p'] };
  for (const [format, t] of tracks) {
    assert.equal(t.status, 'ready', `${format}: ${t.failureReason}`);
    assert.equal(t.kind, 'video');
    assert.deepEqual(t.streaming.renditions.map((r: any) => r.name), expected[format]);
    assert.ok(t.streaming.renditions.every((r: any) => r.height <= sizes[format as VideoFormat][1]));
    assert.ok(Math.abs(t.durationSeconds - 3) < 0.3);
    assert.ok(t.loudness.integratedLufs !== null, 'the audio track was measured');
  }
});

test('the video ladder decodes over HTTP with video and audio in each rendition', async () => {
  const t = tracks.get('mp4');
  await decodeFully(t.streaming.masterPlaylistUrl);
  for (const r of t.streaming.renditions) {
    const p = await probe(r.playlistUrl);
    const v = p.streams.find((s) => s.codec_type === 'video');
    assert.equal(v?.codec_name, 'h264');
    assert.equal(v?.height, r.height);
    assert.ok(p.streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac'));
  }
  const master = await (await fetch(t.streaming.masterPlaylistUrl)).text();
  assert.match(master, /RESOLUTION=640x360/);
  assert.match(master, /RESOLUTION=426x240/);
  assert.match(master, /CODECS="avc1\.[0-9a-f]+,mp4a\.40\.2"/);
});

test('video files are served with video content types', async () => {
  const t = tracks.get('webm');
  const base = t.streaming.renditions[0].playlistUrl.replace(/playlist\.m3u8$/, '');
  assert.equal((await fetch(base + 'init.mp4')).headers.get('content-type'), 'video/mp4');
  const seg = await fetch(base + 'seg-00000.m4s');
  assert.equal(seg.status, 200);
  assert.equal(seg.headers.get('content-type'), 'video/iso.segment');
  const listed = await fetch(`${node.url}/api/v1/tracks?kind=video`);
  assert.equal((await listed.json()).total, 4);
});

test('a video without sound is streamed video-only, with no loudness', async () => {
  assert.equal(silentTrack.status, 'ready', silentTrack.failureReason);
  assert.deepEqual(silentTrack.streaming.renditions.map((r: any) => r.name), ['240p']);
  assert.deepEqual(silentTrack.loudness, { integratedLufs: null, truePeakDbtp: null, lra: null });
  const p = await probe(silentTrack.streaming.renditions[0].playlistUrl);
  assert.deepEqual(p.streams.map((s) => s.codec_type), ['video']);
  const master = await (await fetch(silentTrack.streaming.masterPlaylistUrl)).text();
  assert.match(master, /CODECS="avc1\.640028"/);
});
