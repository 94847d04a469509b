// Live on one node, with real ffmpeg RTMP pushes on loopback: going live, playlists and
// hashes, health and viewers, a dropped publisher (grace, resume, end), replays, and every
// push the node must refuse before any transcoding starts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { TestNode } from '../helpers/node.js';
import { waitFor } from '../helpers/wait.js';
import { waitTrack } from '../media/support.js';
import { count } from '../federation/support.js';
import { liveService } from '../../server/live/index.js';
import { liveArtist, push, rtmpUrl, startLiveNode, waitStream } from './support.js';

let node: TestNode;
before(async () => {
  node = await startLiveNode({ name: 'live', overrides: { live: { badKeysPerMinutePerAddress: 1000 } } });
});
after(async () => {
  await node?.stop();
});

/** ffmpeg processes of the node's live ladder (they read FLV on stdin), children of this process. */
function ladderProcesses(): number {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', '[-]i pipe:0'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('a push goes live: directory, ladder, hashed segments, health and viewers; a killed publisher ends it after the grace and leaves a replay track', { timeout: 120_000 }, async () => {
  const a = await liveArtist(node);
  const choices = await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { title: 'Friday session', keepReplays: true } });
  assert.equal(choices.status, 200, choices.text);
  assert.equal(choices.body.keepReplays, true);
  assert.equal(choices.body.hasKey, true);
  assert.equal(choices.body.keyHint, a.key.slice(-4));
  assert.ok(!JSON.stringify(choices.body).includes(a.key), 'the key is never shown again');

  const pushedAt = Date.now();
  const publisher = push(rtmpUrl(node, a.key), { video: true, seconds: 60 });
  const live = await waitStream(node, a.token, a.channel.name, 'live');
  assert.equal(live.title, 'Friday session');
  assert.deepEqual(live.renditions.map((r: any) => r.name), ['240p', 'audio'], 'a video rendition no higher than the source, and audio only');

  const dir = await node.api('GET', '/api/v1/live');
  assert.equal(dir.status, 200);
  assert.ok(dir.body.local.some((s: any) => s.id === live.id && s.state === 'live'), 'listed in the directory');

  const master = await fetch(live.playlistUrl).then((r) => r.text());
  assert.match(master, /RESOLUTION=\d+x240/);
  assert.match(master, /CODECS="mp4a\.40\.2",NAME="audio"/);
  const audio = await fetch(live.audioPlaylistUrl);
  assert.equal(audio.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  const audioText = await audio.text();
  assert.match(audioText, /#EXT-X-MEDIA-SEQUENCE:\d+/);
  assert.doesNotMatch(audioText, /#EXT-X-ENDLIST/, 'a live playlist has no end yet');
  const first = /\n(\d+)\.ts/.exec(audioText)![1];
  const base = live.audioPlaylistUrl.replace(/index\.m3u8$/, '');
  const seg = await fetch(`${base}${first}.ts`);
  assert.equal(seg.status, 200);
  const body = Buffer.from(await seg.arrayBuffer());
  assert.equal(body[0], 0x47, 'an MPEG-TS segment');
  // The fast path (bytes in memory, before Express) and the route answer the same.
  const viaRoute = await fetch(`${base}${first}.ts`, { headers: { range: 'bytes=0-' } });
  const viaFast = await fetch(`${base}${first}.ts`);
  assert.deepEqual(Buffer.from(await viaFast.arrayBuffer()), Buffer.from(await viaRoute.arrayBuffer()));
  for (const h of ['content-type', 'content-length', 'cache-control', 'x-content-sha256', 'access-control-allow-origin', 'access-control-expose-headers']) {
    assert.equal(viaFast.headers.get(h), viaRoute.headers.get(h), h);
  }
  const hashes = await fetch(`${base}hashes.json`).then((r) => r.json());
  assert.equal(hashes.segments.find((h: any) => String(h.seq) === first).sha256, sha256(body), 'the recorded hash is the served bytes');
  assert.equal(seg.headers.get('x-content-sha256'), sha256(body));

  const withViewers = await waitStream(node, a.token, a.channel.name, (v) => v.health?.viewers >= 1 && v.health.fps > 15 && v.health.inputKbps > 50);
  assert.ok(withViewers.health.peakViewers >= 1);
  assert.equal(withViewers.health.connected, true);

  publisher.kill('SIGKILL');
  const pushedSeconds = (Date.now() - pushedAt) / 1000;
  const reconnecting = await waitStream(node, a.token, a.channel.name, 'reconnecting', 15_000);
  assert.equal(reconnecting.id, live.id);
  const ended = await waitStream(node, a.token, a.channel.name, 'ended', 20_000);
  assert.equal(ended.id, live.id);
  assert.equal(ended.endReason, 'publisher_disconnected');
  const endedPlaylist = await fetch(live.audioPlaylistUrl).then((r) => r.text());
  assert.match(endedPlaylist, /#EXT-X-ENDLIST/);

  const replay = await waitFor('replay track', async () => (await node.api('GET', `/api/v1/live/streams/${live.id}`)).body.replayTrackId, 30_000);
  const track = await waitTrack(node, a.token, replay, 120_000);
  assert.equal(track.status, 'ready', JSON.stringify(track));
  assert.match(track.title, /^Friday session \(live \d{4}-\d{2}-\d{2}\)$/);
  assert.ok(track.durationSeconds >= pushedSeconds - 2 && track.durationSeconds <= pushedSeconds + 1, `the replay holds what was pushed (${track.durationSeconds} s of ${pushedSeconds} s)`);
  assert.ok(!existsSync(path.join(node.dataDir, 'live', live.id)), 'no files of the ended stream remain');
  assert.equal(ladderProcesses(), 0);
});

test('a publisher that drops and comes back within the grace resumes the same stream, with a discontinuity', { timeout: 90_000 }, async () => {
  const a = await liveArtist(node);
  await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { keepReplays: false } });
  const svc = liveService(node.ctx);
  node.ctx.config.live.reconnectGraceSeconds = 15;
  try {
    const first = push(rtmpUrl(node, a.key), { seconds: 60 });
    const live = await waitStream(node, a.token, a.channel.name, 'live');
    first.kill('SIGKILL');
    await waitStream(node, a.token, a.channel.name, 'reconnecting', 15_000);
    const second = push(rtmpUrl(node, a.key), { seconds: 6 });
    const resumed = await waitStream(node, a.token, a.channel.name, (v) => v.state === 'live' && v.health?.parts === 2, 15_000);
    assert.equal(resumed.id, live.id, 'the same stream');
    await waitFor('a discontinuity', async () => /#EXT-X-DISCONTINUITY\n/.test(await fetch(live.audioPlaylistUrl).then((r) => r.text())), 15_000);
    assert.equal(await second.exited, 0);
    const ended = await waitStream(node, a.token, a.channel.name, 'ended', 20_000);
    assert.equal(ended.endReason, 'publisher_stopped', 'an unpublish ends the stream at once');
    assert.equal(ended.replayTrackId, null, 'no replay unless chosen');
    await waitFor('the session released after its end', () => svc.session(live.id) === undefined, 10_000);
  } finally {
    node.ctx.config.live.reconnectGraceSeconds = 2;
  }
});

test('wrong, missing and revoked keys are refused before any transcoding; a second push to a live channel is refused; garbage is closed', { timeout: 90_000 }, async () => {
  const a = await liveArtist(node);
  const streamsBefore = await count(node, 'live_streams');

  for (const key of ['live_' + 'x'.repeat(32), '', 'not-a-key']) {
    const p = push(rtmpUrl(node, key), { seconds: 10 });
    assert.notEqual(await p.exited, 0, `push with key "${key}" refused`);
    assert.equal(ladderProcesses(), 0, 'no ffmpeg started for a wrong key');
  }
  const wrongApp = push(`rtmp://127.0.0.1:${liveService(node.ctx).rtmpPort}/other/${a.key}`, { seconds: 10 });
  assert.notEqual(await wrongApp.exited, 0);

  // Rotating makes the old key a revoked one.
  const rotated = await node.api('POST', `/api/v1/channels/${a.channel.name}/live/key`, { token: a.token });
  assert.equal(rotated.status, 201);
  assert.notEqual(rotated.body.key, a.key);
  const old = push(rtmpUrl(node, a.key), { seconds: 10 });
  assert.notEqual(await old.exited, 0, 'the previous key is refused');
  assert.equal(await count(node, 'live_streams'), streamsBefore, 'no stream was created by a refused push');

  const stranger = await node.user('artist');
  const other = await node.api('POST', `/api/v1/channels/${a.channel.name}/live/key`, { token: stranger.token });
  assert.equal(other.status, 403, 'only the owner makes keys');

  const first = push(rtmpUrl(node, rotated.body.key), { seconds: 40 });
  const live = await waitStream(node, a.token, a.channel.name, 'live');
  const second = push(rtmpUrl(node, rotated.body.key), { seconds: 10 });
  assert.notEqual(await second.exited, 0, 'a second push is refused');
  assert.equal((await node.api('GET', `/api/v1/live/streams/${live.id}`)).body.state, 'live', 'the first push goes on');

  // Garbage on the RTMP port: the node closes the connection and serves on.
  const closed = await new Promise<boolean>((resolve) => {
    const s = net.connect(liveService(node.ctx).rtmpPort, '127.0.0.1', () => s.write(randomBytes(200_000)));
    s.on('data', () => {}); // read, or the node's close is never seen
    s.on('close', () => resolve(true));
    s.on('error', () => {});
    setTimeout(() => resolve(false), 15_000);
  });
  assert.ok(closed, 'the garbage connection was closed');
  assert.equal((await node.api('GET', '/healthz')).status, 200);

  const revoke = await node.api('DELETE', `/api/v1/channels/${a.channel.name}/live/key`, { token: a.token });
  assert.equal(revoke.status, 204);
  const stop = await node.api('POST', `/api/v1/channels/${a.channel.name}/live/stop`, { token: a.token });
  assert.equal(stop.status, 200, stop.text);
  assert.equal(stop.body.state, 'ended');
  assert.equal(stop.body.endReason, 'stopped_by_owner');
  await first.exited;
  const again = await node.api('POST', `/api/v1/channels/${a.channel.name}/live/stop`, { token: a.token });
  assert.equal(again.status, 409);
  const revokedPush = push(rtmpUrl(node, rotated.body.key), { seconds: 10 });
  assert.notEqual(await revokedPush.exited, 0, 'a revoked key is refused');
  assert.equal(ladderProcesses(), 0);
});

test('chunk headers declaring huge messages on many chunk streams are refused before the node allocates them', { timeout: 30_000 }, async () => {
  const before = process.memoryUsage().arrayBuffers;
  const closed = await new Promise<boolean>((resolve) => {
    const s = net.connect(liveService(node.ctx).rtmpPort, '127.0.0.1');
    let handshaken = false;
    s.on('data', () => {
      if (handshaken) return;
      handshaken = true; // S0S1S2 arrived: send C2, then 20 chunk streams each declaring 16 MiB
      const chunks = [randomBytes(1536)];
      for (let cid = 3; cid < 23; cid++) {
        const header = Buffer.alloc(12);
        header[0] = cid; // fmt 0
        header.writeUIntBE(0xffffff, 4, 3); // message length
        header[7] = 20; // AMF0 command
        chunks.push(header, Buffer.alloc(128));
      }
      s.write(Buffer.concat(chunks));
    });
    s.on('connect', () => s.write(Buffer.concat([Buffer.from([3]), randomBytes(1536)])));
    s.on('close', () => resolve(true));
    s.on('error', () => {});
    setTimeout(() => (s.destroy(), resolve(false)), 5_000);
  });
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(closed, 'the node closed the connection');
  assert.ok(grown < 64 * 1024 * 1024, `the node allocated ${Math.round(grown / 1048576)} MiB for it`);
});

test('an unsupported codec and a stream without audio end with a clear reason, never stuck live', { timeout: 60_000 }, async () => {
  const a = await liveArtist(node);
  const flv1 = push(rtmpUrl(node, a.key), { video: true, videoCodec: 'flv1', seconds: 20 });
  const ended = await waitStream(node, a.token, a.channel.name, 'ended', 20_000);
  assert.equal(ended.endReason, 'unsupported_codec');
  assert.match(ended.endMessage, /H\.264/);
  await flv1.exited;
  assert.equal((await node.api('GET', '/api/v1/live')).body.local.filter((s: any) => s.channel.id === a.channel.id).length, 0);
  assert.deepEqual(readdirSync(path.join(node.dataDir, 'live')).filter((d) => d === ended.id), []);

  const silent = push(rtmpUrl(node, a.key), { video: true, noAudio: true, seconds: 20 });
  const noAudio = await waitStream(node, a.token, a.channel.name, (v) => v.state === 'ended' && v.id !== ended.id, 20_000);
  assert.equal(noAudio.endReason, 'no_audio');
  await silent.exited;
  assert.equal(ladderProcesses(), 0);
});

test("a replay is a track within the artist's quotas: past them the stream says why it kept none", { timeout: 60_000 }, async () => {
  const a = await liveArtist(node);
  const admin = await node.user('admin');
  const limits = await node.api('PUT', `/api/v1/admin/users/${a.user.id}/quota`, { token: admin.token, body: { quotaTracks: 0 } });
  assert.equal(limits.status, 200, limits.text);
  await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { keepReplays: true } });
  const publisher = push(rtmpUrl(node, a.key), { seconds: 5 });
  const live = await waitStream(node, a.token, a.channel.name, 'live');
  assert.equal(await publisher.exited, 0);
  const refused = await waitFor('the replay refused', async () => (await node.api('GET', `/api/v1/live/streams/${live.id}`)).body.replayError, 30_000);
  assert.match(refused, /0 tracks allowed|tracks allowed/);
  assert.equal((await node.api('GET', `/api/v1/live/streams/${live.id}`)).body.replayTrackId, null);
});
