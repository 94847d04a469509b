// The progressive file (issue 18, decision 0102): a real upload gets one audio/mp4 file remuxed
// from its 128k rendition, which ffprobe reads as AAC of the right length; it is served with
// byte ranges to whoever may play the track without asking (never a paid track); what each
// response sends reaches listening's segment log as its share of the rendition's timeline, so a
// play that fetched a fifth of the file does not qualify and one that fetched it all does; the
// Mastodon fallback Note carries it as an audio/mp4 attachment; the backfill makes it for tracks
// transcoded before it existed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio, makeVideo, probe } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist, upload, waitTrack } from './support.js';
import { mediaService } from '../../server/media/index.js';
import { listeningService } from '../../server/listening/index.js';
import { federationService } from '../../server/federation/index.js';
import { trackNote, trackObject } from '../../server/federation/objects.js';
import { ProgressiveBackfill } from '../../server/media/progressive-backfill.js';
import { RangeMeter } from '../../server/media/progressive-route.js';
import type { SegmentServed } from '../../server/media/model.js';
import type { ProgressiveIndex } from '../../server/media/progressive.js';
import { setListening, lenientRules, progress } from '../listening/helpers.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let track: any;
let file: Buffer;
let index: ProgressiveIndex;
const seconds = 40;

const trackDir = (id: string) => mediaService(node.ctx).storage.streamingDir(id);

async function uploadReady(name: string, opts: { visibility?: 'public' | 'unlisted' | 'private' } = {}) {
  const source = await makeAudio(dir, { seconds, name: `${name}.mp3`, tags: { title: name } });
  const up = await upload(node, artist.token, artist.channel.id, source, opts);
  assert.equal(up.status, 200, up.text);
  const t = await waitTrack(node, artist.token, up.body.trackId);
  assert.equal(t.status, 'ready', t.failureReason);
  return t;
}

before(async () => {
  node = await startTestNode({ name: 'media-progressive', overrides: { media: { audioBitratesKbps: [64, 128] } } });
  dir = mediaDir('progressive');
  artist = await makeArtist(node);
  track = await uploadReady('Long Tone');
  file = readFileSync(path.join(trackDir(track.id), 'audio.m4a'));
  index = JSON.parse(readFileSync(path.join(trackDir(track.id), 'audio.json'), 'utf8'));
});

after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('the upload gets an AAC audio/mp4 file of the right length, remuxed from its 128k rendition, in its API view', async () => {
  assert.deepEqual(track.progressive, { url: `${node.ctx.config.publicUrl}/static/audio/${track.id}.m4a`, mimeType: 'audio/mp4', bytes: file.length, bitrateKbps: 128 });
  const probed = await probe(path.join(trackDir(track.id), 'audio.m4a'));
  const audio = probed.streams.find((s: any) => s.codec_type === 'audio');
  assert.equal(audio?.codec_name, 'aac');
  assert.equal(probed.streams.length, 1, 'audio only');
  assert.ok(Math.abs(Number(probed.format.duration) - seconds) < 0.15, `duration ${probed.format.duration}`);
  assert.equal(probed.format.tags?.major_brand?.trim(), 'M4A', 'an ordinary .m4a (moov first), not fragmented');

  // Its index: one part per segment of the 128k rendition, on that rendition's timeline, each
  // hashed as served, back to back up to the end of the file.
  const hashes = JSON.parse(readFileSync(path.join(trackDir(track.id), '128k', 'segment-hashes.json'), 'utf8'));
  assert.equal(index.rendition, '128k');
  assert.equal(index.bytes, file.length);
  assert.equal(index.sha256, createHash('sha256').update(file).digest('hex'));
  assert.deepEqual(index.parts.map((p) => [p.index, p.startSeconds, p.durationSeconds]), hashes.segments.map((s: any) => [s.index, s.startSeconds, s.durationSeconds]));
  let at = index.dataOffset;
  for (const p of index.parts) {
    assert.equal(p.offset, at);
    assert.equal(p.sha256, createHash('sha256').update(file.subarray(p.offset, p.offset + p.bytes)).digest('hex'));
    at += p.bytes;
  }
  assert.equal(at, file.length);
});

