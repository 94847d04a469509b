// Live across two nodes: followers on B see A's channel go live (Stream start) and end
// (Stream end) in B's directory; tips from A's listeners and from B's arrive on the stream's
// page as events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { liveService } from '../../server/live/index.js';
import { hostOf, post, signedRequest, waitFor } from '../federation/support.js';
import { credit } from '../money/helpers.js';
import { liveArtist, push, readEvents, rtmpUrl, startLiveNode, waitStream } from './support.js';

let a: TestNode;
let b: TestNode;
before(async () => {
  a = await startLiveNode({ name: 'livea' });
  b = await startLiveNode({ name: 'liveb' });
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
});

test("B's follower sees A's channel live and then ended; tips from both nodes reach the stream page as alerts", { timeout: 120_000 }, async () => {
  const artist = await liveArtist(a);
  const fan = await b.user('listener');
  const follow = await b.api('POST', '/api/v1/federation/follows', { token: fan.token, body: { handle: `${artist.channel.name}@${hostOf(a)}` } });
  assert.equal(follow.status, 201, follow.text);
  await waitFor('follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: fan.token })).body.data.find((f: any) => f.state === 'accepted'));
  await a.api('PATCH', `/api/v1/channels/${artist.channel.name}/live`, { token: artist.token, body: { title: 'Sunday radio' } });

  const publisher = push(rtmpUrl(a, artist.key), { seconds: 60 });
  const live = await waitStream(a, artist.token, artist.channel.name, 'live');
  const announced = await waitFor(
    'live on B',
    async () => (await b.api('GET', '/api/v1/live')).body.remote.find((s: any) => s.title === 'Sunday radio'),
    20_000,
  );
  assert.equal(announced.url, live.pageUrl, "B's directory links the stream's page on A");
  assert.equal(announced.actorUri, live.channel.uri);
  assert.equal((await b.api('GET', '/api/v1/live')).body.local.length, 0);

  // B's listeners watch through B: playlists from A, each segment checked against A's hashes and kept.
  assert.equal(announced.playlistUrl, `${b.url}/live-remote/${announced.watchId}/master.m3u8`);
  const master = await fetch(announced.playlistUrl).then((r) => r.text());
  assert.match(master, /^audio\/index\.m3u8$/m);
  assert.doesNotMatch(master, new RegExp(hostOf(a).replace(/\./g, '\\.')), 'no URL of A is left in it');
  const seqs = await waitFor('two segments through B', async () => {
    const viaB = await fetch(announced.audioPlaylistUrl).then((r) => r.text());
    const found = [...viaB.matchAll(/^(\d+)\.ts$/gm)].map((m) => Number(m[1]));
    return found.length >= 2 ? found : undefined;
  }, 15_000);
  const aHashes = (await fetch(live.audioPlaylistUrl.replace(/index\.m3u8$/, 'hashes.json')).then((r) => r.json())).segments as { seq: number; sha256: string }[];
  const seq = seqs.at(-1)!;
  const first = await fetch(announced.audioPlaylistUrl.replace(/index\.m3u8$/, `${seq}.ts`));
  assert.equal(first.status, 200);
  const bytes = Buffer.from(await first.arrayBuffer());
  assert.equal(createHash('sha256').update(bytes).digest('hex'), aHashes.find((h) => h.seq === seq)!.sha256, "B serves A's bytes");
  assert.equal(first.headers.get('x-cache'), 'miss');
  const again = await fetch(announced.audioPlaylistUrl.replace(/index\.m3u8$/, `${seq}.ts`));
  assert.equal(again.headers.get('x-cache'), 'hit');
  assert.equal((await fetch(announced.audioPlaylistUrl.replace(/index\.m3u8$/, '999999.ts'))).status, 404, 'a segment A never hashed is not fetched');
  // A segment altered on A after it was hashed is refused by B, never served or kept. (Old
  // enough that A serves it from disk, not from the newest bytes it keeps in memory.)
  await waitFor('six newer segments on A', async () => (await liveService(a.ctx).store.segment(live.id, 'audio', seq + 7)) ?? undefined, 25_000);
  const next = (await liveService(a.ctx).store.segment(live.id, 'audio', seq + 1))!;
  const aFile = path.join(a.dataDir, 'live', live.id, next.file);
  await waitFor('the file on A', () => existsSync(aFile) || undefined, 10_000);
  writeFileSync(aFile, Buffer.alloc(4096, 7));
  const tampered = await fetch(announced.audioPlaylistUrl.replace(/index\.m3u8$/, `${seq + 1}.ts`));
  assert.equal(tampered.status, 502, 'a segment that does not match its hash is refused');
  assert.equal((await tampered.json()).code, 'upstream_failed');

  const events = readEvents(`${a.url}/api/v1/live/streams/${live.id}/events`);
  await waitFor('initial state event', () => events.events.find((e) => e.event === 'state' && e.data.state === 'live'));
  const localFan = await a.user('listener');
  await credit(a, localFan.user.id, 1000);
  await credit(b, fan.user.id, 1000);
  const local = await a.api('POST', '/api/v1/tips', { token: localFan.token, body: { channel: artist.channel.name, amount: 150, message: 'great set' } });
  assert.equal(local.status, 201, local.text);
  const remote = await b.api('POST', '/api/v1/tips', { token: fan.token, body: { channel: live.channel.uri, amount: 250, message: 'from B' } });
  assert.equal(remote.status, 201, remote.text);
  const tips = await waitFor('both tip alerts', () => {
    const t = events.events.filter((e) => e.event === 'tip');
    return t.length >= 2 ? t : undefined;
  }, 30_000);
  assert.deepEqual(tips.map((t) => [t.data.amount, t.data.message]).sort(), [[150, 'great set'], [250, 'from B']]);

  publisher.kill('SIGINT'); // ffmpeg unpublishes on SIGINT
  const ended = await waitStream(a, artist.token, artist.channel.name, 'ended', 20_000);
  assert.equal(ended.endReason, 'publisher_stopped');
  await waitFor('ended event', () => events.events.find((e) => e.event === 'state' && e.data.state === 'ended'));
  await waitFor('gone from B', async () => !(await b.api('GET', '/api/v1/live')).body.remote.some((s: any) => s.title === 'Sunday radio'), 20_000);
  events.close();

  // A start dated in the future is taken as now (it would otherwise stay "live" and shadow its
  // end), and a playlist on another host than the channel's is not taken.
  const future = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const forgedId = `${live.channel.uri.replace(/\/ap\/.*$/, '')}/ap/streams/future-${Date.now()}`;
  const body = JSON.stringify({
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${forgedId}/activity`,
    type: ['Stream', 'Create'],
    actor: live.channel.uri,
    streamState: 'started',
    published: future,
    object: { id: forgedId, type: 'Note', name: 'From the future', content: 'x', attributedTo: live.channel.uri, attachment: [{ type: 'Link', mediaType: 'application/x-mpegURL', href: 'https://elsewhere.example/live-hls/x/master.m3u8' }] },
    to: ['https://www.w3.org/ns/activitystreams#Public'],
  });
  const sent = await post(await signedRequest(a, live.channel.uri, `${b.url}/ap/inbox`, body));
  assert.ok(sent.status < 300, `${sent.status} ${sent.text}`);
  const dated = await waitFor('the forged start listed', async () => (await b.api('GET', '/api/v1/live')).body.remote.find((s: any) => s.title === 'From the future'), 15_000);
  assert.ok(Date.parse(dated.startedAt) <= Date.now(), `dated ${dated.startedAt}, not in the future`);
  assert.equal(dated.playlistUrl, null, "a playlist off the channel's host is not taken");
});
