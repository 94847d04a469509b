// A node behind Debian's nginx with the site `npm run nginx-site` writes: public segments come
// from disk and are metered from nginx's access log; everything else reaches the node, which
// meters it itself; what nginx may serve follows each track's visibility.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readlinkSync, renameSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { waitFor } from '../helpers/wait.js';
import { mediaDir, removeMediaDir } from '../helpers/media.js';
import { skipWithoutNginx, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { makeArtist, rawGet, readyShortTrack, upload, waitTrack } from './support.js';
import { nginxSite } from '../../server/media/nginx-site.js';
import { mediaService, type SegmentServed } from '../../server/media/index.js';
import { FrontLogMeter } from '../../server/media/front-log-meter.js';
import { redisLease } from '../../server/jobs/lease.js';

const skip = skipWithoutNginx;
let node: TestNode;
let nginx: RunningNginx;
let dir: string;
let accessLog: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let track: any;

const segPath = (t: { id: string }, i: number) => `/static/streaming/${t.id}/64k/seg-${String(i).padStart(5, '0')}.m4s`;
const linkOf = (trackId: string) => path.join(node.dataDir, 'media', 'public-streaming', trackId);


/** The node's own count of streaming-route responses (fast path and Express). */
async function nodeServed(method?: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('nineten_http_requests_total{') && l.includes('route="/static/streaming/:trackId/*"') && (!method || l.includes(`method="${method}"`)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Every segment served the node reported (what listening logs), from the route or nginx's access log. */
const reported: SegmentServed[] = [];

/** The reported serves of these sessions, once `count` of them are there. */
async function serves(sessions: string[], count: number) {
  return waitFor(`${count} reported serves`, async () => {
    const found = reported.filter((e) => e.sessionId !== null && sessions.includes(e.sessionId));
    return found.length >= count ? found : undefined;
  });
}

before(async () => {
  if (skip) return;
  dir = mediaDir('front');
  accessLog = path.join(dir, 'segments.log');
  node = await startTestNode({ name: 'media-front', overrides: { trustProxy: true, media: { audioBitratesKbps: [64], frontAccessLog: accessLog } } });
  mediaService(node.ctx).onSegmentServed((e) => reported.push(e));
  ({ artist, track } = await readyShortTrack(node, dir, 'front'));
  nginx = await startNginx((port) =>
    nginxSite({ listen: `127.0.0.1:${port}`, serverName: 'localhost', nodeOrigin: node.url, mediaRoot: path.join(node.dataDir, 'media'), accessLog, maxBodyBytes: 9_000_000 }),
  );
  await waitFor('the public link of the track', () => existsSync(linkOf(track.id)));
});

after(async () => {
  await nginx?.stop();
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('nginx answers a public segment from disk with the route\'s bytes and headers; the node meters it from the access log', { skip }, async () => {
  assert.equal(readlinkSync(linkOf(track.id)), path.join(node.dataDir, 'media', 'streaming', track.id));
  const direct = await rawGet(node.url + segPath(track, 0));
  assert.equal(direct.status, 200);
  const before = await nodeServed();
  const [viaHeader, viaQuery] = [randomUUID(), randomUUID()];
  const a = await rawGet(nginx.origin + segPath(track, 0), { 'x-play-session': viaHeader, 'user-agent': 'front-test' });
  const b = await rawGet(`${nginx.origin}${segPath(track, 1)}?session=${viaQuery}`, { 'user-agent': 'front-test' });
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.equal(await nodeServed(), before + 0, 'the node did not see these requests');
  assert.ok(a.body.equals(direct.body), 'the same bytes as the node');
  for (const h of ['content-type', 'cache-control', 'access-control-allow-origin', 'access-control-allow-headers', 'access-control-expose-headers', 'content-length']) {
    assert.equal(a.headers[h], direct.headers[h], h);
  }

  const rows = await serves([viaHeader, viaQuery], 2);
  assert.equal(rows.length, 2, 'one serve per response');
  const byHeader = rows.find((r) => r.sessionId === viaHeader)!;
  const byQuery = rows.find((r) => r.sessionId === viaQuery)!;
  assert.deepEqual([byHeader.trackId, byHeader.rendition, byHeader.segmentIndex, byHeader.bytes], [track.id, '64k', 0, a.body.length]);
  assert.deepEqual([byQuery.segmentIndex, byQuery.bytes], [1, b.body.length]);
  for (const r of rows) {
    assert.equal(r.ip, '127.0.0.1');
    assert.equal(r.userAgent, 'front-test');
    assert.equal(r.userId, null);
    assert.ok(Math.abs(r.at.getTime() - Date.now()) < 30_000, 'served at the time nginx logged it');
  }
});

test('a range is answered by nginx and metered with the bytes sent', { skip }, async () => {
  const session = randomUUID();
  const res = await rawGet(nginx.origin + segPath(track, 0), { range: 'bytes=0-99', 'x-play-session': session });
  assert.equal(res.status, 206);
  assert.equal(res.body.length, 100);
  const [row] = await serves([session], 1);
  assert.equal(row.bytes, 100);
});

test('credentials, HEAD and preflights go to the node, which meters them once, as the listener', { skip }, async () => {
  const listener = await node.user('listener');
  const session = randomUUID();
  const [gets, heads] = [await nodeServed('GET'), await nodeServed('HEAD')];
  const res = await rawGet(nginx.origin + segPath(track, 0), { authorization: `Bearer ${listener.token}`, 'x-play-session': session, 'user-agent': 'front-test' });
  assert.equal(res.status, 200);
  const head = await fetch(nginx.origin + segPath(track, 0), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await nodeServed('GET'), gets + 1, 'the node answered the GET with credentials');
  assert.equal(await nodeServed('HEAD'), heads + 1, 'the node answered the HEAD');
  // nginx alone would refuse OPTIONS on a file (405): the node answers the preflight.
  const preflight = await fetch(nginx.origin + segPath(track, 0), { method: 'OPTIONS', headers: { origin: 'https://player.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-play-session' } });
  assert.ok(preflight.status === 200 || preflight.status === 204, `preflight: ${preflight.status}`);
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Play-Session/i);
  // Give the access log time to be read: nothing more may arrive for this session.
  await new Promise((r) => setTimeout(r, 1500));
  const rows = await serves([session], 1);
  assert.equal(rows.length, 1, 'metered once, by the node');
  assert.equal(rows[0].userId, listener.user.id);
  assert.equal(rows[0].ip, '127.0.0.1', 'the client address from X-Forwarded-For');
});

test('a private track is never read from disk by nginx; visibility changes and deletion reach the folder', { skip }, async () => {
  const res = await upload(node, artist.token, artist.channel.id, await (await import('../helpers/media.js')).makeAudio(dir, { format: 'mp3', seconds: 3, name: 'secret.mp3' }), { visibility: 'private' });
  assert.equal(res.status, 200, res.text);
  const secret = await waitTrack(node, artist.token, res.body.trackId);
  assert.equal(secret.status, 'ready');
  assert.equal(existsSync(linkOf(secret.id)), false, 'no link for a private track');
  assert.equal((await rawGet(nginx.origin + segPath(secret, 0))).status, 404, 'anonymous: the node says no');
  const owner = await rawGet(nginx.origin + segPath(secret, 0), { authorization: `Bearer ${artist.token}` });
  assert.equal(owner.status, 200, 'the owner is served by the node');

  // Public -> private: the link goes at once; nginx hands the request to the node, which refuses.
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body: { visibility: 'private' } })).status, 200);
  await waitFor('the link to go', () => !existsSync(linkOf(track.id)));
  assert.equal((await rawGet(nginx.origin + segPath(track, 0))).status, 404);
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body: { visibility: 'unlisted' } })).status, 200);
  await waitFor('the link to come back', () => existsSync(linkOf(track.id)));
  const before = await nodeServed();
  assert.equal((await rawGet(nginx.origin + segPath(track, 0))).status, 200);
  assert.equal(await nodeServed(), before, 'unlisted is served from disk again');

  // A link removed or added while the node was down is put right at start (syncAll).
  const folder = new (await import('../../server/media/public-segments.js')).PublicSegments(mediaService(node.ctx).storage, mediaService(node.ctx).tracks, node.ctx.logger);
  const { rmSync, symlinkSync } = await import('node:fs');
  rmSync(linkOf(track.id));
  symlinkSync(path.join(node.dataDir, 'media', 'streaming', secret.id), linkOf(secret.id));
  assert.deepEqual(await folder.syncAll(), { linked: 1, unlinked: 1 });
  assert.ok(existsSync(linkOf(track.id)));
  assert.equal(existsSync(linkOf(secret.id)), false);

  assert.equal((await node.api('DELETE', `/api/v1/tracks/${secret.id}`, { token: artist.token })).status, 204);
});