test('it is served whole and by byte ranges (206), with CORS, ETag and 304/416', async () => {
  const url = track.progressive.url;
  const whole = await fetch(url, { headers: { origin: 'https://elsewhere.example' } });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-type'), 'audio/mp4');
  assert.equal(whole.headers.get('accept-ranges'), 'bytes');
  assert.equal(whole.headers.get('access-control-allow-origin'), '*');
  assert.equal(whole.headers.get('cache-control'), 'public, max-age=3600');
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(file));
  const etag = whole.headers.get('etag')!;

  const part = await fetch(url, { headers: { range: 'bytes=1000-4999' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 1000-4999/${file.length}`);
  assert.equal(part.headers.get('content-length'), '4000');
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(file.subarray(1000, 5000)));

  const tail = await fetch(url, { headers: { range: 'bytes=-100' } });
  assert.equal(tail.status, 206);
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(file.subarray(file.length - 100)));
  const open = await fetch(url, { headers: { range: `bytes=${file.length - 10}-` } });
  assert.equal(open.status, 206);
  assert.equal((await open.arrayBuffer()).byteLength, 10);

  assert.equal((await fetch(url, { headers: { range: `bytes=${file.length}-` } })).status, 416);
  assert.equal((await fetch(url, { headers: { 'if-none-match': etag } })).status, 304);
  const head = await fetch(url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(file.length));
  const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-headers': 'range, x-play-session' } });
  assert.equal(preflight.status, 204);
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Range, X-Play-Session/);

  assert.equal((await fetch(`${node.ctx.config.publicUrl}/static/audio/${track.id}.mp3`)).status, 404);
  assert.equal((await fetch(`${node.ctx.config.publicUrl}/static/audio/00000000-0000-4000-8000-000000000000.m4a`)).status, 404);
});

test('a paid track never gets it: 403, and no progressive in its view; a private one: 404', async () => {
  const paid = await uploadReady('Paid Tone');
  const patched = await node.api('PATCH', `/api/v1/tracks/${paid.id}`, { token: artist.token, body: { access: { mode: 'subscribers' } } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.progressive, null);
  const url = `${node.ctx.config.publicUrl}/static/audio/${paid.id}.m4a`;
  const refused = await fetch(url, { headers: { range: 'bytes=0-99' } });
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).code, 'progressive_not_offered');
  assert.equal(refused.headers.get('access-control-allow-origin'), '*', 'errors carry CORS too');
  // Not even the owner: the paid track is played over HLS, through the access gate.
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${artist.token}` } })).status, 403);

  const priv = await uploadReady('Private Tone', { visibility: 'private' });
  assert.equal(priv.progressive, null);
  assert.equal((await fetch(`${node.ctx.config.publicUrl}/static/audio/${priv.id}.m4a`)).status, 404);
});

/** Starts a play session for a new listener. */
async function playSession() {
  const listener = await node.user('listener');
  const play = await node.api('POST', '/api/v1/plays', { token: listener.token, body: { trackId: track.id } });
  assert.equal(play.status, 201, play.text);
  return { token: listener.token, sessionId: play.body.sessionId as string };
}

async function servedRows(sessionId: string) {
  await listeningService(node.ctx).segmentLog.flush();
  const [rows] = await node.ctx.db.query(
    `SELECT rendition, segment_index, start_seconds, duration_seconds, bytes, byte_start, segment_bytes FROM segment_serves WHERE session_id = :id ORDER BY segment_index, byte_start`,
    { replacements: { id: sessionId } },
  );
  return (rows as any[]).map((r) => ({ ...r, bytes: Number(r.bytes), byte_start: Number(r.byte_start), segment_bytes: Number(r.segment_bytes) }));
}

