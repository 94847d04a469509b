// The streaming fast path (server/media/fast-streaming.ts) answers public, cached segments
// before Express. It must answer exactly as the route does (status, headers, bytes, metering,
// metrics), and leave every other request to the route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist, rawGet, readyShortTrack } from './support.js';
import { buildApp, buildRequestHandler } from '../../server/app.js';
import { capabilities } from '../../server/capabilities.js';
import { mediaService, type SegmentServed } from '../../server/media/index.js';
import type { Capability } from '../../server/context.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let track: any;
let fastHits = 0;
/** Every segment served the node reported (what listening logs). */
const reported: SegmentServed[] = [];
let withFastPath: http.Server;
let expressOnly: http.Server;
const origin = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const listen = (s: http.Server) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));

before(async () => {
  node = await startTestNode({ name: 'media-fastpath', overrides: { media: { audioBitratesKbps: [64] } } });
  mediaService(node.ctx).onSegmentServed((e) => reported.push(e));
  dir = mediaDir('fastpath');
  ({ artist, track } = await readyShortTrack(node, dir, 'fp'));
  // The same node's handlers, served twice: with the capabilities' fast paths (counting the
  // requests the fast path answered) and as the Express app alone.
  const counted: Capability[] = capabilities.map((c) =>
    c.fastPath
      ? {
          ...c,
          fastPath: (ctx, tools) => {
            const inner = c.fastPath!(ctx, tools);
            return (req, res) => {
              const answered = inner(req, res);
              if (answered) fastHits++;
              return answered;
            };
          },
        }
      : c,
  );
  withFastPath = http.createServer(buildRequestHandler(node.ctx, counted));
  expressOnly = http.createServer(buildApp(node.ctx, capabilities));
  await listen(withFastPath);
  await listen(expressOnly);
});

after(async () => {
  withFastPath?.closeAllConnections();
  expressOnly?.closeAllConnections();
  await Promise.all([withFastPath, expressOnly].map((s) => s && new Promise((r) => s.close(r))));
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const segPath = (i = 1) => new URL(track.streaming.renditions[0].playlistUrl.replace(/playlist\.m3u8$/, `seg-${String(i).padStart(5, '0')}.m4s`)).pathname;
const comparable = (h: http.IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k)));

test('a cached public segment: the fast path answers, with the status, headers and bytes of the route', async () => {
  await rawGet(origin(expressOnly) + segPath()); // fills the byte cache
  const before = fastHits;
  const fast = await rawGet(origin(withFastPath) + segPath());
  assert.equal(fastHits, before + 1, 'answered by the fast path');
  const slow = await rawGet(origin(expressOnly) + segPath());
  assert.equal(fast.status, 200);
  assert.deepEqual(comparable(fast.headers), comparable(slow.headers));
  assert.ok(fast.body.equals(slow.body));
  assert.equal(Number(fast.headers['content-length']), fast.body.length);
});

test('ranges, conditions, credentials, HEAD, other files and uncached segments are left to the route', async () => {
  const etag = (await rawGet(origin(expressOnly) + segPath())).headers.etag!;
  const before = fastHits;
  const url = origin(withFastPath) + segPath();
  assert.equal((await rawGet(url, { range: 'bytes=0-9' })).status, 206);
  assert.equal((await rawGet(url, { 'if-none-match': etag })).status, 304);
  assert.equal((await rawGet(url, { authorization: `Bearer ${artist.token}` })).status, 200);
  assert.equal((await rawGet(url, { authorization: 'Bearer not-a-token' })).status, 401);
  assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
  assert.equal((await rawGet(origin(withFastPath) + segPath().replace(/seg-\d+\.m4s$/, 'playlist.m3u8'))).status, 200);
  assert.equal((await rawGet(origin(withFastPath) + segPath(99))).status, 404, 'no such segment');
  assert.equal((await rawGet(origin(withFastPath) + segPath().replace(track.id, randomUUID()))).status, 404, 'no such track');
  assert.equal(fastHits, before, 'none of these was answered by the fast path');
});

test('a private track is never served by the fast path; its owner still plays it through the route', async () => {
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body: { visibility: 'private' } })).status, 200);
  try {
    const before = fastHits;
    assert.equal((await rawGet(origin(withFastPath) + segPath())).status, 404);
    assert.equal((await rawGet(origin(withFastPath) + segPath(), { authorization: `Bearer ${artist.token}` })).status, 200);
    assert.equal(fastHits, before);
  } finally {
    assert.equal((await node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body: { visibility: 'public' } })).status, 200);
  }
});