test('the access log is followed across rotation and restarts; no line is metered twice; bad lines are skipped', { skip }, async () => {
  // Rotation as logrotate does it: move the file, then ask nginx to reopen its logs.
  const [beforeRotation, afterRotation] = [randomUUID(), randomUUID()];
  assert.equal((await rawGet(nginx.origin + segPath(track, 0), { 'x-play-session': beforeRotation })).status, 200);
  renameSync(accessLog, `${accessLog}.1`);
  await nginx.reopenLogs();
  assert.equal((await rawGet(nginx.origin + segPath(track, 0), { 'x-play-session': afterRotation })).status, 200);
  const rows = await serves([beforeRotation, afterRotation], 2);
  assert.deepEqual(rows.map((r) => r.sessionId).sort(), [beforeRotation, afterRotation].sort());
  // The node's reader holds the log's lease: another worker of this node would not read it.
  assert.equal(await redisLease(node.ctx.redis, `media:front-log:${accessLog}`, 15_000).held(), false);

  // A second reader with its own cursor, on the same log the node reads: a restart in between
  // hands on only the lines written since, and lines it cannot read are counted, not fatal.
  const { appendFileSync } = await import('node:fs');
  const media = mediaService(node.ctx);
  const seen: SegmentServed[] = [];
  media.onSegmentServed((e) => seen.push(e));
  const cursorFile = path.join(dir, 'second.cursor.json');
  const line = (session: string, extra: Record<string, unknown> = {}) =>
    `${JSON.stringify({ t: Date.now() / 1000, s: 200, b: 1234, m: 'GET', u: `${segPath(track, 2)}?session=${session}`, ps: '', ip: '10.1.2.3', ua: 'tail-test', ...extra })}\n`;
  const own = path.join(dir, 'own.log');
  appendFileSync(own, line('one') + 'not json\n' + line('head', { m: 'HEAD' }) + line('gone', { s: 404 }));
  const reader = () => new FrontLogMeter({ file: own, cursorFile, streaming: media.streaming, segmentSeconds: node.ctx.config.media.segmentSeconds, log: node.ctx.logger, pollMs: 60_000 });
  const first = reader();
  await first.poll();
  assert.deepEqual(first.stats(), { metered: 1, badLines: 1 });
  appendFileSync(own, line('two') + '{"t":1,"s":200'); // the last line is not finished yet
  await first.poll();
  await first.stop();
  const second = reader();
  appendFileSync(own, ',"b":5,"m":"GET","u":"/elsewhere","ps":"","ip":"1.1.1.1","ua":""}\n' + line('three'));
  await second.poll();
  await second.poll();
  await second.stop();
  assert.deepEqual(
    seen.filter((e) => e.userAgent === 'tail-test').map((e) => [e.sessionId, e.segmentIndex, e.bytes, e.ip]),
    [['one', 2, 1234, '10.1.2.3'], ['two', 2, 1234, '10.1.2.3'], ['three', 2, 1234, '10.1.2.3']],
  );
  assert.deepEqual(second.stats(), { metered: 1, badLines: 0 });

  // Truncated in place (copytruncate): read again from the start.
  const { truncateSync } = await import('node:fs');
  truncateSync(own, 0);
  appendFileSync(own, line('four'));
  const third = reader();
  await third.poll();
  await third.stop();
  assert.equal(seen.filter((e) => e.sessionId === 'four').length, 1);

  // More than a megabyte without a line end is stepped over, not held in memory; reading goes on.
  appendFileSync(own, `${'x'.repeat((1 << 20) + 1000)}\n${line('five')}`);
  const fourth = reader();
  await fourth.poll();
  await fourth.stop();
  assert.deepEqual(fourth.stats(), { metered: 1, badLines: 1 });
  assert.equal(seen.filter((e) => e.sessionId === 'five').length, 1);
});

test('npm run nginx-site prints the site for the configured node, and refuses a relative log path', { skip }, async () => {
  const { spawnSync } = await import('node:child_process');
  const { projectRoot } = await import('../../server/config/index.js');
  const run = (args: string[]) =>
    spawnSync(path.join(projectRoot, 'node_modules/.bin/tsx'), [path.join(projectRoot, 'scripts/nginx-site.ts'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, NINETEN_CONFIG: '', PORT: '9123', DATA_DIR: '/srv/9ten', PUBLIC_URL: 'https://music.example.org', MEDIA_FRONT_ACCESS_LOG: '/var/log/nginx/nt.log' },
    });
  const ok = run(['--listen', '8443']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /server_name music\.example\.org;/);
  assert.match(ok.stdout, /listen 8443;/);
  assert.match(ok.stdout, /server 127\.0\.0\.1:9123;/);
  assert.match(ok.stdout, /root "\/srv\/9ten\/media";/);
  assert.match(ok.stdout, /access_log "\/var\/log\/nginx\/nt\.log" nineten_segments/);
  const bad = run(['--access-log', 'logs/segments.log']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--access-log must be an absolute path/);
});
