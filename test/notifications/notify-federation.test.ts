// Who is told of follows, new tracks and live streams, on two real nodes: a listener on A and a
// listener on B follow an artist's channel on A (the artist is told of each follower, once); the
// artist publishes a track (both followers are told: A's from the local follow, B's when the
// Create arrives; the artist is not); the channel goes live with a real RTMP push (A's follower
// is told). A follower who turned a kind off in the app is not shown it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { startTestNode } from '../helpers/node.js';
import { waitFor } from '../helpers/wait.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { upload, waitTrack } from '../media/support.js';
import { hostOf } from '../federation/support.js';
import { liveArtist, push, rtmpUrl, startLiveNode, waitStream } from '../live/support.js';

let a: TestNode;
let b: TestNode;
let dir: string;
before(async () => {
  a = await startLiveNode({ name: 'notify-a', overrides: { media: { audioBitratesKbps: [64] } } });
  b = await startTestNode({ name: 'notify-b' });
  dir = mediaDir('notify');
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  if (dir) removeMediaDir(dir);
});

type Item = { kind: string; title: string; url: string | null };
const inbox = async (node: TestNode, token: string): Promise<Item[]> => (await node.api('GET', '/api/v1/me/notifications?limit=100', { token })).body.data;
const told = (node: TestNode, token: string, what: string, match: (n: Item) => boolean) =>
  waitFor(what, async () => (await inbox(node, token)).find(match), 30_000);

test('followers, new tracks and live streams reach the users they concern, once', { timeout: 180_000 }, async () => {
  const artist = await liveArtist(a);
  const channel = artist.channel as { id: string; name: string };
  const here = await a.user('listener');
  const there = await b.user('listener');
  const quiet = await a.user('listener');
  const handle = `${channel.name}@${hostOf(a)}`;

  // A listener on A follows: the artist is told who, once, however often they follow.
  for (let i = 0; i < 2; i++) {
    const f = await a.api('POST', '/api/v1/federation/follows', { token: here.token, body: { handle } });
    assert.equal(f.status, 201, f.text);
  }
  const local = await told(a, artist.token, 'local follower', (n) => n.kind === 'follower' && n.title.includes(`@${here.user.username}`));
  assert.equal(local.url, `/@${here.user.username}`);
  assert.match(local.title, new RegExp(`follows Channel ${channel.name}`));

  // A listener on B follows: the artist on A is told when the Follow is accepted.
  const f = await b.api('POST', '/api/v1/federation/follows', { token: there.token, body: { handle } });
  assert.equal(f.status, 201, f.text);
  const remote = await told(a, artist.token, 'remote follower', (n) => n.kind === 'follower' && n.title.includes(`@${there.user.username}@${hostOf(b)}`));
  assert.match(remote.url!, /^http:\/\/127\.0\.0\.1:\d+\//);
  await waitFor('B sees the follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: there.token })).body.data.find((x: { state: string }) => x.state === 'accepted'));

  // A third follows but turned new tracks off in the app.
  assert.equal((await a.api('PUT', '/api/v1/me/notification-settings', { token: quiet.token, body: { settings: { 'new-track': { web: false } } } })).status, 200);
  assert.equal((await a.api('POST', '/api/v1/federation/follows', { token: quiet.token, body: { handle } })).status, 201);

  // The artist publishes: both followers are told, each on their own node.
  const up = await upload(a, artist.token, channel.id, await makeAudio(dir, { seconds: 3, tags: { title: 'Morning Song' } }));
  assert.equal(up.status, 200, up.text);
  assert.equal((await waitTrack(a, artist.token, up.body.trackId)).status, 'ready');
  const onA = await told(a, here.token, 'new track on A', (n) => n.kind === 'new-track');
  assert.deepEqual([onA.title, onA.url], [`New from Channel ${channel.name}: Morning Song`, `/tracks/${up.body.trackId}`]);
  const onB = await told(b, there.token, 'new track on B', (n) => n.kind === 'new-track');
  assert.match(onB.title, /Morning Song$/);
  const remoteTrack = await b.api('GET', onB.url!.replace('/remote/', '/api/v1/federation/tracks/'));
  assert.equal(remoteTrack.status, 200, `the link leads to the track on B: ${remoteTrack.text}`);
  assert.equal(remoteTrack.body.title, 'Morning Song');

  // The channel goes live: A's follower is told.
  const publisher = push(rtmpUrl(a, artist.key), { seconds: 40 });
  try {
    const stream = await waitStream(a, artist.token, channel.name, 'live');
    const live = await told(a, here.token, 'live', (n) => n.kind === 'live');
    assert.equal(live.url, `/live/${stream.id}`);
    assert.match(live.title, new RegExp(`^Channel ${channel.name} is live`));
    // B's follower hears of it through the Stream activity, with a link to watch through B.
    const liveOnB = await told(b, there.token, 'live on B', (n) => n.kind === 'live');
    assert.match(liveOnB.url!, /^\/live\/remote\/[0-9a-f]{32}$/);
    assert.match(liveOnB.title, / is live/);
  } finally {
    publisher.kill('SIGINT');
  }
  await waitStream(a, artist.token, channel.name, 'ended', 20_000);
  await Promise.all([a.waitJobs(), b.waitJobs()]);

  // Once each; the artist hears of none of their own news; a kind turned off is not shown.
  const mine = await inbox(a, here.token);
  assert.deepEqual(mine.map((n) => n.kind).sort(), ['live', 'new-track']);
  assert.deepEqual((await inbox(b, there.token)).map((n) => n.kind).sort(), ['live', 'new-track']);
  assert.deepEqual((await inbox(a, artist.token)).map((n) => n.kind), ['follower', 'follower', 'follower']);
  assert.deepEqual((await inbox(a, quiet.token)).map((n) => n.kind), ['live']);
});
