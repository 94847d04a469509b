// Uploads and transcodes cannot exhaust the node: per-user storage and track quotas (with
// admin overrides), a cap on unfinished uploads, source duration and resolution limits (at
// upload and again at transcode time), an ffmpeg wall-clock timeout, and a fair share of the
// transcode queue so one uploader cannot hold everyone else back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio, makeVideo } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist, upload, waitTrack, mediaFiles } from './support.js';

let dir: string;
const nodes: TestNode[] = [];
const tempDirs: string[] = [];

before(() => {
  dir = mediaDir('limits');
});

after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  if (dir) removeMediaDir(dir);
});

async function node(name: string, overrides: Record<string, unknown>, extra: Partial<Parameters<typeof startTestNode>[0]> = {}): Promise<TestNode> {
  const n = await startTestNode({ name, overrides, ...extra });
  nodes.push(n);
  return n;
}

const problemJson = 'application/problem+json; charset=utf-8';

test('storage quota: an upload past the bytes quota is refused with 413 and the usage; an admin raises it per user', async () => {
  const n = await node('limits-quota', { uploads: { quotaBytesPerUser: 150_000 }, media: { audioBitratesKbps: [64] } });
  const artist = await makeArtist(n);
  const file = await makeAudio(dir, { format: 'wav', seconds: 1, name: 'quota-1s.wav' }); // 44.1 kHz × 2 ch × 2 B ≈ 176 KB
  const size = readFileSync(file).length;
  assert.ok(size > 150_000, `test file is ${size} bytes`);

  const refused = await n.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: artist.channel.id, filename: 'a.wav', size } });
  assert.equal(refused.status, 413, refused.text);
  assert.equal(refused.headers.get('content-type'), problemJson);
  assert.equal(refused.body.code, 'storage_quota_exceeded');
  assert.equal(refused.body.quotaBytes, 150_000);
  assert.equal(refused.body.usedBytes, 0);
  assert.match(refused.body.detail, /150000/);

  // Only admins adjust quotas.
  const self = await n.api('PUT', `/api/v1/admin/users/${artist.user.id}/quota`, { token: artist.token, body: { quotaBytes: 10_000_000 } });
  assert.equal(self.status, 403);
  const admin = await n.user('admin');
  const raised = await n.api('PUT', `/api/v1/admin/users/${artist.user.id}/quota`, { token: admin.token, body: { quotaBytes: 10_000_000 } });
  assert.equal(raised.status, 200, raised.text);
  assert.equal(raised.body.bytes.limit, 10_000_000);
  assert.equal(raised.body.overrides.quotaBytes, 10_000_000);
  const unknown = await n.api('PUT', `/api/v1/admin/users/00000000-0000-4000-8000-000000000000/quota`, { token: admin.token, body: { quotaBytes: 1 } });
  assert.equal(unknown.status, 404);
  // Past the column's range: a 400, not a failed INSERT.
  const huge = await n.api('PUT', `/api/v1/admin/users/${artist.user.id}/quota`, { token: admin.token, body: { quotaTracks: 3_000_000_000 } });
  assert.equal(huge.status, 400, huge.text);
  // Two admins setting different limits at once both win.
  const [x, y] = await Promise.all([
    n.api('PUT', `/api/v1/admin/users/${artist.user.id}/quota`, { token: admin.token, body: { quotaTracks: 77 } }),
    n.api('PUT', `/api/v1/admin/users/${artist.user.id}/quota`, { token: admin.token, body: { maxConcurrentUploads: 9 } }),
  ]);
  assert.equal(x.status, 200, x.text);
  assert.equal(y.status, 200, y.text);
  const both = await n.api('GET', `/api/v1/admin/users/${artist.user.id}/quota`, { token: admin.token });
  assert.deepEqual(both.body.overrides, { quotaBytes: 10_000_000, quotaTracks: 77, maxConcurrentUploads: 9 });

  const ok = await upload(n, artist.token, artist.channel.id, file);
  assert.equal(ok.status, 200, ok.text);
  await waitTrack(n, artist.token, ok.body.trackId);
  const mine = await n.api('GET', '/api/v1/me/quota', { token: artist.token });
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.body.bytes.used, size);
  assert.equal(mine.body.bytes.limit, 10_000_000);
  assert.equal(mine.body.tracks.used, 1);

  // Back to the node's default: the stored track alone is over it, so the next upload is refused.
  const reset = await n.api('PUT', `/api/v1/admin/users/${artist.user.id}/quota`, { token: admin.token, body: { quotaBytes: null } });
  assert.equal(reset.body.bytes.limit, 150_000);
  const again = await n.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: artist.channel.id, filename: 'b.wav', size: 10 } });
  assert.equal(again.status, 413);
  assert.equal(again.body.usedBytes, size);
  const view = await n.api('GET', `/api/v1/admin/users/${artist.user.id}/quota`, { token: admin.token });
  assert.equal(view.status, 200);
  assert.equal(view.body.bytes.used, size);
});

