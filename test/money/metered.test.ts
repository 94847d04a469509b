// Pay-per-segment over real HTTP, PostgreSQL and ffmpeg: an artist meters a track, the
// playlists carry its prices, a segment without a credential gets 402 with an L402 challenge,
// paying the invoice from the wallet returns the preimage, and the credential opens exactly
// its span and renditions. Forged, altered, expired and other-track credentials are refused;
// paying twice, paying from an empty wallet and concurrent purchases move nothing they should
// not; subscribers play free; receipts verify against the published key; the books balance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { accounts, moneyService } from '../../server/money/index.js';
import { L402, attenuate } from '../../server/money/l402.js';
import { selectOne, select } from '../../server/db/index.js';
import { assertBooksBalanced, balanceOf, credit } from './helpers.js';

let node: TestNode;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let trackId: string;
let otherTrackId: string;
let freeTrackId: string;
before(async () => {
  node = await startTestNode({ name: 'money-metered', overrides: { media: { audioBitratesKbps: [64, 128], paymentChallengesPerMinute: 100 }, money: { meteredOffersPerMinute: 100 } } });
  dir = mediaDir('metered');
  artist = await makeArtist(node, 'meter_band');
  const ids: string[] = [];
  for (const [name, seconds] of [['long', 70], ['short', 8], ['free', 8]] as const) {
    const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds, name: `${name}.mp3`, tags: { title: `Song ${name}` } }));
    assert.equal(up.status, 200, up.text);
    ids.push(up.body.trackId);
  }
  [trackId, otherTrackId, freeTrackId] = ids;
  for (const id of ids) assert.equal((await waitTrack(node, artist.token, id)).status, 'ready');
});
after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const seg = (id: string, rendition: string, index: number) => `/static/streaming/${id}/${rendition}/seg-${String(index).padStart(5, '0')}.m4s`;
const wallet = (id: string) => balanceOf(node, accounts.wallet(id).key);
const challengeOf = (header: string | undefined) => {
  const m = /^L402 macaroon="([^"]+)", invoice="([^"]+)"$/.exec(header ?? '');
  assert.ok(m, `an L402 challenge: ${header}`);
  return { macaroon: m[1], invoice: m[2] };
};
const rawGet = (p: string, headers: Record<string, string> = {}) => fetch(`${node.url}${p}`, { headers });

test('an artist meters a track: prices are checked, shown on the track and in its playlists; it leaves WebTorrent, nginx and downloads', async () => {
  const patch = (id: string, body: unknown) => node.api('PATCH', `/api/v1/tracks/${id}`, { token: artist.token, body });
  const missing = await patch(trackId, { access: { mode: 'metered', pricesPerMinute: { '64k': 2 } } });
  assert.equal(missing.status, 400, missing.text);
  assert.equal(missing.body.code, 'invalid_prices');
  assert.match(missing.body.detail, /missing: 128k/);
  assert.equal((await patch(trackId, { access: { mode: 'metered', pricesPerMinute: { '64k': 2, '128k': 5, '320k': 9 } } })).body.code, 'invalid_prices');
  const cheaperHigh = await patch(trackId, { access: { mode: 'metered', pricesPerMinute: { '64k': 5, '128k': 2 } } });
  assert.equal(cheaperHigh.status, 400);
  assert.match(cheaperHigh.body.detail, /may not cost less/);
  for (const bad of [0, -1, 1.5, 1e9, '2']) {
    const r = await patch(trackId, { access: { mode: 'metered', pricesPerMinute: { '64k': bad, '128k': 5 } } });
    assert.equal(r.status, 400, `price ${bad}`);
  }
  assert.equal((await patch(trackId, { access: { mode: 'free', pricesPerMinute: { '64k': 2 } } })).body.code, 'invalid_prices');
  const stranger = await node.user('listener');
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${trackId}`, { token: stranger.token, body: { access: { mode: 'free' } } })).status, 403);
  assert.equal((await patch(trackId, { allowDownload: true })).status, 200);
  const before = await node.api('GET', `/api/v1/tracks/${trackId}`);
  assert.ok(before.body.downloadUrl, 'a free track offers its download');
  const publicLink = path.join(node.ctx.config.dataDir, 'media', 'public-streaming', trackId);

  const ok = await patch(trackId, { access: { mode: 'metered', pricesPerMinute: { '64k': 2, '128k': 5 } } });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.body.access, { mode: 'metered', pricesPerMinute: { '64k': 2, '128k': 5 }, currency: 'USD' });
  assert.equal(ok.body.downloadUrl, undefined, 'a metered track is streamed, not downloaded');
  assert.ok(ok.body.streaming.renditions.every((r: { torrentUrl: string; magnetUri: string }) => r.torrentUrl === '' && r.magnetUri === ''));
  assert.equal((await patch(otherTrackId, { access: { mode: 'metered', pricesPerMinute: { '64k': 1, '128k': 1 } } })).status, 200);

  const master = await (await rawGet(`/static/streaming/${trackId}/master.m3u8`)).text();
  assert.match(master, /^#EXTM3U\n/);
  assert.match(master, /#EXT-X-SESSION-DATA:DATA-ID="org\.9ten\.access",VALUE="metered"/);
  assert.match(master, /#EXT-X-SESSION-DATA:DATA-ID="org\.9ten\.currency",VALUE="USD"/);
  assert.match(master, /#EXT-X-SESSION-DATA:DATA-ID="org\.9ten\.price-per-minute\.128k",VALUE="5"/);
  assert.match(master, /#EXT-X-SESSION-DATA:DATA-ID="org\.9ten\.price-per-segment\.128k",VALUE="0\.3333"/);
  const media = await rawGet(`/static/streaming/${trackId}/64k/playlist.m3u8`);
  assert.equal(media.status, 200);
  assert.match(await media.text(), /#EXT-X-9TEN-PRICE:ACCESS=metered,CURRENCY="USD",PER-MINUTE=2,PER-SEGMENT="0\.1333"/);
  // A free track's playlists are as the transcode wrote them.
  assert.doesNotMatch(await (await rawGet(`/static/streaming/${freeTrackId}/master.m3u8`)).text(), /9ten/);

  assert.equal((await rawGet(`/static/streaming/${trackId}/64k.torrent`)).status, 404);
  assert.equal((await rawGet(`/static/download/${trackId}`)).status, 403);
  assert.equal((await rawGet(`/static/download/${trackId}`, { Authorization: `Bearer ${artist.token}` })).status, 200, 'the owner still downloads');
  // nginx serves only what strangers may play without asking: the link goes.
  await node.ctx.services.media.getTrack(trackId);
  await waitFor(() => !existsSync(publicLink), 'public-streaming link removed');
});

async function waitFor(check: () => boolean, what: string) {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), what);
}

test('402 → pay from the wallet → the credential opens its span and cheaper renditions, and nothing else', async () => {
  const fan = await node.user('listener');
  await credit(node, fan.user.id, 1000);
  const first = await rawGet(seg(trackId, '64k', 0));
  assert.equal(first.status, 402);
  assert.equal(first.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(first.headers.get('cache-control'), 'no-store');
  assert.equal((await first.json()).code, 'payment_required');
  const { macaroon, invoice } = challengeOf(first.headers.get('www-authenticate') ?? undefined);

  const paid = await node.api('POST', '/api/v1/metered/pay', { token: fan.token, body: { invoice } });
  assert.equal(paid.status, 201, paid.text);
  const p = paid.body.purchase;
  assert.equal(p.macaroon, macaroon, 'the 402 macaroon is the purchase\'s');
  assert.equal(createHash('sha256').update(Buffer.from(p.preimage, 'hex')).digest('hex'), p.receipt.paymentHash);
  assert.deepEqual(p.renditions, ['64k']);
  const timeline = (await selectOne<{ segment_timeline: Record<string, [number, number][]> }>(node.ctx.db, 'SELECT segment_timeline FROM media_tracks WHERE id = :trackId', { trackId }))!.segment_timeline;
  const inFirstMinute = timeline['64k'].filter(([start]) => start < 60).length;
  assert.deepEqual(p.segments, { from: 0, to: inFirstMinute - 1 });
  assert.equal(p.amount, 2, 'a minute at 2 per minute');
  assert.equal(p.nodeCut, 0, '10 % of 2, floored');
  assert.equal(await wallet(fan.user.id), 998);
  assert.equal(p.authorization, `L402 ${macaroon}:${p.preimage}`);

  // Every segment of the span plays, once bought; the bytes are the published ones.
  for (let i = 0; i <= p.segments.to; i++) {
    const r = await rawGet(seg(trackId, '64k', i), { Authorization: p.authorization });
    assert.equal(r.status, 200, `segment ${i}`);
    assert.equal(createHash('sha256').update(Buffer.from(await r.arrayBuffer())).digest('hex'), p.receipt.segmentHashes['64k'][i]);
    assert.equal(r.headers.get('cache-control'), 'private, no-cache', 'kept by the browser, asked again each time: the gate sees every use');
  }
  const lsat = await rawGet(seg(trackId, '64k', 1), { Authorization: `LSAT ${macaroon}:${p.preimage}` });
  assert.equal(lsat.status, 200, 'LSAT is an alias');
  // The next minute is another span; the dearer rendition another purchase.
  const next = await rawGet(seg(trackId, '64k', p.segments.to + 1), { Authorization: p.authorization });
  assert.equal(next.status, 402);
  assert.equal((await next.json()).code, 'span_spent');
  const nextOffer = challengeOf(next.headers.get('www-authenticate') ?? undefined);
  const higher = await rawGet(seg(trackId, '128k', 0), { Authorization: p.authorization });
  assert.equal(higher.status, 402);
  assert.equal((await higher.json()).code, 'rendition_not_covered');

  // The last, shorter span costs its share: 10 s at 2 per minute, rounded up to 1.
  const tail = await node.api('POST', '/api/v1/metered/pay', { token: fan.token, body: { invoice: nextOffer.invoice } });
  assert.equal(tail.status, 201, tail.text);
  assert.deepEqual(tail.body.purchase.segments, { from: inFirstMinute, to: timeline['64k'].length - 1 });
  assert.equal(tail.body.purchase.amount, 1);

  // Buying the dearer rendition covers the cheaper one in the same span.
  const offer = await node.api('POST', '/api/v1/metered/offers', { body: { track: trackId, rendition: '128k', fromSegment: 3 } });
  assert.equal(offer.status, 200, offer.text);
  assert.deepEqual(offer.body.renditions, ['64k', '128k']);
  assert.equal(offer.body.amount, 5);
  const hi = await node.api('POST', '/api/v1/metered/pay', { token: fan.token, body: { invoice: offer.body.invoice } });
  assert.equal(hi.status, 201, hi.text);
  for (const r of ['64k', '128k']) assert.equal((await rawGet(seg(trackId, r, 2), { Authorization: hi.body.purchase.authorization })).status, 200, r);
  assert.equal(await wallet(fan.user.id), 1000 - 2 - 1 - 5);
  assert.equal(await wallet(artist.user.id), 2 + 1 + 5 - 0 - 0 - 0, 'the node keeps 10 %, floored: nothing of 2, 1 or 5');

  // Spending shows in the wallet and the purchases; the artist sees the sales.
  const purchases = await node.api('GET', '/api/v1/metered/purchases', { token: fan.token });
  assert.equal(purchases.body.total, 3);
  assert.equal(purchases.body.spent, 8);
  const w = await node.api('GET', '/api/v1/me/wallet', { token: fan.token });
  assert.ok(w.body.entries.data.some((e: { kind: string; amount: number }) => e.kind === 'metered' && e.amount === -5));
  const sales = await node.api('GET', '/api/v1/me/earnings/metered', { token: artist.token });
  assert.equal(sales.status, 200, sales.text);
  assert.equal(sales.body.total, 8);
  assert.deepEqual(sales.body.byTrack.map((t: { title: string; count: number }) => [t.title, t.count]), [['Song long', 3]]);
  // The day's metered sales go to the ledger with the other income, by the track's channel.
  const income = await moneyService(node.ctx).income.figures(new Date().toISOString().slice(0, 10));
  assert.deepEqual(income.find((e) => e.artist.endsWith('/ap/channels/meter_band')), { artist: `${node.ctx.config.publicUrl}/ap/channels/meter_band`, tips: 0, streams: 0, metered: 8 });
  await assertBooksBalanced(node);
});

test('forged, altered, wrong-preimage, other-track and expired credentials are refused; the owner plays free', async () => {
  const fan = await node.user('listener');
  await credit(node, fan.user.id, 100);
  const offer = await node.api('POST', '/api/v1/metered/offers', { body: { track: trackId, rendition: '64k' } });
  const paid = (await node.api('POST', '/api/v1/metered/pay', { token: fan.token, body: { invoice: offer.body.invoice } })).body.purchase;
  const get = (auth: string, id = trackId) => rawGet(seg(id, '64k', 0), { Authorization: auth });
  const expect = async (auth: string, status: number, code: string, id = trackId) => {
    const r = await get(auth, id);
    assert.equal(r.status, status, `${code}: ${auth.slice(0, 30)}`);
    assert.equal((await r.json()).code, code);
    assert.ok(r.headers.get('www-authenticate')?.startsWith('L402 macaroon="'), 'a fresh challenge comes with it');
  };
  const mac = Buffer.from(paid.macaroon, 'base64');
  const flipped = Buffer.from(mac);
  flipped[mac.length - 5] ^= 1;
  await expect(`L402 ${flipped.toString('base64')}:${paid.preimage}`, 401, 'invalid_credential');
  await expect(`L402 ${paid.macaroon}:${'ab'.repeat(32)}`, 401, 'invalid_credential');
  await expect(`L402 garbage:${paid.preimage}`, 401, 'invalid_credential');
  await expect(`L402 ${paid.macaroon}`, 401, 'invalid_credential');
  // A macaroon whose caveats were rewritten (a wider span) fails its HMAC chain.
  const rewritten = Buffer.from(mac.toString('latin1').replace(/9ten_segments=0-\d+/, '9ten_segments=0-99'), 'latin1');
  await expect(`L402 ${rewritten.toString('base64')}:${paid.preimage}`, 401, 'invalid_credential');
  // A genuine credential for another track.
  await expect(paid.authorization, 401, 'invalid_credential', otherTrackId);
  // The holder may narrow it: an expiry in the past is expired, a narrower span is spent sooner.
  const expired = attenuate(paid.macaroon, `9ten_expires=${Math.floor(Date.now() / 1000) - 1}`);
  await expect(`L402 ${expired}:${paid.preimage}`, 402, 'credential_expired');
  const narrow = attenuate(paid.macaroon, '9ten_segments=0-0');
  assert.equal((await get(`L402 ${narrow}:${paid.preimage}`)).status, 200);
  assert.equal((await rawGet(seg(trackId, '64k', 1), { Authorization: `L402 ${narrow}:${paid.preimage}` })).status, 402);
  // A wider attenuation does not widen anything: caveats only narrow.
  const wider = attenuate(paid.macaroon, '9ten_segments=0-99');
  assert.equal((await rawGet(seg(trackId, '64k', paid.segments.to + 1), { Authorization: `L402 ${wider}:${paid.preimage}` })).status, 402);
  // A bearer token without a subscription is not a payment.
  await expect(`Bearer ${fan.token}`, 402, 'payment_required');
  // Oversized or over-caveated credentials are refused before any HMAC; the scheme's case does not matter.
  await expect(`L402 ${'A'.repeat(5000)}:${paid.preimage}`, 401, 'invalid_credential');
  let many = paid.macaroon;
  for (let i = 0; i < 12; i++) many = attenuate(many, '9ten_amount=0 USD');
  await expect(`L402 ${many}:${paid.preimage}`, 401, 'invalid_credential');
  assert.equal((await get(`l402 ${paid.macaroon}:${paid.preimage}`)).status, 200, 'l402 is L402');
  // Only the track's own segments are for sale: anything else is not found, not served.
  assert.equal((await rawGet(seg(trackId, '320k', 0), { Authorization: paid.authorization })).status, 404);
  assert.equal((await rawGet(seg(trackId, '64k', 999))).status, 404);
  // The owner and admins play without paying.
  assert.equal((await get(`Bearer ${artist.token}`)).status, 200);
});

test('paying twice, a stale or altered invoice, an empty wallet and concurrent purchases: clear errors, nothing moved twice', async () => {
  const fan = await node.user('listener');
  await credit(node, fan.user.id, 10);
  const offer = async () => (await node.api('POST', '/api/v1/metered/offers', { body: { track: trackId, rendition: '64k' } })).body;
  const pay = (invoice: string, token = fan.token, key?: string) => node.api('POST', '/api/v1/metered/pay', { token, body: { invoice }, headers: key ? { 'Idempotency-Key': key } : {} });

  const o = await offer();
  const first = await pay(o.invoice, fan.token, 'buy-1');
  assert.equal(first.status, 201, first.text);
  // A retry after a lost answer (the same key) gets the same credential and pays nothing more.
  const retry = await pay(o.invoice, fan.token, 'buy-1');
  assert.equal(retry.status, 200, retry.text);
  assert.equal(retry.body.replayed, true);
  assert.equal(retry.body.purchase.preimage, first.body.purchase.preimage);
  const again = await pay(o.invoice);
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'invoice_already_paid');
  assert.equal(again.body.purchase, first.body.purchase.invoice, 'the payer is told which purchase holds their credential');
  const lost = await node.api('GET', `/api/v1/metered/purchases/${first.body.purchase.invoice}`, { token: fan.token });
  assert.equal(lost.body.authorization, first.body.purchase.authorization, 'the credential again, after a crash');
  const other = await node.user('listener');
  assert.equal((await node.api('GET', `/api/v1/metered/purchases/${first.body.purchase.invoice}`, { token: other.token })).status, 404);
  await credit(node, other.user.id, 10);
  assert.equal((await pay(o.invoice, other.token)).body.code, 'invoice_already_paid');
  assert.equal((await pay((await offer()).invoice, fan.token, 'buy-1')).body.code, 'idempotency_key_reused');
  assert.equal(await wallet(fan.user.id), 8);
  assert.equal(await moneyService(node.ctx).metered.wallet.settled(o.invoice), true);
  assert.equal(await moneyService(node.ctx).metered.wallet.settled((await offer()).invoice), false);

  const altered = (await offer()).invoice.replace(/.(?=\.)/, (c: string) => (c === 'A' ? 'B' : 'A'));
  assert.equal((await pay(altered)).body.code, 'invalid_invoice');
  assert.equal((await pay('lnbc1invoice')).body.code, 'invalid_invoice');
  // An invoice past its pay-by time (made with the node's own keys, as the node would).
  const keys = (await selectOne<{ secret: Buffer }>(node.ctx.db, 'SELECT secret FROM money_metered_keys'))!;
  const l402 = new L402(keys.secret, node.ctx.config.publicUrl);
  const stale = l402.invoice({ tokenId: l402.newTokenId(), trackId, renditions: ['64k'], from: 0, to: 1, amount: 1, currency: 'USD', payee: artist.user.id, payBy: Math.floor(Date.now() / 1000) - 1, expires: Math.floor(Date.now() / 1000) + 60 });
  assert.equal((await pay(stale)).body.code, 'invoice_expired');
  assert.equal((await node.api('POST', '/api/v1/metered/pay', { body: { invoice: o.invoice } })).status, 401);
  assert.equal((await node.api('POST', '/api/v1/metered/pay', { token: artist.token, body: { invoice: (await offer()).invoice } })).body.code, 'invalid_recipient');
  for (const bad of [{ track: trackId, rendition: '320k' }, { track: trackId, rendition: '64k', minutes: 0 }, { track: trackId, rendition: '64k', fromSegment: 10_000 }]) {
    assert.equal((await node.api('POST', '/api/v1/metered/offers', { body: bad })).status, 400, JSON.stringify(bad));
  }
  assert.equal((await node.api('POST', '/api/v1/metered/offers', { body: { track: freeTrackId, rendition: '64k' } })).status, 404);

  // 8 left: 8 purchases of 2 at once from one wallet, exactly 4 go through.
  const offers = await Promise.all(Array.from({ length: 8 }, offer));
  const results = await Promise.all(offers.map((x) => pay(x.invoice)));
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 201, 402, 402, 402, 402]);
  assert.ok(results.filter((r) => r.status === 402).every((r) => r.body.code === 'insufficient_funds'));
  assert.equal(await wallet(fan.user.id), 0);
  const rows = await select<{ n: string }>(node.ctx.db, 'SELECT count(*) AS n FROM money_metered_purchases WHERE payer_id = :id', { id: fan.user.id });
  assert.equal(Number(rows[0].n), 5, 'refused purchases left no row');
  await assertBooksBalanced(node);
});

test('subscribers play metered and subscribers-only tracks free; others are told to subscribe', async () => {
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${otherTrackId}`, { token: artist.token, body: { access: { mode: 'subscribers' } } })).status, 200);
  const subscriber = await node.user('listener');
  await credit(node, subscriber.user.id, 2000);
  assert.equal((await node.api('POST', '/api/v1/me/subscription', { token: subscriber.token })).status, 201);
  const nonSubscriber = await node.user('listener');
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
  assert.equal((await rawGet(seg(trackId, '128k', 0), bearer(subscriber.token))).status, 200, 'metered: free for subscribers');
  assert.equal((await rawGet(seg(otherTrackId, '128k', 0), bearer(subscriber.token))).status, 200);
  const anon = await rawGet(seg(otherTrackId, '128k', 0));
  assert.equal(anon.status, 401);
  assert.equal(anon.headers.get('www-authenticate'), 'Bearer realm="9ten"');
  const refused = await rawGet(seg(otherTrackId, '128k', 0), bearer(nonSubscriber.token));
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).code, 'subscription_required');
  assert.match(await (await rawGet(`/static/streaming/${otherTrackId}/master.m3u8`)).text(), /DATA-ID="org\.9ten\.access",VALUE="subscribers"/);
  // A subscriber is never charged: paying is refused.
  const offer = await node.api('POST', '/api/v1/metered/offers', { body: { track: trackId, rendition: '64k' } });
  const refusedPay = await node.api('POST', '/api/v1/metered/pay', { token: subscriber.token, body: { invoice: offer.body.invoice } });
  assert.equal(refusedPay.status, 409);
  assert.equal(refusedPay.body.code, 'subscriber_plays_free');
  // An invoice for a track made subscribers-only since is not paid: it would open nothing.
  const stale = await node.api('POST', '/api/v1/metered/offers', { body: { track: trackId, rendition: '64k' } });
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${trackId}`, { token: artist.token, body: { access: { mode: 'subscribers' } } })).status, 200);
  await credit(node, nonSubscriber.user.id, 100);
  const late = await node.api('POST', '/api/v1/metered/pay', { token: nonSubscriber.token, body: { invoice: stale.body.invoice } });
  assert.equal(late.status, 404, late.text);
  assert.equal(await wallet(nonSubscriber.user.id), 100);
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${trackId}`, { token: artist.token, body: { access: { mode: 'metered', pricesPerMinute: { '64k': 2, '128k': 5 } } } })).status, 200);
  // Cancelling takes effect at the period's end: still a subscriber this month.
  assert.equal((await node.api('DELETE', '/api/v1/me/subscription', { token: subscriber.token })).status, 200);
  assert.equal((await rawGet(seg(otherTrackId, '64k', 0), bearer(subscriber.token))).status, 200);
});

