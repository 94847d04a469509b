// Interop with software this project did not write: a Fedify peer (test/federation/peer)
// finds an artist through WebFinger, follows it, and receives the signed Create of a new
// track — Fedify verifies the signature on its inbox before it records anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { startTestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { startPeer, type Peer } from './peer/peer.js';
import { waitFor, count, hostOf } from './support.js';

let node: TestNode;
let peer: Peer;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let channelUri: string;

before(async () => {
  node = await startTestNode({ name: 'fed-interop', overrides: { media: { audioBitratesKbps: [64] } } });
  peer = await startPeer();
  dir = mediaDir('fedpeer');
  artist = await makeArtist(node, 'interop_band');
  channelUri = `${node.ctx.config.publicUrl}/ap/channels/interop_band`;
});
after(async () => {
  await peer?.stop();
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('the Fedify peer looks up the artist via WebFinger and follows it', async () => {
  const found = await peer.webfinger(`${node.ctx.config.publicUrl}/@interop_band`);
  assert.equal(found.subject, `acct:interop_band@${hostOf(node)}`);
  assert.equal(found.actor, channelUri);
  await peer.follow(found.actor);
  await waitFor('Accept at the peer', async () => peer.accepted.includes(channelUri));
  const followers = JSON.parse((await node.api('GET', '/ap/channels/interop_band/followers?page=1')).text);
  assert.deepEqual(followers.orderedItems, [peer.actorUri]);
});

test('the peer receives the signed Create of a new track (a post with the audio attached and a link)', async () => {
  const file = await makeAudio(dir, { seconds: 3, tags: { title: 'Handshake', artist: 'Interop Band' } });
  const up = await upload(node, artist.token, artist.channel.id, file);
  assert.equal(up.status, 200, up.text);
  const track = await waitTrack(node, artist.token, up.body.trackId);
  const create = await waitFor('Create at the peer', async () => peer.creates.find((c) => c.objectId === `${node.ctx.config.publicUrl}/ap/tracks/${track.id}`));
  assert.equal(create.actor, channelUri);
  // The peer's software is unknown to 9ten, so it gets the Mastodon-style fallback.
  assert.equal(create.objectType, 'Note');
  assert.match(create.content ?? '', /Handshake/);
  assert.match(create.content ?? '', new RegExp(`/tracks/${track.id}`));
  assert.ok(create.attachments.some((a) => a.mediaType === 'application/x-mpegURL' && a.url === track.streaming.masterPlaylistUrl), JSON.stringify(create.attachments));
  await node.waitJobs();
  assert.equal(await count(node, 'federation_deliveries', `inbox LIKE '${peer.origin}%' AND state = 'delivered'`), 2);
});

test('the peer refuses a Create whose signature does not verify', async () => {
  const before = peer.creates.length;
  const body = JSON.stringify({
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${node.ctx.config.publicUrl}/ap/activities/forged`,
    type: 'Create',
    actor: channelUri,
    object: { id: `${node.ctx.config.publicUrl}/ap/tracks/forged`, type: 'Note', content: 'forged', attributedTo: channelUri },
  });
  const res = await fetch(`${peer.origin}/inbox`, {
    method: 'POST',
    headers: { 'content-type': 'application/activity+json', date: new Date().toUTCString(), signature: `keyId="${channelUri}#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"` },
    body,
  });
  assert.equal(res.status, 401);
  assert.equal(peer.creates.length, before);
});