test('track count quota and the cap on unfinished uploads per user', async () => {
  const n = await node('limits-count', { uploads: { quotaTracksPerUser: 3, maxConcurrentPerUser: 2 } });
  const artist = await makeArtist(n);
  const start = () => n.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: artist.channel.id, filename: 'x.mp3', size: 1000 } });
  const a = await start();
  const b = await start();
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  const c = await start();
  assert.equal(c.status, 429, c.text);
  assert.equal(c.headers.get('content-type'), problemJson);
  assert.equal(c.body.code, 'too_many_uploads');
  assert.equal(c.body.unfinishedUploads, 2);
  assert.equal(c.body.maxConcurrentUploads, 2);
  // Another artist is not affected by this one's open uploads.
  const other = await makeArtist(n);
  assert.equal((await n.api('POST', '/api/v1/uploads', { token: other.token, body: { channelId: other.channel.id, filename: 'y.mp3', size: 1000 } })).status, 201);

  assert.equal((await n.api('DELETE', `/api/v1/uploads/${a.body.id}`, { token: artist.token })).status, 204);
  const d = await start();
  assert.equal(d.status, 201, d.text);
  const e = await start();
  assert.equal(e.status, 429);
  assert.equal((await n.api('DELETE', `/api/v1/uploads/${d.body.id}`, { token: artist.token })).status, 204);
  const f = await start();
  assert.equal(f.status, 201);
  // Unfinished uploads count towards the track quota: 2 open + 1 new is past a quota of 2.
  await n.api('PUT', `/api/v1/admin/users/${artist.user.id}/quota`, { token: (await n.user('admin')).token, body: { quotaTracks: 2, maxConcurrentUploads: 5 } });
  const g = await start();
  assert.equal(g.status, 403, g.text);
  assert.equal(g.body.code, 'track_quota_exceeded');
  assert.equal(g.body.quotaTracks, 2);
  assert.equal(g.body.usedTracks, 2);
});

test('a source longer or larger than the node accepts is refused at upload, with nothing kept', async () => {
  const n = await node('limits-source', { media: { maxDurationSeconds: 5, maxSourceHeight: 240, maxSourceWidth: 426, audioBitratesKbps: [64] } });
  const artist = await makeArtist(n);
  const before = mediaFiles(n);
  const long = await upload(n, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 8, name: 'long8.mp3' }));
  assert.equal(long.status, 422, long.text);
  assert.equal(long.body.code, 'media_too_long');
  assert.equal(long.body.maxDurationSeconds, 5);
  assert.ok(long.body.durationSeconds > 7);
  assert.match(long.body.detail, /5 s/);
  const big = await upload(n, artist.token, artist.channel.id, await makeVideo(dir, { format: 'mp4', seconds: 2, width: 640, height: 360 }));
  assert.equal(big.status, 422, big.text);
  assert.equal(big.body.code, 'resolution_too_high');
  assert.equal(big.body.height, 360);
  assert.deepEqual(mediaFiles(n), before, 'no upload file or original is left behind');
  const short = await upload(n, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 3, name: 'short3.mp3' }));
  assert.equal(short.status, 200, short.text);
  assert.equal((await waitTrack(n, artist.token, short.body.trackId)).status, 'ready');
});

test('a queued track over limits lowered since its upload fails at transcode time and its original is kept', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), '9ten-limits-lowered-'));
  tempDirs.push(dataDir);
  // A web-only node accepts the upload under generous limits; no worker runs the job.
  const web = await startTestNode({ name: 'limits-lowered', dataDir, keepDatabase: true, overrides: { role: 'web' } });
  const dbName = new URL(web.databaseUrl).pathname.slice(1);
  const artist = await makeArtist(web);
  const res = await upload(web, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 8, name: 'lowered8.mp3' }));
  assert.equal(res.status, 200, res.text);
  const trackId = res.body.trackId;
  assert.ok(mediaFiles(web).some((f) => f.startsWith(`originals/${trackId}.`)));
  await web.stop();

  // The operator lowers the limit; the worker that picks the track up refuses it.
  const n = await node('limits-lowered', { role: 'all', media: { maxDurationSeconds: 5 } }, { dataDir, databaseName: dbName });
  const track = await waitTrack(n, artist.token, trackId);
  assert.equal(track.status, 'failed');
  assert.match(track.failureReason, /longer than this node accepts \(5 s\)/);
  // The original stays (an admin may raise the limit again); nothing else of the track is left.
  const files = mediaFiles(n).filter((f) => f.includes(trackId));
  assert.deepEqual(files.map((f) => f.split('/')[0]), ['originals'], `files of ${trackId}: ${files.join(', ')}`);
});