test('a receipt lists the SHA-256 of every segment it covers and verifies against the published key', async () => {
  const fan = await node.user('listener');
  await credit(node, fan.user.id, 100);
  const offer = await node.api('POST', '/api/v1/metered/offers', { body: { track: trackId, rendition: '128k' } });
  const p = (await node.api('POST', '/api/v1/metered/pay', { token: fan.token, body: { invoice: offer.body.invoice } })).body.purchase;
  const key = await node.api('GET', '/api/v1/metered/receipt-key');
  assert.equal(key.body.algorithm, 'Ed25519');
  assert.equal(p.receipt.keyId, key.body.keyId);
  // Canonical JSON as docs/money.md describes it: keys sorted at every level, no spaces.
  const canonical = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
      : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
        : JSON.stringify(v);
  const publicKey = createPublicKey(key.body.publicKeyPem);
  assert.ok(verify(null, Buffer.from(canonical(p.receipt)), publicKey, Buffer.from(p.signature, 'base64url')));
  assert.ok(!verify(null, Buffer.from(canonical({ ...p.receipt, amount: p.receipt.amount + 1 })), publicKey, Buffer.from(p.signature, 'base64url')), 'an altered receipt fails');
  // The hashes are the published segment hashes of the span, for both renditions.
  for (const r of ['64k', '128k']) {
    const published = JSON.parse(readFileSync(path.join(node.ctx.config.dataDir, 'media', 'streaming', trackId, r, 'segment-hashes.json'), 'utf8')) as { segments: { file: string; sha256: string }[] };
    assert.deepEqual(p.receipt.segmentHashes[r], published.segments.slice(p.segments.from, p.segments.to + 1).map((s) => s.sha256));
  }
  assert.ok(moneyService(node.ctx).metered.verifyReceipt(p.receipt, p.signature));
});

test('payment challenges and offers are limited per client network and minute', async () => {
  // 2 × the limit + 1 asks: over the limit in one minute even if the minute turns meanwhile.
  const statuses = async (ask: () => Promise<number>) => {
    const seen: number[] = [];
    for (let i = 0; i < 201 && !seen.includes(429); i++) seen.push(await ask());
    return seen;
  };
  const challenges = await statuses(async () => (await rawGet(seg(trackId, '64k', 0))).status);
  assert.ok(challenges.includes(402) && challenges.at(-1) === 429, 'challenges stop at the limit');
  const limited = await rawGet(seg(trackId, '64k', 0));
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.equal((await limited.json()).code, 'too_many_challenges');
  assert.equal(limited.headers.get('www-authenticate'), null, 'no challenge made');
  const offers = await statuses(async () => (await node.api('POST', '/api/v1/metered/offers', { body: { track: trackId, rendition: '64k' } })).status);
  assert.ok(offers.includes(200) && offers.at(-1) === 429, 'offers stop at the limit');
});