test("served byte ranges reach listening's segment log as their share of the rendition's timeline", async () => {
  const { sessionId } = await playSession();
  // Half of part 2 and the first quarter of part 3, as one range.
  const [p2, p3] = [index.parts[2], index.parts[3]];
  const start = p2.offset + Math.floor(p2.bytes / 2);
  const end = p3.offset + Math.floor(p3.bytes / 4); // exclusive
  const res = await fetch(`${track.progressive.url}?session=${sessionId}`, { headers: { range: `bytes=${start}-${end - 1}` } });
  assert.equal(res.status, 206);
  await res.arrayBuffer();
  const rows = await waitFor('serves logged', async () => {
    const r = await servedRows(sessionId);
    return r.length >= 2 ? r : undefined;
  });
  assert.deepEqual(rows, [
    { rendition: 'audio.m4a', segment_index: 2, start_seconds: p2.startSeconds, duration_seconds: p2.durationSeconds, bytes: p2.offset + p2.bytes - start, byte_start: start - p2.offset, segment_bytes: p2.bytes },
    { rendition: 'audio.m4a', segment_index: 3, start_seconds: p3.startSeconds, duration_seconds: p3.durationSeconds, bytes: end - p3.offset, byte_start: 0, segment_bytes: p3.bytes },
  ]);
  // The header (moov) alone is like init.mp4: no time at all.
  const { sessionId: headerOnly } = await playSession();
  await (await fetch(track.progressive.url, { headers: { 'x-play-session': headerOnly, range: `bytes=0-${index.dataOffset - 1}` } })).arrayBuffer();
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await servedRows(headerOnly), []);
});

test('a response is metered while it goes: each part once its last byte is sent, the rest when it ends or breaks off', () => {
  const events: SegmentServed[] = [];
  const [p0, p1, p2] = index.parts;
  const who = { userId: null, session: 'a-session', ip: '10.0.0.1', userAgent: 'test' };
  const meter = new RangeMeter({ emitSegmentServed: (e) => events.push(e) }, track.id, index, 0, who);
  meter.advance(p0.offset + 10); // the header and 10 bytes of part 0: nothing whole yet
  assert.equal(events.length, 0);
  meter.advance(p1.offset + 5); // part 0 complete
  assert.deepEqual(events.map((e) => [e.segmentIndex, e.byteStart, e.bytes, e.segmentBytes]), [[p0.index, 0, p0.bytes, p0.bytes]]);
  meter.advance(p2.offset + p2.bytes); // parts 1 and 2 complete
  meter.end(p2.offset + p2.bytes + 100); // broken off 100 bytes into part 3
  assert.deepEqual(events.map((e) => [e.segmentIndex, e.byteStart, e.bytes]), [[0, 0, p0.bytes], [1, 0, p1.bytes], [2, 0, p2.bytes], [3, 0, 100]]);
  assert.deepEqual(events.map((e) => [e.rendition, e.segmentStartSeconds, e.sessionId]).at(-1), ['audio.m4a', index.parts[3].startSeconds, 'a-session']);
});

test('the 30 s rule holds: a play that fetched 20 % of the file does not qualify, one that fetched all of it does', async () => {
  setListening(node, lenientRules());
  const dataBytes = file.length - index.dataOffset;

  const partial = await playSession();
  const fifth = index.dataOffset + Math.floor(dataBytes / 5);
  const cut = await fetch(track.progressive.url, { headers: { 'x-play-session': partial.sessionId, range: `bytes=0-${fifth - 1}` } });
  assert.equal(cut.status, 206);
  await cut.arrayBuffer();
  await waitFor('partial serves logged', async () => ((await servedRows(partial.sessionId)).length ? true : undefined));
  const notYet = await progress(node, partial.token, partial.sessionId, seconds - 1, seconds - 1);
  assert.equal(notYet.status, 200, notYet.text);
  assert.equal(notYet.body.qualified, false);
  assert.ok(notYet.body.coveredSeconds > 7 && notYet.body.coveredSeconds < 9, `a fifth of ${seconds} s covered: ${notYet.body.coveredSeconds}`);

  const full = await playSession();
  const all = await fetch(track.progressive.url, { headers: { 'x-play-session': full.sessionId } });
  assert.equal(all.status, 200);
  await all.arrayBuffer();
  const listen = await waitFor('listen qualified', async () => {
    const r = await progress(node, full.token, full.sessionId, seconds - 1, seconds - 1);
    assert.equal(r.status, 200, r.text);
    return r.body.qualified ? r.body : undefined;
  });
  assert.ok(listen.coveredSeconds >= 38, JSON.stringify(listen));
  assert.equal(listen.listen.status, 'counted');
});

