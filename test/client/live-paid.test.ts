// A priced live stream in a real browser against a real node with a real RTMP push: the artist
// sets the price on the Go live page (a refused value shows the node's reason), a signed-in
// listener sees the price and their free time left, hls.js (sending their token) plays the free
// seconds, the node's 402 stops playback with a panel, paying as you watch opens a watch stream
// and playback resumes with new segments, stopping closes it (paid for what was watched, the
// books balanced); a visitor who is not signed in is asked to sign in after the free seconds.
// Uses Debian's chromium through playwright-core (no browser download).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { logIn, skipWithoutChromium } from './browser-support.js';
import { liveBrowser, playsPast } from './live-support.js';
import { liveArtist, push, rtmpUrl, waitStream } from '../live/support.js';
import { accounts, moneyService } from '../../server/money/index.js';
import { waitFor } from '../helpers/wait.js';
import { assertBooksBalanced } from '../money/helpers.js';

const skip = skipWithoutChromium;
const browser = liveBrowser('client-live-paid');

const media = (p: Page) =>
  p.evaluate(() => {
    const m = document.querySelector<HTMLMediaElement>('[data-testid="live-media"]')!;
    return { currentTime: m.currentTime, paused: m.paused, bufferedEnd: m.buffered.length ? m.buffered.end(m.buffered.length - 1) : 0 };
  });


