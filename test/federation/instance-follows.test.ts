// Discovery between nodes, on three real nodes on loopback: A's admin follows node B (which
// accepts at once) and node C (whose admin accepts by hand); every public track of B's channels
// then appears on A with nobody following a channel, in "new on the network", and trending
// counts qualified listens (A's) and the Listens A reported (B's). Remote tracks and channels
// are found by URL or @name@host. Either side ends a follow, and what came through it goes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { startTestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { lenientRules, setListening } from '../listening/helpers.js';
import { startNodes, waitFor, hostOf, count } from './support.js';

let a: TestNode, b: TestNode, c: TestNode;
let dir: string;
let adminA: Awaited<ReturnType<TestNode['user']>>;
let adminB: Awaited<ReturnType<TestNode['user']>>;
let adminC: Awaited<ReturnType<TestNode['user']>>;
let listenerA: Awaited<ReturnType<TestNode['user']>>;
let artistB: Awaited<ReturnType<typeof makeArtist>>;
let artistC: Awaited<ReturnType<typeof makeArtist>>;
let oldTrack: string;
let newTrack: string;
let followB: string;

const overrides = { media: { audioBitratesKbps: [64] } };
const trackUri = (n: TestNode, id: string) => `${n.ctx.config.publicUrl}/ap/tracks/${id}`;
const remoteOnA = async (n: TestNode, id: string) => (await a.api('GET', '/api/v1/federation/tracks?limit=100')).body.data.find((t: any) => t.uri === trackUri(n, id));

async function uploaded(n: TestNode, artist: Awaited<ReturnType<typeof makeArtist>>, title: string, seconds = 4): Promise<string> {
  const file = await makeAudio(dir, { seconds, tags: { title } });
  const up = await upload(n, artist.token, artist.channel.id, file);
  assert.equal(up.status, 200, up.text);
  assert.equal((await waitTrack(n, artist.token, up.body.trackId)).status, 'ready');
  return up.body.trackId;
}

