// A metered track of node A played through node B's cache: A federates its access and prices;
// B's listener gets a 402 from B, pays B's invoice from their wallet on B, and plays; B owes
// A's artist (remote:<channel>, paid like remote payouts); B's cache fetches the paid segments
// from A signed by B's instance actor, which A serves only because its admin lists B as a
// trusted relay. Unsigned or untrusted fetches from A get A's own 402.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { accounts } from '../../server/money/index.js';
import { startNodes, waitFor, hostOf } from './support.js';
import { federationService } from '../../server/federation/index.js';
import { federationConfigSchema } from '../../server/federation/config.js';
import { assertBooksBalanced, balanceOf, credit } from '../money/helpers.js';

let a: TestNode, b: TestNode;
let dir: string;
before(async () => {
  [a, b] = await startNodes(['metered-a', 'metered-b'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('fedmetered');
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

test('a metered track of A plays on B for B\'s listener, paid on B and owed to A\'s artist; A serves B\'s cache only as a trusted relay', async () => {
  const artist = await makeArtist(a, 'far_meter');
  const channelUri = `${a.ctx.config.publicUrl}/ap/channels/far_meter`;
  const fan = await b.user('listener');
  await credit(b, fan.user.id, 100);
  const follow = await b.api('POST', '/api/v1/federation/follows', { token: fan.token, body: { handle: `far_meter@${hostOf(a)}` } });
  assert.equal(follow.status, 201, follow.text);
  await waitFor('follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: fan.token })).body.data.find((f: any) => f.state === 'accepted'));
  const up = await upload(a, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 10, tags: { title: 'Paid Abroad' } }));
  assert.equal(up.status, 200, up.text);
  assert.equal((await waitTrack(a, artist.token, up.body.trackId)).status, 'ready');
  const metered = await a.api('PATCH', `/api/v1/tracks/${up.body.trackId}`, { token: artist.token, body: { access: { mode: 'metered', pricesPerMinute: { '64k': 6 } } } });
  assert.equal(metered.status, 200, metered.text);
  const trackUri = `${a.ctx.config.publicUrl}/ap/tracks/${up.body.trackId}`;

  // The access and prices travel with the track (the Update after the change).
  const remote = await waitFor('B knows the track is metered', async () => {
    const t = (await b.api('GET', '/api/v1/federation/tracks')).body.data.find((x: any) => x.uri === trackUri);
    return t?.access?.mode === 'metered' && t.renditions[0]?.pricePerMinute === 6 && Object.keys(t.segmentHashes['64k'] ?? {}).length ? t : undefined;
  });
  assert.deepEqual(remote.access, { mode: 'metered', currency: 'USD', pricesPerMinute: { '64k': 6 } });
  const base = `/api/v1/federation/tracks/${remote.id}/hls/64k`;

  // B's listener: a 402 from B, with B's challenge.
  const first = await b.api('GET', `${base}/seg-00000.m4s`);
  assert.equal(first.status, 402, first.text);
  assert.match(first.headers.get('www-authenticate') ?? '', /^L402 macaroon="[^"]+", invoice="9ten1/);
  const offer = await b.api('POST', '/api/v1/metered/offers', { body: { track: remote.id, rendition: '64k' } });
  assert.equal(offer.status, 200, offer.text);
  assert.deepEqual(offer.body.segments, { from: 0, to: 2 }, 'a 10 s track: its three segments, in one span');
  assert.equal(offer.body.amount, 1, '10 s at 6 per minute');

  // A does not yet trust B: B's cache is refused by A, and says so.
  const paid = await b.api('POST', '/api/v1/metered/pay', { token: fan.token, body: { invoice: offer.body.invoice } });
  assert.equal(paid.status, 201, paid.text);
  const purchase = paid.body.purchase;
  assert.equal(purchase.artistUri, channelUri);
  assert.equal(purchase.receipt.track, trackUri);
  assert.equal(purchase.receipt.segmentHashes['64k'][0], remote.segmentHashes['64k']['seg-00000.m4s']);
  const untrusted = await b.api('GET', `${base}/seg-00000.m4s`, { headers: { authorization: purchase.authorization } });
  assert.equal(untrusted.status, 502, untrusted.text);
  assert.match(untrusted.body.detail, /answered 402/);

  // A's admin trusts B as a relay: B's signed fetches are served; B's listener plays.
  a.ctx.config.federation.meteredRelays = [hostOf(b)];
  for (let i = 0; i <= 2; i++) {
    const r = await fetch(`${b.url}${base}/seg-${String(i).padStart(5, '0')}.m4s`, { headers: { authorization: purchase.authorization } });
    assert.equal(r.status, 200, `segment ${i}`);
    assert.equal(r.headers.get('cache-control'), 'private, no-cache');
    await r.arrayBuffer();
  }
  // Played from B's cache now, still only with a credential.
  assert.equal((await b.api('GET', `${base}/seg-00001.m4s`)).status, 402);
  // Anyone else asking A directly still pays A; a forged relay signature is not a relay.
  const direct = await fetch(`${a.url}/static/streaming/${up.body.trackId}/64k/seg-00000.m4s`);
  assert.equal(direct.status, 402);
  const forged = await fetch(`${a.url}/static/streaming/${up.body.trackId}/64k/seg-00000.m4s`, {
    headers: { signature: `keyId="${b.ctx.config.publicUrl}/ap/actor#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"`, date: new Date().toUTCString() },
  });
  assert.equal(forged.status, 402);

  // Copies B fetched as a relay are never served as free ones: were B to think the track free
  // (an Update processed out of order), it asks A unsigned, and A says 402.
  await b.ctx.db.query("UPDATE federation_remote_tracks SET access = 'free' WHERE id = :id", { replacements: { id: remote.id } });
  const asFree = await b.api('GET', `${base}/seg-00001.m4s`);
  assert.equal(asFree.status, 502, asFree.text);
  assert.match(asFree.body.detail, /answered 402/);
  await b.ctx.db.query("UPDATE federation_remote_tracks SET access = 'metered' WHERE id = :id", { replacements: { id: remote.id } });
  // A relay is its instance actor alone, and A's admin may write it as a URL.
  a.ctx.config.federation.meteredRelays = federationConfigSchema.shape.meteredRelays.parse([`HTTP://${hostOf(b).toUpperCase()}/`]);
  await federationService(b.ctx).cache.evict(remote.id);
  const renamed = await fetch(`${b.url}${base}/seg-00002.m4s`, { headers: { authorization: purchase.authorization } });
  assert.equal(renamed.status, 200, await renamed.clone().text());

  // The money: B's listener paid B; B owes A's artist; A moved nothing.
  assert.equal(await balanceOf(b, accounts.wallet(fan.user.id).key), 99);
  assert.equal(await balanceOf(b, accounts.remotePayable(channelUri).key), 1, 'owed to the artist, as remote payouts are (the node keeps 10 % of 1: nothing)');
  assert.equal(await balanceOf(a, accounts.wallet(artist.user.id).key), 0);
  await assertBooksBalanced(b);
});
