// Three real nodes on loopback (own ports, own databases): what crosses between them.
// A is the artist's home, B follows the artist, C gets blocked by A.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { federationService } from '../../server/federation/index.js';
import { moneyService } from '../../server/money/index.js';
import { startNodes, waitFor, hostOf, count } from './support.js';

let a: TestNode, b: TestNode, c: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let adminA: Awaited<ReturnType<TestNode['user']>>;
let listenerB: Awaited<ReturnType<TestNode['user']>>;
let listenerC: Awaited<ReturnType<TestNode['user']>>;
let channelUri: string;
let followId: string;
let trackId: string;
let remoteTrack: any;

before(async () => {
  [a, b, c] = await startNodes(['fed-a', 'fed-b', 'fed-c'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('fed');
  artist = await makeArtist(a, 'sine_band');
  channelUri = `${a.ctx.config.publicUrl}/ap/channels/sine_band`;
  adminA = await a.user('admin');
  listenerB = await b.user('listener', 'bea');
  listenerC = await c.user('listener', 'cyd');
});
after(async () => {
  await Promise.all([a, b, c].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

test('a listener on B follows an artist channel on A by its handle', async () => {
  const wf = await a.api('GET', `/.well-known/webfinger?resource=${encodeURIComponent(`acct:sine_band@${hostOf(a)}`)}`);
  assert.equal(JSON.parse(wf.text).links[0].href, channelUri);
  const actor = JSON.parse((await a.api('GET', '/ap/channels/sine_band')).text);
  assert.equal(actor.attributedTo, `${a.ctx.config.publicUrl}/ap/users/${artist.user.username}`);

  const res = await b.api('POST', '/api/v1/federation/follows', { token: listenerB.token, body: { handle: `sine_band@${hostOf(a)}` } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.following, channelUri);
  followId = res.body.id;
  await waitFor('follow accepted on B', async () => (await b.api('GET', '/api/v1/federation/follows', { token: listenerB.token })).body.data.find((f: any) => f.id === followId && f.state === 'accepted'));
  const followers = JSON.parse((await a.api('GET', '/ap/channels/sine_band/followers?page=1')).text);
  assert.deepEqual(followers.orderedItems, [`${b.ctx.config.publicUrl}/ap/users/bea`]);
  const channels = (await b.api('GET', '/api/v1/federation/channels')).body.data;
  assert.equal(channels[0].uri, channelUri);
  assert.equal(channels[0].handle, `sine_band@${hostOf(a)}`);
});

test('a track uploaded on A is listed on B and plays there from A, segment hashes checked', async () => {
  const file = await makeAudio(dir, { seconds: 4, tags: { title: 'Crossing', artist: 'Sine Band', album: 'Loopback', trackNumber: 3 } });
  const up = await upload(a, artist.token, artist.channel.id, file);
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  const ready = await waitTrack(a, artist.token, trackId);
  assert.equal(ready.status, 'ready');

  const listed = await waitFor('track listed on B', async () => {
    const res = await b.api('GET', '/api/v1/federation/tracks');
    return res.body.data.find((t: any) => t.uri === `${a.ctx.config.publicUrl}/ap/tracks/${trackId}`);
  });
  assert.equal(listed.title, 'Crossing');
  assert.equal(listed.artist, 'Sine Band');
  assert.equal(listed.album, 'Loopback');
  assert.equal(listed.position, 3);
  assert.equal(listed.actorUri, channelUri);
  assert.ok(listed.durationSeconds >= 3 && listed.durationSeconds <= 5);
  assert.equal(listed.masterPlaylistUrl, ready.streaming.masterPlaylistUrl);
  assert.equal(listed.renditions[0].torrentUrl, ready.streaming.renditions[0].torrentUrl);
  assert.ok(listed.renditions[0].magnetUri?.startsWith('magnet:'));
  remoteTrack = (await b.api('GET', `/api/v1/federation/tracks/${listed.id}`)).body;

  // Play on B: HLS from the home node, each segment checked against A's hashes.
  const master = await fetch(remoteTrack.masterPlaylistUrl);
  assert.equal(master.status, 200);
  assert.match(await master.text(), /#EXTM3U/);
  const rendition = remoteTrack.renditions[0];
  const playlist = await (await fetch(rendition.playlistUrl)).text();
  const segments = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(segments.length >= 1);
  const segUrl = new URL(segments[0], rendition.playlistUrl).href;
  const bytes = new Uint8Array(await (await fetch(segUrl)).arrayBuffer());
  const checked = await federationService(b.ctx).tracks.checkSegment(listed.id, rendition.name, segments[0], bytes);
  assert.equal(checked.ok, true, JSON.stringify(checked));
  bytes[bytes.length - 1] ^= 0xff;
  assert.equal((await federationService(b.ctx).tracks.checkSegment(listed.id, rendition.name, segments[0], bytes)).ok, false);

  // A's channel outbox lists the Create; the track object is an Audio with 9ten terms.
  const outbox = JSON.parse((await a.api('GET', '/ap/channels/sine_band/outbox?page=1')).text);
  assert.equal(outbox.orderedItems[0].type, 'Create');
  const obj = JSON.parse((await a.api('GET', `/ap/tracks/${trackId}`)).text);
  assert.equal(obj.type, 'Audio');
  assert.equal(obj.trackKind, 'AudioTrack');
  assert.ok(obj.url.some((u: any) => u.rel === 'segment-hashes'));
});

test('B plays the remote track through its own cache; segments are checked against A\'s hashes', async () => {
  const local = remoteTrack.localMasterPlaylistUrl as string;
  assert.equal(local, `${b.ctx.config.publicUrl}/api/v1/federation/tracks/${remoteTrack.id}/hls/master.m3u8`);
  const master = await (await fetch(local)).text();
  const rendition = remoteTrack.renditions[0].name;
  assert.ok(master.split('\n').includes(`${rendition}/playlist.m3u8`), master);
  const playlistUrl = new URL(`${rendition}/playlist.m3u8`, local).href;
  const playlist = await (await fetch(playlistUrl)).text();
  const files = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
  const init = /URI="([^"]+)"/.exec(playlist)?.[1];
  assert.equal(init, 'init.mp4');
  const segUrl = new URL(files[0], playlistUrl).href;
  const first = await fetch(segUrl);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-cache'), 'miss');
  const bytes = Buffer.from(await first.arrayBuffer());
  const fromHome = Buffer.from(await (await fetch(new URL(files[0], remoteTrack.renditions[0].playlistUrl).href)).arrayBuffer());
  assert.ok(bytes.equals(fromHome));
  const again = await fetch(segUrl);
  assert.equal(again.headers.get('x-cache'), 'hit');
  await again.arrayBuffer();
  assert.equal((await fetch(new URL('init.mp4', playlistUrl).href)).status, 200);

  // A hash that does not match what the home node serves: refused, not cached.
  const last = files[files.length - 1];
  await b.ctx.db.query(
    `UPDATE federation_remote_tracks SET segment_hashes = jsonb_set(segment_hashes, ARRAY[:r, :f], to_jsonb(CAST(:h AS text))) WHERE id = :id`,
    { replacements: { r: rendition, f: last, h: '0'.repeat(64), id: remoteTrack.id } },
  );
  const bad = await fetch(new URL(last, playlistUrl).href);
  assert.equal(bad.status, 502);
  assert.equal((await bad.json()).code, 'upstream_failed');
  assert.equal((await fetch(new URL('../../../etc/passwd', playlistUrl).href)).status, 404);
});

test('a Listen from B reaches A with its qualified seconds', async () => {
  await federationService(b.ctx).sendListen({ userId: listenerB.user.id, remoteTrackId: remoteTrack.id, qualifiedSeconds: 4 });
  const rows = await waitFor('listen stored on A', async () => {
    const r = (await a.api('GET', '/api/v1/federation/admin/received/listens', { token: adminA.token })).body.data;
    return r.length ? r : undefined;
  });
  assert.equal(rows[0].track_id, trackId);
  assert.equal(rows[0].seconds, 4);
  assert.equal(rows[0].actor_uri, `${b.ctx.config.publicUrl}/ap/users/bea`);
  // Handed to listening, so the artist's statistics count plays from everywhere.
  // (listening refuses a Listen longer than the track: this one is its 4 s.)
  await waitFor('remote listen in listening', async () => (await count(a, 'remote_listens', `track_id = '${trackId}'`)) === 1);
});

test('Like and Announce from B reach A; B lists what its listener liked', async () => {
  const trackUri = `${a.ctx.config.publicUrl}/ap/tracks/${trackId}`;
  assert.equal((await b.api('POST', '/api/v1/federation/likes', { token: listenerB.token, body: { object: trackUri } })).status, 201);
  assert.equal((await b.api('POST', '/api/v1/federation/announces', { token: listenerB.token, body: { object: trackUri } })).status, 201);
  await waitFor('like and announce on A', async () => (await count(a, 'federation_reactions', `object_uri = '${trackUri}'`)) === 2);
  const liked = JSON.parse((await b.api('GET', '/ap/users/bea/liked?page=1')).text);
  assert.deepEqual(liked.orderedItems, [trackUri]);
});

test('Subscription from B and Stream from A arrive and are stored', async () => {
  await federationService(b.ctx).sendSubscription({ userId: listenerB.user.id, object: channelUri, subscriptionId: 'sub-1', status: 'active', period: '2026-11', amount: 1000, currency: 'USD' });
  const subs = await waitFor('subscription on A', async () => {
    const r = (await a.api('GET', '/api/v1/federation/admin/received/subscriptions', { token: adminA.token })).body.data.filter((s: any) => s.direction === 'in');
    return r.length ? r : undefined;
  });
  assert.equal(subs[0].object_uri, channelUri);
  assert.equal(Number(subs[0].amount), 1000);
  assert.equal(subs[0].period, '2026-11');
  assert.equal(subs[0].status, 'active');

  const svcA = federationService(a.ctx);
  await svcA.sendStream({ channel: 'sine_band', streamId: 'live-1', state: 'started', name: 'Rehearsal' });
  await waitFor('stream start on B', async () => (await count(b, 'federation_streams', `direction = 'in' AND state = 'started'`)) === 1);
  await svcA.sendStream({ channel: 'sine_band', streamId: 'live-1', state: 'ended', name: 'Rehearsal' });
  await waitFor('stream end on B', async () => (await count(b, 'federation_streams', `direction = 'in' AND state = 'ended'`)) === 1);
  const [rows] = await b.ctx.db.query(`SELECT * FROM federation_streams WHERE direction = 'in' ORDER BY at`);
  assert.equal((rows as any[])[0].name, 'Rehearsal');
  assert.equal((rows as any[])[0].stream_uri, `${a.ctx.config.publicUrl}/ap/streams/live-1`);
});

test("money's subscription.changed on B reaches the artist A whose channel the listener follows", async () => {
  const money = moneyService(b.ctx);
  await money.adminCredit.topUp({ userId: listenerB.user.id, amount: 1000, idempotencyKey: `fed-test:${listenerB.user.id}` });
  await money.subscriptions.subscribe(listenerB.user.id);
  const bInstance = `${b.ctx.config.publicUrl}/ap/actor`;
  const sub = await waitFor('node subscription on A', async () => {
    const rows = (await a.api('GET', '/api/v1/federation/admin/received/subscriptions', { token: adminA.token })).body.data;
    return rows.find((s: any) => s.object_uri === bInstance);
  });
  assert.equal(sub.actor_uri, `${b.ctx.config.publicUrl}/ap/users/bea`);
  assert.equal(Number(sub.amount), b.ctx.config.money.subscriptionAmount);
  assert.equal(sub.currency, b.ctx.config.money.currency);
  assert.equal(sub.status, 'active');
  assert.match(sub.period, /^\d{4}-\d{2}$/);
});

test('a blocked domain gets nothing, and what it posts is refused', async () => {
  const res = await c.api('POST', '/api/v1/federation/follows', { token: listenerC.token, body: { handle: `sine_band@${hostOf(a)}` } });
  assert.equal(res.status, 201, res.text);
  await waitFor('C follow accepted', async () => (await c.api('GET', '/api/v1/federation/follows', { token: listenerC.token })).body.data[0]?.state === 'accepted');
  const block = await a.api('POST', '/api/v1/federation/admin/blocks', { token: adminA.token, body: { kind: 'domain', value: hostOf(c), reason: 'test' } });
  assert.equal(block.status, 201, block.text);

  await federationService(a.ctx).sendStream({ channel: 'sine_band', streamId: 'live-2', state: 'started', name: 'Second' });
  await waitFor('stream 2 on B', async () => (await count(b, 'federation_streams', `stream_uri LIKE '%live-2'`)) === 1);
  await c.waitJobs();
  await a.waitJobs();
  assert.equal(await count(c, 'federation_streams'), 0);

  // C's own posts to A are refused at the inbox (403) and end as C's dead letters.
  const before = await count(a, 'federation_inbox_items');
  await federationService(c.ctx).sendSubscription({ userId: listenerC.user.id, object: channelUri, subscriptionId: 'sub-c', status: 'active' });
  await c.waitJobs();
  const dead = await waitFor('dead letter on C', async () => (await count(c, 'federation_deliveries', `state = 'dead' AND last_status = 403`)) >= 1);
  assert.ok(dead);
  assert.equal(await count(a, 'federation_inbox_items'), before);
  assert.equal(await count(a, 'federation_subscriptions', `actor_uri LIKE '%/ap/users/cyd'`), 0);
});

test('Delete and Undo propagate', async () => {
  const del = await a.api('DELETE', `/api/v1/tracks/${trackId}`, { token: artist.token });
  assert.ok(del.status === 204 || del.status === 200, del.text);
  await waitFor('track gone from B', async () => (await b.api('GET', '/api/v1/federation/tracks')).body.total === 0);
  await waitFor('B dropped its cached copy', async () => !existsSync(path.join(b.dataDir, 'federation-cache', remoteTrack.id)));

  const undo = await b.api('DELETE', `/api/v1/federation/follows/${followId}`, { token: listenerB.token });
  assert.equal(undo.status, 204);
  await waitFor('B no longer a follower on A', async () => JSON.parse((await a.api('GET', '/ap/channels/sine_band/followers')).text).totalItems === 0);
});
