// Paid live, end to end on a real push: the free minutes, then 402 with an L402 challenge; minutes
// bought as credentials; a watch stream charged per second watched, closed when the viewer stops
// and when the stream ends; the books balance and nothing is paid twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { liveArtist, play, push, rtmpUrl, startLiveNode, waitStream } from './support.js';
import { liveService } from '../../server/live/index.js';
import { moneyService } from '../../server/money/index.js';
import { accounts } from '../../server/money/books.js';
import { waitFor } from '../helpers/wait.js';
import { assertBooksBalanced } from '../money/helpers.js';
import type { TestNode } from '../helpers/node.js';

let node: TestNode;
before(async () => {
  node = await startLiveNode({ name: 'live-paid', overrides: { live: { watchIdleSeconds: 10 } } });
});
after(async () => node?.stop());

const money = () => moneyService(node.ctx);
const balance = (userId: string) => money().books.balance(accounts.wallet(userId).key);

const refused = (res: Response) => res.status !== 200;

test('a priced stream: free minutes, then 402; minutes bought with L402; a watch stream charged per second watched; closed when the viewer leaves and when the stream ends; the books balance', { timeout: 180_000 }, async () => {
  const a = await liveArtist(node);
  const choices = await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { pricePerMinute: 60, freeMinutes: 0.1, title: 'Paid set' } });
  assert.equal(choices.status, 200, choices.text);
  assert.deepEqual(choices.body.price, { pricePerMinute: 60, freeMinutes: 0.1, subscriberDiscountPercent: 0, currency: 'USD' });
  for (const bad of [{ pricePerMinute: -1 }, { pricePerMinute: 1.5 }, { freeMinutes: 0.125 }, { subscriberDiscountPercent: 101 }]) {
    const res = await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: bad });
    assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.text}`);
  }
  const artistBefore = await balance(a.user.id);

  const publisher = push(rtmpUrl(node, a.key), { seconds: 120 });
  try {
    const live = await waitStream(node, a.token, a.channel.name, 'live');
    assert.equal(live.price.pricePerMinute, 60);
    const access = await node.api('GET', `/api/v1/live/streams/${live.id}/access`);
    assert.deepEqual([access.body.free, access.body.freeSecondsLeft, access.body.yourPricePerMinute], [false, 6, 60]);

    // Anyone: 6 free seconds (three 2 s segments), then 402 with an L402 challenge for the minute.
    const anon = await play(live.audioPlaylistUrl, () => ({}), refused);
    assert.equal(anon.served.length, 3, `three free segments, then refused (${anon.served})`);
    assert.equal(anon.last.status, 402);
    assert.match(anon.last.headers.get('www-authenticate') ?? '', /^L402 macaroon="[^"]+", invoice="9ten1/);
    assert.equal(anon.last.headers.get('cache-control'), 'no-store');
    const problem = await anon.last.json();
    assert.equal(problem.code, 'free_minutes_used');
    assert.match(problem.detail, /Sign in to keep watching/);
    assert.equal(problem.pricePerMinute, 60);
    // The owner watches free.
    const own = await fetch(`${live.audioPlaylistUrl.replace(/index\.m3u8$/, '')}${anon.lastSeq}.ts`, { headers: { authorization: `Bearer ${a.token}` } });
    assert.equal(own.status, 200);

    // A listener with an empty wallet: their own free seconds, then 402; no watch stream without money.
    const broke = await node.user('listener');
    const brokePlay = await play(live.audioPlaylistUrl, () => ({ authorization: `Bearer ${broke.token}` }), refused);
    assert.equal(brokePlay.served.length, 3);
    assert.equal((await brokePlay.last.json()).code, 'free_minutes_used');
    const noMoney = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: broke.token });
    assert.equal(noMoney.status, 402, noMoney.text);
    assert.equal(noMoney.body.code, 'insufficient_funds');

    // Minutes as L402 credentials: an offer, paid once (a retry with the key pays nothing more), then the minute plays.
    const buyer = await node.user('listener');
    await money().adminCredit.topUp({ userId: buyer.user.id, amount: 500, idempotencyKey: `paid-live:${buyer.user.id}` });
    const buyerPlay = await play(live.audioPlaylistUrl, () => ({ authorization: `Bearer ${buyer.token}` }), refused);
    assert.equal(buyerPlay.last.status, 402);
    const offer = await node.api('POST', `/api/v1/live/streams/${live.id}/offers`, { token: buyer.token, body: { rendition: 'audio', fromSeq: buyerPlay.lastSeq } });
    assert.equal(offer.status, 200, offer.text);
    assert.equal(offer.body.amount, 60, 'one minute at 60 a minute');
    assert.ok(offer.body.segments.from <= buyerPlay.lastSeq && offer.body.segments.to >= buyerPlay.lastSeq);
    assert.equal(offer.body.segments.to - offer.body.segments.from + 1, 30, 'a minute of 2 s segments');
    const pay = () => node.api('POST', '/api/v1/metered/pay', { token: buyer.token, body: { invoice: offer.body.invoice }, headers: { 'Idempotency-Key': 'live-minute-1' } });
    const paid = await pay();
    assert.equal(paid.status, 201, paid.text);
    assert.equal((await pay()).status, 200, 'the retry answers the same purchase');
    assert.equal(await balance(buyer.user.id), 440);
    const withCredential = await fetch(`${live.audioPlaylistUrl.replace(/index\.m3u8$/, '')}${buyerPlay.lastSeq}.ts`, { headers: { authorization: paid.body.purchase.authorization } });
    assert.equal(withCredential.status, 200);
    assert.equal(paid.body.purchase.receipt.track, live.pageUrl);
    assert.ok(money().metered.verifyReceipt(paid.body.purchase.receipt, paid.body.purchase.signature));
    // Someone else's credential for another stream's minute is no key to this one's other minutes.
    const forged = await fetch(`${live.audioPlaylistUrl.replace(/index\.m3u8$/, '')}${buyerPlay.lastSeq}.ts`, { headers: { authorization: 'L402 AgEL:00' } });
    assert.equal(forged.status, 401);

    // Pay as you watch: a watch stream, charged per second watched, closed when the viewer stops fetching.
    const fan = await node.user('listener');
    await money().adminCredit.topUp({ userId: fan.user.id, amount: 1000, idempotencyKey: `paid-live:${fan.user.id}` });
    const fanHeaders = () => ({ authorization: `Bearer ${fan.token}` });
    const fanFree = await play(live.audioPlaylistUrl, fanHeaders, refused);
    assert.equal(fanFree.last.status, 402);
    const opened = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: fan.token });
    assert.equal(opened.status, 201, opened.text);
    assert.equal(opened.body.pricePerMinute, 60);
    assert.equal(opened.body.paymentStream.rate.amount, 60);
    const again = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: fan.token });
    assert.equal(again.status, 200, 'one watch stream per viewer');
    assert.equal(again.body.paymentStream.id, opened.body.paymentStream.id);
    const streamId = opened.body.paymentStream.id;
    // Not cancelable behind the gate's back: the viewer stops it through live (DELETE), which pays the artist.
    const cancel = await node.api('POST', `/api/v1/streams/${streamId}/cancel`, { token: fan.token });
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.code, 'not_cancelable');
    const startAt = Date.parse(opened.body.paymentStream.startAt) / 1000;
    let fetched = 0;
    const watched = await play(live.audioPlaylistUrl, fanHeaders, () => ++fetched > 5);
    assert.equal(watched.served.length, 5, 'the watch stream opens the segments');
    const stoppedWatching = Date.now() / 1000;
    const closed = await waitFor('the watch stream closed after the viewer left', async () => {
      const s = (await node.api('GET', `/api/v1/streams/${streamId}`, { token: fan.token })).body;
      return s.stopReason === 'closed' ? s : undefined;
    }, 30_000);
    const stoppedAt = Date.parse(closed.stoppedAt) / 1000;
    const seconds = stoppedAt - startAt;
    assert.equal(closed.streamed, seconds, `charged exactly 1 a second for ${seconds} s (60 a minute)`);
    assert.ok(stoppedAt <= stoppedWatching + 3 && stoppedAt >= watched.servedAt.at(-1)! / 1000 - 1, `stopped at the end of the last segment served (${stoppedAt} vs ${stoppedWatching})`);
    assert.equal(closed.withdrawn, closed.streamed, 'the artist was paid what streamed');
    assert.equal(closed.status, 'depleted');
    assert.equal(await balance(fan.user.id), 1000 - closed.streamed, 'the rest came back to the viewer');
    const row = await waitFor('watch row closed', async () => (await liveService(node.ctx).store.openWatchStream(live.id, fan.user.id)) === undefined || undefined);
    assert.ok(row);
    const afterClose = await fetch(`${live.audioPlaylistUrl.replace(/index\.m3u8$/, '')}${watched.lastSeq}.ts`, { headers: fanHeaders() });
    assert.equal(afterClose.status, 402, 'closed: the next segment needs paying again');

    // Crash between money's close and the row: the next sweep closes it again and moves nothing twice.
    const second = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: fan.token });
    assert.equal(second.status, 201, second.text);
    await money().live.closeWatchStream(second.body.paymentStream.id, Math.floor(Date.now() / 1000));
    const walletAfterFirstClose = await balance(fan.user.id);
    const artistAfterFirstClose = await balance(a.user.id);
    assert.ok(await liveService(node.ctx).store.openWatchStream(live.id, fan.user.id), 'the row still says open, as after a crash');
    await liveService(node.ctx).access.sweep();
    await waitFor('the half-closed watch stream is closed by a sweep', async () => (await liveService(node.ctx).store.openWatchStream(live.id, fan.user.id)) === undefined || undefined, 20_000);
    assert.equal(await balance(fan.user.id), walletAfterFirstClose, 'closing again moved nothing');
    assert.equal(await balance(a.user.id), artistAfterFirstClose);

    // A crash after money made the stream and before live recorded it: the sweep undoes it, all returned.
    const crashed = await node.user('listener');
    await money().adminCredit.topUp({ userId: crashed.user.id, amount: 400, idempotencyKey: `paid-live:${crashed.user.id}` });
    const slot = await liveService(node.ctx).store.beginWatchStream({ streamId: live.id, viewerId: crashed.user.id, requestKey: 'live-watch:crash-test', pricePerMinute: 60, watchedUntil: Math.floor(Date.now() / 1000) });
    const orphan = await money().live.openWatchStream(crashed.user, a.user.id, 60, 'live-watch:crash-test');
    assert.ok(slot && (await balance(crashed.user.id)) < 400, 'the first chunk went into escrow');
    const busy = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: crashed.token });
    assert.equal(busy.status, 409, 'the slot is taken while it opens');
    assert.equal(busy.body.code, 'watch_stream_opening');
    await node.ctx.db.query(`UPDATE live_watch_streams SET opened_at = now() - interval '1 minute' WHERE id = '${slot!.id}'`);
    await liveService(node.ctx).access.sweep();
    const undone = (await node.api('GET', `/api/v1/streams/${orphan.id}`, { token: crashed.token })).body;
    assert.deepEqual([undone.stopReason, undone.streamed, await balance(crashed.user.id)], ['closed', 0, 400], 'closed at its start, all of it returned');
    const retry = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: crashed.token });
    assert.equal(retry.status, 201, 'the slot is free again');
    await node.api('DELETE', `/api/v1/live/streams/${live.id}/watch-stream`, { token: crashed.token });

    // A watch stream open when the stream ends is closed with it.
    const third = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: buyer.token });
    assert.equal(third.status, 201, third.text);
    publisher.kill('SIGINT');
    await waitStream(node, a.token, a.channel.name, 'ended', 20_000);
    const ended = await waitFor('closed with the stream', async () => {
      const s = (await node.api('GET', `/api/v1/streams/${third.body.paymentStream.id}`, { token: buyer.token })).body;
      return s.stopReason === 'closed' ? s : undefined;
    }, 20_000);
    assert.equal(ended.withdrawn, ended.streamed);
    const ws = await node.ctx.db.query(`SELECT close_reason FROM live_watch_streams WHERE payment_stream_id = '${third.body.paymentStream.id}'`, { plain: true });
    assert.equal((ws as any).close_reason, 'stream_ended');
    const lateOpen = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: fan.token });
    assert.equal(lateOpen.status, 409);

    // The books: the artist got the minute (less the node's cut) and every second streamed; all sums to zero.
    const cut = paid.body.purchase.nodeCut;
    const streamedTotal = (await node.ctx.db.query(`SELECT coalesce(sum(final_streamed), 0)::int AS n FROM money_streams WHERE recipient_id = '${a.user.id}'`, { plain: true }) as any).n;
    assert.equal(await balance(a.user.id), artistBefore + 60 - cut + streamedTotal);
    await assertBooksBalanced(node);
    const escrow = await money().streams.escrowIdentity();
    assert.equal(escrow.escrow, escrow.outstanding);
  } finally {
    publisher.kill('SIGKILL');
  }
});

test('subscribers pay like anyone unless the artist sets a discount; all of it off: they watch free', { timeout: 120_000 }, async () => {
  const a = await liveArtist(node);
  await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { pricePerMinute: 100, freeMinutes: 0 } });
  const sub = await node.user('listener');
  await money().adminCredit.topUp({ userId: sub.user.id, amount: 2000, idempotencyKey: `paid-live-sub:${sub.user.id}` });
  await money().subscriptions.subscribe(sub.user.id, new Date());

  let publisher = push(rtmpUrl(node, a.key), { seconds: 30 });
  try {
    const live = await waitStream(node, a.token, a.channel.name, 'live');
    const access = (await node.api('GET', `/api/v1/live/streams/${live.id}/access`, { token: sub.token })).body;
    assert.deepEqual([access.free, access.yourPricePerMinute, access.freeSecondsLeft], [false, 100, 0]);
    const first = await play(live.audioPlaylistUrl, () => ({ authorization: `Bearer ${sub.token}` }), refused);
    assert.equal(first.served.length, 0);
    assert.equal((await first.last.json()).code, 'payment_required');
  } finally {
    publisher.kill('SIGINT');
    await publisher.exited;
  }
  await waitStream(node, a.token, a.channel.name, 'ended', 20_000);

  // Half off: the subscriber's offer is at half price, and only they may pay it.
  await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { subscriberDiscountPercent: 50 } });
  publisher = push(rtmpUrl(node, a.key), { seconds: 30 });
  try {
    const live = await waitStream(node, a.token, a.channel.name, (v) => v.state === 'live' && v.price.subscriberDiscountPercent === 50);
    const offer = await node.api('POST', `/api/v1/live/streams/${live.id}/offers`, { token: sub.token, body: { rendition: 'audio', fromSeq: 0 } });
    assert.equal(offer.body.amount, 50, offer.text);
    const other = await node.user('listener');
    await money().adminCredit.topUp({ userId: other.user.id, amount: 500, idempotencyKey: `paid-live-other:${other.user.id}` });
    const stolen = await node.api('POST', '/api/v1/metered/pay', { token: other.token, body: { invoice: offer.body.invoice } });
    assert.equal(stolen.status, 403);
    assert.equal(stolen.body.code, 'invoice_not_yours');
    assert.equal(await balance(other.user.id), 500);
    const mine = await node.api('POST', '/api/v1/metered/pay', { token: sub.token, body: { invoice: offer.body.invoice } });
    assert.equal(mine.status, 201, mine.text);
  } finally {
    publisher.kill('SIGINT');
    await publisher.exited;
  }
  await waitStream(node, a.token, a.channel.name, 'ended', 20_000);

  await node.api('PATCH', `/api/v1/channels/${a.channel.name}/live`, { token: a.token, body: { subscriberDiscountPercent: 100 } });
  publisher = push(rtmpUrl(node, a.key), { seconds: 30 });
  try {
    const live = await waitStream(node, a.token, a.channel.name, (v) => v.state === 'live' && v.price.subscriberDiscountPercent === 100);
    let n = 0;
    const played = await play(live.audioPlaylistUrl, () => ({ authorization: `Bearer ${sub.token}` }), (res) => refused(res) || ++n > 3);
    assert.equal(played.served.length, 3, 'a subscriber watches free');
    const watch = await node.api('POST', `/api/v1/live/streams/${live.id}/watch-stream`, { token: sub.token });
    assert.equal(watch.status, 409);
    assert.equal(watch.body.code, 'subscriber_plays_free');
  } finally {
    publisher.kill('SIGINT');
    await publisher.exited;
  }
  await assertBooksBalanced(node);
});