test('"transcode again" on a ready track over limits lowered since is refused with 422, and the track stays as it was', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), '9ten-limits-again-'));
  tempDirs.push(dataDir);
  const first = await startTestNode({ name: 'limits-again', dataDir, keepDatabase: true, overrides: { media: { audioBitratesKbps: [64] } } });
  const dbName = new URL(first.databaseUrl).pathname.slice(1);
  const artist = await makeArtist(first);
  const res = await upload(first, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 8, name: 'again8.mp3' }));
  assert.equal(res.status, 200, res.text);
  const trackId = res.body.trackId;
  assert.equal((await waitTrack(first, artist.token, trackId)).status, 'ready');
  await first.stop();

  const n = await node('limits-again', { media: { maxDurationSeconds: 5, audioBitratesKbps: [64] } }, { dataDir, databaseName: dbName });
  const files = mediaFiles(n).filter((f) => f.includes(trackId));
  const again = await n.api('POST', `/api/v1/tracks/${trackId}/retranscode`, { token: artist.token });
  assert.equal(again.status, 422, again.text);
  assert.equal(again.headers.get('content-type'), problemJson);
  assert.equal(again.body.code, 'media_too_long');
  assert.equal(again.body.maxDurationSeconds, 5);
  assert.equal((await n.api('GET', `/api/v1/tracks/${trackId}`, { token: artist.token })).body.status, 'ready');
  assert.deepEqual(mediaFiles(n).filter((f) => f.includes(trackId)), files, 'the original and renditions are all kept');
});

test('a transcode that runs past its wall-clock limit is killed and the track fails with the reason', async () => {
  const n = await node('limits-timeout', { media: { transcodeTimeoutFactor: 0.01, transcodeTimeoutMinSeconds: 1, videoHeights: [240, 360] } });
  const artist = await makeArtist(n);
  const res = await upload(n, artist.token, artist.channel.id, await makeVideo(dir, { format: 'mp4', seconds: 20, width: 640, height: 360, name: 'slow20.mp4' }));
  assert.equal(res.status, 200, res.text);
  const trackId = res.body.trackId;
  const track = await waitTrack(n, artist.token, trackId);
  assert.equal(track.status, 'failed', 'a 20 s video cannot be transcoded in 1 s here');
  assert.match(track.failureReason, /took longer than 1 s/);
  const ffmpegs = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(trackId) && /ffmpeg/.test(l));
  await waitFor('no ffmpeg of the track still running', () => ffmpegs().length === 0, 10_000);
  assert.ok(!existsSync(path.join(n.dataDir, 'media', 'work', trackId)), 'the work folder is removed');
  assert.ok(!existsSync(path.join(n.dataDir, 'media', 'streaming', trackId)));
});

test("fair share: a second user's upload is transcoded while the first user still has many queued", async () => {
  const n = await node('limits-fair', { media: { transcodeConcurrency: 1, maxQueuedTranscodesPerUser: 1, audioBitratesKbps: [64, 128] } });
  const busy = await makeArtist(n);
  const other = await makeArtist(n);
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await upload(n, busy.token, busy.channel.id, await makeAudio(dir, { format: 'flac', seconds: 30, frequency: 300 + i * 50, name: `busy-${i}.flac` }));
    assert.equal(res.status, 200, res.text);
    ids.push(res.body.trackId);
  }
  const mine = await upload(n, other.token, other.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 3, name: 'other.mp3' }));
  assert.equal(mine.status, 200, mine.text);
  const done = await waitTrack(n, other.token, mine.body.trackId, 180_000);
  assert.equal(done.status, 'ready');
  const states = await Promise.all(ids.map(async (id) => (await n.api('GET', `/api/v1/tracks/${id}`, { token: busy.token })).body.status as string));
  const stillQueued = states.filter((s) => s === 'processing').length;
  assert.ok(stillQueued >= 3, `the other user's track waited behind the busy user's: busy tracks ${states.join(', ')}`);
  const quota = await n.api('GET', '/api/v1/me/quota', { token: busy.token });
  assert.equal(quota.body.transcodes.limit, 1);
  assert.ok(quota.body.transcodes.queued + quota.body.transcodes.waiting >= 1);
  for (const id of ids) assert.equal((await waitTrack(n, busy.token, id, 180_000)).status, 'ready');
});