test('a priced live stream: the price set on Go live, free seconds, the 402 panel, pay as you watch resumes playback, stop paying closes the watch stream; anonymous visitors are asked to sign in', { skip, timeout: 150_000 }, async () => {
  const { node, session, page } = browser;
  const artist = await liveArtist(node);

  // The artist prices the next streams on the Go live page.
  await logIn(page, artist.user.username, artist.password, '/live/setup');
  await session.reach(page.getByRole('heading', { name: 'Price' }));
  await page.getByTestId('live-price-now').filter({ hasText: 'Now: Free to watch.' }).waitFor();
  await page.getByLabel('Price per minute (USD)').fill('20000.00');
  await page.getByRole('button', { name: 'Save price' }).click();
  // The node's own reason (problem+json detail) for a price over its limit.
  await page.getByRole('alert').filter({ hasText: /Could not save the price: .*pricePerMinute/ }).waitFor();
  // The refused PATCH is the console's one error so far.
  assert.deepEqual(session.pageErrors.splice(0), ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  await page.getByLabel('Free minutes per viewer').fill('0.125');
  await page.getByLabel('Price per minute (USD)').fill('0.60');
  await page.getByRole('button', { name: 'Save price' }).click();
  await page.getByRole('alert').filter({ hasText: 'Free minutes are a number from 0 to 120 with at most two decimals' }).waitFor();
  await page.getByLabel('Free minutes per viewer').fill('0.1');
  await page.getByRole('button', { name: 'Save price' }).click();
  await page.getByRole('status').filter({ hasText: 'Price saved.' }).waitFor();
  await page.getByTestId('live-price-now').filter({ hasText: 'Now: $0.60 per minute after 6 free seconds.' }).waitFor();
  await session.shot('live-paid-setup');
  const settings = await node.api('GET', `/api/v1/channels/${artist.channel.name}/live`, { token: artist.token });
  assert.deepEqual(settings.body.price, { pricePerMinute: 60, freeMinutes: 0.1, subscriberDiscountPercent: 0, currency: 'USD' });
  await page.reload();
  assert.equal(await page.getByLabel('Price per minute (USD)').inputValue(), '0.60', 'the form shows the saved price');
  assert.equal(await page.getByLabel('Free minutes per viewer').inputValue(), '0.1');
  await node.api('PATCH', `/api/v1/channels/${artist.channel.name}/live`, { token: artist.token, body: { title: 'Paid browser set' } });

  const publisher = push(rtmpUrl(node, artist.key), { video: true, seconds: 90 });
  try {
    const live = await waitStream(node, artist.token, artist.channel.name, 'live');
    assert.equal(live.price.pricePerMinute, 60);

    // A listener with money in their wallet: the price, their free time, then the free seconds play.
    const fan = await node.user('listener');
    await moneyService(node.ctx).adminCredit.topUp({ userId: fan.user.id, amount: 1000, idempotencyKey: `client-live-paid:${fan.user.id}` });
    await logIn(page, fan.user.username, fan.password, `/live/${live.id}`);
    await session.reach(page.getByRole('heading', { name: 'Paid browser set' }));
    assert.equal(await page.getByTestId('live-price').textContent(), '$0.60 per minute after 6 free seconds');
    await page.getByTestId('live-free-left').filter({ hasText: /^Free minutes left: 0:0\d$/ }).waitFor();
    await playsPast(page, 1);

    // After the free seconds the node answers 402: loading stops and the panel offers to pay.
    const pay = page.getByRole('button', { name: 'Pay as you watch ($0.60/min, charged per second)' });
    await pay.waitFor({ timeout: 30_000 });
    const panel = page.getByRole('alert').filter({ has: pay });
    assert.match((await panel.textContent()) ?? '', /The 6 seconds free of this stream are used\./);
    assert.equal(await panel.getByRole('link', { name: 'Top up your wallet' }).getAttribute('href'), '/me');
    await page.getByTestId('live-free-left').filter({ hasText: 'Free minutes left: 0:00' }).waitFor({ timeout: 10_000 });
    const before = await media(page);
    await session.shot('live-paid-402');

    // Pay as you watch: a watch stream opens and playback goes on past what was loaded for free.
    await pay.click();
    await page.getByTestId('live-paying').filter({ hasText: /^Paying as you watch: \$0\.60\/min — \$\d+\.\d\d so far$/ }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'the panel is gone');
    await playsPast(page, before.bufferedEnd + 3);
    await page.getByTestId('live-paying').filter({ hasText: /— \$0\.0[1-9] so far|— \$0\.[1-9]\d so far/ }).waitFor({ timeout: 15_000 });
    const access = await node.api('GET', `/api/v1/live/streams/${live.id}/access`, { token: fan.token });
    assert.equal(access.status, 200, access.text);
    const watchId: string = access.body.watchStream.id;
    assert.equal(access.body.watchStream.status, 'streaming');
    await session.shot('live-paid-paying');

    // Stop paying: the watch stream closes at once; the next segment is refused again.
    await page.getByRole('button', { name: 'Stop paying' }).click();
    await page.getByRole('status').filter({ hasText: /You stopped paying \(\$\d+\.\d\d paid for what you watched\)\. Playback stops after what is already loaded\./ }).waitFor();
    const closed = await node.api('GET', `/api/v1/streams/${watchId}`, { token: fan.token });
    assert.equal(closed.status, 200, closed.text);
    assert.equal(closed.body.stopReason, 'closed');
    assert.ok(closed.body.streamed > 0, `streamed ${closed.body.streamed}`);
    assert.ok(closed.body.stoppedAt);
    await pay.waitFor({ timeout: 30_000 });
    await waitFor('the wallet holds what was not watched', async () => (await moneyService(node.ctx).books.balance(accounts.wallet(fan.user.id).key)) === 1000 - closed.body.streamed || undefined, 10_000, 200);
    await assertBooksBalanced(node);

    // Not signed in: the same free seconds (counted for the network), then a sign-in link.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.goto(`/live/${live.id}`);
    await page.getByTestId('live-free-left').filter({ hasText: /^Free minutes left: 0:0\d$/ }).waitFor();
    const signIn = page.getByRole('link', { name: 'Sign in to keep watching' });
    await signIn.waitFor({ timeout: 30_000 });
    assert.equal(await signIn.getAttribute('href'), `/login?next=${encodeURIComponent(`/live/${live.id}`)}`);
    assert.match((await page.getByRole('alert').textContent()) ?? '', /The 6 seconds free of this stream are used\./);
    assert.equal(await page.getByRole('button', { name: /Pay as you watch/ }).count(), 0);
    await session.shot('live-paid-anonymous');

    // 402s show up as console errors of the failed loads: nothing else went wrong.
    assert.deepEqual(session.pageErrors.filter((e) => !/status of 402/.test(e)), []);
  } finally {
    publisher.kill('SIGKILL');
  }
});