test('the Mastodon fallback Note attaches the file as audio/mp4 (the HLS link stays), and the AudioTrack links it', async () => {
  const rt = federationService(node.ctx).rt;
  const view = (await mediaService(node.ctx).getTrack(track.id))!;
  const note = trackNote(rt, view);
  const attachments = note.attachment as any[];
  assert.deepEqual(attachments.map((a) => [a.type, a.mediaType]).slice(0, 2), [['Audio', 'audio/mp4'], ['Audio', 'application/x-mpegURL']]);
  assert.equal(attachments[0].url, track.progressive.url);
  const links = (trackObject(rt, view).url as any[]).filter((l) => l.rel === 'progressive');
  assert.deepEqual(links, [{ type: 'Link', rel: 'progressive', href: track.progressive.url, mediaType: 'audio/mp4', size: file.length }]);
});

test('a video track has none (its audio is in every video rendition)', async () => {
  const up = await upload(node, artist.token, artist.channel.id, await makeVideo(dir, { seconds: 4, width: 320, height: 240, name: 'clip.mp4' }));
  assert.equal(up.status, 200, up.text);
  const video = await waitTrack(node, artist.token, up.body.trackId);
  assert.equal(video.status, 'ready', video.failureReason);
  assert.equal(video.progressive, null);
  assert.equal(existsSync(path.join(trackDir(video.id), 'audio.m4a')), false);
});

test('the backfill job makes the file for a track transcoded before it existed, and it plays again', async () => {
  const old = await uploadReady('Old Tone');
  const folder = trackDir(old.id);
  const before = readFileSync(path.join(folder, 'audio.m4a'));
  // As a track transcoded before migration 0105: no column, no files.
  await node.ctx.db.query(`UPDATE media_tracks SET progressive_audio = NULL WHERE id = :id`, { replacements: { id: old.id } });
  rmSync(path.join(folder, 'audio.m4a'));
  rmSync(path.join(folder, 'audio.json'));
  mediaService(node.ctx).streaming.forget(old.id);
  assert.equal((await node.api('GET', `/api/v1/tracks/${old.id}`)).body.progressive, null);
  assert.equal((await fetch(`${node.ctx.config.publicUrl}/static/audio/${old.id}.m4a`)).status, 404);

  // The worker's start queues it; the media queue runs it.
  const backfill = new ProgressiveBackfill(node.ctx, mediaService(node.ctx));
  assert.equal(await backfill.queueIfNeeded(), true);
  const view = await waitFor('backfilled', async () => (await node.api('GET', `/api/v1/tracks/${old.id}`)).body.progressive ?? undefined, 30_000);
  assert.equal(view.bytes, before.length);
  assert.ok(readFileSync(path.join(folder, 'audio.m4a')).equals(before), 'the same remux as at upload');
  assert.ok(existsSync(path.join(folder, 'audio.json')));
  const res = await fetch(view.url, { headers: { range: 'bytes=0-9' } });
  assert.equal(res.status, 206);
  assert.equal(await backfill.queueIfNeeded(), false, 'nothing left to do');
  // A run with nothing to do says so.
  assert.deepEqual(await backfill.run({}), { made: 0, failed: 0, total: 0, done: true });
  assert.equal(statSync(path.join(folder, 'audio.m4a')).size, before.length);
});