test('the fast path meters like the route (header or query session) and counts in the HTTP metrics', async () => {
  const metricLine = async () => {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('nineten_http_requests_total{') && l.includes('method="GET"') && l.includes('route="/static/streaming/:trackId/*"') && l.includes('status="200"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const [viaHeader, viaQuery, viaRoute] = [randomUUID(), randomUUID(), randomUUID()];
  await rawGet(origin(expressOnly) + segPath(0)); // cached
  const metricsBefore = await metricLine();
  const before = fastHits;
  await rawGet(origin(withFastPath) + segPath(0), { 'x-play-session': viaHeader, 'user-agent': 'fast-test' });
  await rawGet(`${origin(withFastPath)}${segPath(0)}?session=${viaQuery}`, { 'user-agent': 'fast-test' });
  await rawGet(origin(expressOnly) + segPath(0), { 'x-play-session': viaRoute, 'user-agent': 'fast-test' });
  assert.equal(fastHits, before + 2);
  assert.equal(await metricLine(), metricsBefore + 3, 'both paths count under the route');
  const sessions: string[] = [viaHeader, viaQuery, viaRoute];
  const ofSessions = () => reported.filter((e) => e.sessionId !== null && sessions.includes(e.sessionId));
  // Reported when each response finishes on the server, which may be just after the client has it.
  const rows = await waitFor('three reported serves', () => (ofSessions().length >= 3 ? ofSessions() : undefined));
  assert.equal(rows.length, 3, 'one serve reported per request');
  const shape = (r: SegmentServed) => ({ track: r.trackId, rendition: r.rendition, index: r.segmentIndex, bytes: r.bytes, ua: r.userAgent, ip: r.ip });
  for (const r of rows) assert.deepEqual(shape(r), shape(rows.find((x) => x.sessionId === viaRoute)!));
  assert.equal(rows[0].segmentIndex, 0);
});

test('a metered segment with an L402 credential that opens it: the fast path answers as the route; anything else is the route\'s', async () => {
  const patch = (body: unknown) => node.api('PATCH', `/api/v1/tracks/${track.id}`, { token: artist.token, body });
  assert.equal((await patch({ access: { mode: 'metered', pricesPerMinute: { '64k': 3 } } })).status, 200);
  try {
    const fan = await node.user('listener');
    await mediaCredit(fan.user.id);
    const offer = await node.api('POST', '/api/v1/metered/offers', { body: { track: track.id, rendition: '64k' } });
    const paid = await node.api('POST', '/api/v1/metered/pay', { token: fan.token, body: { invoice: offer.body.invoice } });
    assert.equal(paid.status, 201, paid.text);
    const authorization = paid.body.purchase.authorization as string;
    await rawGet(origin(expressOnly) + segPath(), { authorization }); // cached
    const before = fastHits;
    const fast = await rawGet(origin(withFastPath) + segPath(), { authorization });
    assert.equal(fastHits, before + 1, 'answered by the fast path');
    const slow = await rawGet(origin(expressOnly) + segPath(), { authorization });
    assert.equal(fast.status, 200);
    assert.deepEqual(comparable(fast.headers), comparable(slow.headers));
    assert.equal(fast.headers['cache-control'], 'private, no-cache');
    assert.ok(fast.body.equals(slow.body));
    // No credential, a wrong one, a Bearer token: the route answers, with its challenge.
    assert.equal((await rawGet(origin(withFastPath) + segPath())).status, 402);
    assert.equal((await rawGet(origin(withFastPath) + segPath(), { authorization: authorization.replace(/:[0-9a-f]{4}/, ':0000') })).status, 401);
    assert.equal((await rawGet(origin(withFastPath) + segPath(), { authorization: `Bearer ${fan.token}` })).status, 402);
    assert.equal(fastHits, before + 1);
  } finally {
    assert.equal((await patch({ access: { mode: 'free' } })).status, 200);
  }
});

async function mediaCredit(userId: string) {
  const { moneyService } = await import('../../server/money/index.js');
  await moneyService(node.ctx).adminCredit.topUp({ userId, amount: 100, idempotencyKey: `fast-path:${userId}` });
}