before(async () => {
  [a, b] = await startNodes(['inst-a', 'inst-b'], { overrides });
  c = await startTestNode({ name: 'inst-c', overrides: { ...overrides, federation: { instanceFollowers: 'manual' } } });
  dir = mediaDir('inst');
  [adminA, adminB, adminC] = await Promise.all([a.user('admin'), b.user('admin'), c.user('admin')]);
  listenerA = await a.user('listener', 'ada');
  artistB = await makeArtist(b, 'b_band');
  artistC = await makeArtist(c, 'c_band');
});
after(async () => {
  await Promise.all([a, b, c].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

test("A follows node B: B's existing tracks come at once, a new upload on B appears on A with nobody following the channel", async () => {
  oldTrack = await uploaded(b, artistB, 'Before The Follow', 34);
  assert.equal((await a.api('POST', '/api/v1/federation/admin/instance-follows', { token: listenerA.token, body: { host: hostOf(b) } })).status, 403);
  assert.equal((await a.api('POST', '/api/v1/federation/admin/instance-follows', { token: adminA.token, body: { host: 'not a host!' } })).status, 400);
  assert.equal((await a.api('POST', '/api/v1/federation/admin/instance-follows', { token: adminA.token, body: { host: hostOf(a) } })).status, 400);

  const res = await a.api('POST', '/api/v1/federation/admin/instance-follows', { token: adminA.token, body: { host: hostOf(b) } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.host, hostOf(b));
  assert.equal(res.body.actor, `${b.ctx.config.publicUrl}/ap/actor`);
  followB = res.body.id;
  await waitFor('B accepts at once', async () => (await a.api('GET', '/api/v1/federation/admin/instance-follows', { token: adminA.token })).body.data.find((f: any) => f.id === followB && f.state === 'accepted'));
  const followers = (await b.api('GET', '/api/v1/federation/admin/instance-followers', { token: adminB.token })).body;
  assert.equal(followers.mode, 'auto');
  assert.deepEqual(followers.data.map((f: any) => [f.host, f.state]), [[hostOf(a), 'accepted']]);

  // The track B had before: read from B's instance outbox when the follow was accepted.
  const before = await waitFor('the older track backfilled', () => remoteOnA(b, oldTrack));
  assert.equal(before.title, 'Before The Follow');
  assert.equal(await count(a, 'federation_follows', "local_follower AND following_uri LIKE '%/ap/channels/%'"), 0, 'nobody on A follows the channel');

  newTrack = await uploaded(b, artistB, 'After The Follow');
  const listed = await waitFor('the new upload listed on A', () => remoteOnA(b, newTrack));
  assert.equal(listed.actorUri, `${b.ctx.config.publicUrl}/ap/channels/b_band`);
  const played = await fetch(`${a.ctx.config.publicUrl}/api/v1/federation/tracks/${listed.id}/hls/master.m3u8`);
  assert.equal(played.status, 200, 'it plays through A');

  // "New on the network" on A: A's own upload and B's, newest first.
  const artistA = await makeArtist(a, 'a_band');
  const local = await uploaded(a, artistA, 'Home Grown');
  const fresh = (await a.api('GET', '/api/v1/discover/new')).body.data;
  assert.deepEqual(fresh.slice(0, 3).map((t: any) => [t.origin, t.title]), [['local', 'Home Grown'], ['remote', 'After The Follow'], ['remote', 'Before The Follow']]);
  assert.equal(fresh[0].id, local);
  assert.equal(fresh[1].channel.handle, `b_band@${hostOf(b)}`);
  assert.equal(fresh[1].pageUrl, `${a.ctx.config.publicUrl}/remote/${listed.id}`);
  assert.deepEqual((await a.api('GET', '/api/v1/discover/new?origin=remote')).body.data.map((t: any) => t.title), ['After The Follow', 'Before The Follow']);
  assert.equal((await a.api('GET', '/api/v1/discover/new?limit=50&offset=190')).status, 400);

  // Search on A finds B's track (typo included) and its channel, after A's own catalogue.
  const found = (await a.api('GET', `/api/v1/search?q=${encodeURIComponent('after the folow')}`)).body;
  assert.deepEqual([found.tracks[0].origin, found.tracks[0].title], ['remote', 'After The Follow']);
  const home = (await a.api('GET', '/api/v1/search?q=home grown')).body;
  assert.deepEqual([home.tracks[0].origin, home.tracks[0].title], ['local', 'Home Grown']);
});

test("a person cannot follow a node's instance actor; a follow of a manual node waits for its admin", async () => {
  const asPerson = await a.api('POST', '/api/v1/federation/follows', { token: listenerA.token, body: { handle: `instance.actor@${hostOf(b)}` } });
  assert.equal(asPerson.status, 201, asPerson.text);
  await waitFor('B rejects a person', async () => (await a.api('GET', '/api/v1/federation/follows', { token: listenerA.token })).body.data.find((f: any) => f.id === asPerson.body.id && f.state === 'rejected'));

  const cTrack = await uploaded(c, artistC, 'Gated By Hand');
  const res = await a.api('POST', '/api/v1/federation/admin/instance-follows', { token: adminA.token, body: { host: c.ctx.config.publicUrl } });
  assert.equal(res.status, 201, res.text);
  const pending = await waitFor('C holds the follow', async () => (await c.api('GET', '/api/v1/federation/admin/instance-followers', { token: adminC.token })).body.data.find((f: any) => f.host === hostOf(a)));
  assert.equal(pending.state, 'pending');
  assert.equal((await c.api('GET', '/api/v1/federation/admin/instance-followers', { token: adminC.token })).body.mode, 'manual');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await remoteOnA(c, cTrack), undefined, 'nothing comes before the accept');

  const accepted = await c.api('POST', `/api/v1/federation/admin/instance-followers/${pending.id}/accept`, { token: adminC.token });
  assert.equal(accepted.status, 200, accepted.text);
  assert.equal(accepted.body.state, 'accepted');
  assert.equal((await c.api('POST', `/api/v1/federation/admin/instance-followers/${pending.id}/accept`, { token: adminC.token })).body.state, 'accepted', 'accepting twice changes nothing');
  await waitFor('accepted on A', async () => (await a.api('GET', '/api/v1/federation/admin/instance-follows', { token: adminA.token })).body.data.find((f: any) => f.id === res.body.id && f.state === 'accepted'));
  await waitFor("C's track backfilled on A", () => remoteOnA(c, cTrack));

  // C's admin ends it: A is told (Reject), and C's tracks nobody on A follows are unlisted.
  assert.equal((await c.api('DELETE', `/api/v1/federation/admin/instance-followers/${pending.id}`, { token: adminC.token })).status, 204);
  await waitFor('ended on A', async () => (await a.api('GET', '/api/v1/federation/admin/instance-follows', { token: adminA.token })).body.data.find((f: any) => f.id === res.body.id && f.state === 'rejected'));
  await waitFor("C's track unlisted on A", async () => (await remoteOnA(c, cTrack)) === undefined);
  assert.equal((await c.api('GET', '/api/v1/federation/admin/instance-followers', { token: adminC.token })).body.data.length, 0);
  assert.equal((await c.api('DELETE', `/api/v1/federation/admin/instance-followers/${pending.id}`, { token: adminC.token })).status, 404);
});

test('a remote track or channel is found on A by its URL or @name@host; bad input gets clear errors', async () => {
  assert.equal((await a.api('GET', `/api/v1/discover/lookup?q=${encodeURIComponent(`@b_band@${hostOf(b)}`)}`)).status, 401);
  const look = (q: string) => a.api('GET', `/api/v1/discover/lookup?q=${encodeURIComponent(q)}`, { token: listenerA.token });

  const channel = await look(`@b_band@${hostOf(b)}`);
  assert.equal(channel.status, 200, channel.text);
  assert.equal(channel.body.type, 'channel');
  assert.equal(channel.body.channel.uri, `${b.ctx.config.publicUrl}/ap/channels/b_band`);
  assert.equal(channel.body.channel.followed, true, 'A follows its node');
  assert.deepEqual(channel.body.tracks.map((t: any) => t.title).sort(), ['After The Follow', 'Before The Follow']);

  // The page URL a listener copies from B's address bar, and the object's id.
  for (const url of [`${b.ctx.config.publicUrl}/tracks/${newTrack}`, trackUri(b, newTrack)]) {
    const track = await look(url);
    assert.equal(track.status, 200, `${url}: ${track.text}`);
    assert.equal(track.body.type, 'track');
    assert.equal(track.body.track.origin, 'remote');
    assert.equal(track.body.track.uri, trackUri(b, newTrack));
  }
  // A track of C (no follow any more) is listed on A when looked up, so it plays there.
  const cTracks = (await c.api('GET', '/api/v1/tracks')).body.data;
  const cLook = await look(`${c.ctx.config.publicUrl}/tracks/${cTracks[0].id}`);
  assert.equal(cLook.status, 200, cLook.text);
  assert.equal((await fetch(cLook.body.track.masterPlaylistUrl)).status, 200);

  const own = await look(`@a_band@${hostOf(a)}`);
  assert.equal(own.body.channel.origin, 'local');
  assert.equal((await look(`${a.ctx.config.publicUrl}/tracks/${newTrack}`)).status, 404, 'not a track of A');
  assert.equal((await look('hello')).status, 400);
  assert.equal((await look(`@nobody@${hostOf(b)}`)).status, 422);
  assert.equal((await look(`${b.ctx.config.publicUrl}/ap/users/${adminB.user.username}/followers`)).status, 422, 'not a track or channel');
});

test("trending counts A's qualified listens of B's track, and B counts the Listen A reported", async () => {
  const remote = await remoteOnA(b, oldTrack);
  setListening(a, lenientRules());
  const play = await a.api('POST', '/api/v1/plays', { token: listenerA.token, body: { trackId: remote.id } });
  assert.equal(play.status, 201, play.text);
  const sessionId = play.body.sessionId as string;
  const headers = { 'x-play-session': sessionId };
  const base = `${a.ctx.config.publicUrl}/api/v1/federation/tracks/${remote.id}/hls/`;
  const master = await (await fetch(`${base}master.m3u8`, { headers })).text();
  const playlistUrl = new URL(master.split('\n').find((l) => l && !l.startsWith('#'))!, `${base}master.m3u8`).href;
  const segments = (await (await fetch(playlistUrl, { headers })).text()).split('\n').filter((l) => l && !l.startsWith('#'));
  for (const s of segments) await (await fetch(new URL(s, playlistUrl).href, { headers })).arrayBuffer();
  await waitFor('listen qualified on A', async () => (await a.api('POST', `/api/v1/plays/${sessionId}/progress`, { token: listenerA.token, body: { positionSeconds: 33, playedSeconds: 33, state: 'playing' } })).body.listen);

  const onA = (await a.api('GET', '/api/v1/discover/trending')).body.data;
  assert.deepEqual(onA.map((t: any) => [t.title, t.origin, t.listens]), [['Before The Follow', 'remote', 1]]);
  const onB = await waitFor("the Listen counted on B", async () => {
    const data = (await b.api('GET', '/api/v1/discover/trending')).body.data;
    return data.length ? data : undefined;
  });
  assert.deepEqual(onB.map((t: any) => [t.title, t.origin, t.listens]), [['Before The Follow', 'local', 1]]);
  assert.equal((await b.api('GET', '/api/v1/discover/trending?days=0')).status, 400);
});

test("A's admin unfollows B: Undo reaches B, and B's tracks nobody on A follows are unlisted", async () => {
  assert.equal((await a.api('DELETE', `/api/v1/federation/admin/instance-follows/${followB}`, { token: adminA.token })).status, 204);
  assert.equal(await remoteOnA(b, newTrack), undefined);
  await waitFor('B forgets the follower', async () => (await b.api('GET', '/api/v1/federation/admin/instance-followers', { token: adminB.token })).body.data.length === 0);
  assert.equal((await a.api('DELETE', `/api/v1/federation/admin/instance-follows/${followB}`, { token: adminA.token })).status, 404);
  // A new upload on B does not come any more.
  const later = await uploaded(b, artistB, 'After The Unfollow');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await remoteOnA(b, later), undefined);
});
