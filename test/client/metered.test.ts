// A metered track in a real browser against a real node: hls.js plays it through the budget
// agent, which shows the price before playing, buys each minute as hls.js first asks for it,
// sends the span's L402 credential with its segments, and shows the spending; the wallet ends
// down by exactly the track's cost. With a budget too small for the second minute, or a wallet
// that runs dry, playback stops with a message saying why, and nothing more is paid.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from './browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { accounts, moneyService } from '../../server/money/index.js';

const skip = skipWithoutChromium;
const PRICE = 3; // per minute, 64k only: 70 s cost 3 (the first minute) + 1 (10 s, rounded up)
const TRACK_COST = 4;

let node: TestNode;
let session: BrowserSession;
let page: Page;
let pageErrors: string[];
let dir: string;
let trackId: string;

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  node = await startTestNode({ name: 'client-metered', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('client-metered');
  const artist = await makeArtist(node, 'metered_duo');
  const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 70, name: 'paid.mp3', tags: { title: 'Paid Minute' } }));
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  assert.equal((await waitTrack(node, artist.token, trackId)).status, 'ready');
  const metered = await node.api('PATCH', `/api/v1/tracks/${trackId}`, { token: artist.token, body: { access: { mode: 'metered', pricesPerMinute: { '64k': PRICE } } } });
  assert.equal(metered.status, 200, metered.text);
  session = await openBrowser(node.url, ['--autoplay-policy=no-user-gesture-required']);
  ({ page, pageErrors } = session);
});

after(async () => {
  await session?.close();
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const reach = (target: Locator, timeout?: number) => session.reach(target, timeout);
const wallet = (userId: string) => moneyService(node.ctx).books.balance(accounts.wallet(userId).key);

async function listenerWith(balance: number) {
  const who = await node.user('listener');
  if (balance) await moneyService(node.ctx).adminCredit.topUp({ userId: who.user.id, amount: balance, idempotencyKey: `client-metered:${who.user.id}` });
  return who;
}

/** Opens the track page, sets the budget, presses play and plays at 4x. */
async function playWithBudget(budget: string): Promise<void> {
  await page.goto(`/tracks/${trackId}`);
  await reach(page.getByRole('region', { name: 'Pay as you play' }));
  await page.getByLabel('Budget', { exact: true }).fill(budget);
  await page.getByLabel('Budget period').selectOption('hour');
  await page.getByRole('button', { name: 'Set budget' }).click();
  await reach(page.getByText(/^Budget set: /));
  await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction(() => {
    const m = document.querySelector<HTMLMediaElement>('#player-media');
    return !!m && m.currentTime > 0;
  });
  await page.evaluate(() => {
    document.querySelector<HTMLMediaElement>('#player-media')!.playbackRate = 4;
  });
}

const logOut = async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((u) => u.pathname === '/');
};

test('hls.js plays a metered track to the end through the budget agent; the wallet shows the exact cost', { skip, timeout: 120_000 }, async () => {
  const fan = await listenerWith(500);
  await logIn(page, fan.user.username, fan.password, '/');
  await page.goto(`/tracks/${trackId}`);
  // The price, before playing.
  await reach(page.getByRole('list', { name: 'Prices per minute' }).getByText('64k: $0.03 per minute'));
  assert.match((await page.locator('#metered-cost').textContent()) ?? '', /costs \$0\.04\.$/);
  await playWithBudget('1.00');
  await page.waitForFunction(() => document.querySelector<HTMLMediaElement>('#player-media')?.ended === true, null, { timeout: 60_000 });
  const spent = page.locator('#metered-spent');
  assert.equal(await spent.getAttribute('data-amount'), String(TRACK_COST));
  assert.match((await spent.textContent()) ?? '', /^Spent on this track: \$0\.04 · last hour: \$0\.04 of \$1\.00$/);
  assert.equal(await wallet(fan.user.id), 500 - TRACK_COST, 'the wallet is down by exactly the cost');
  const purchases = await node.api('GET', '/api/v1/metered/purchases', { token: fan.token });
  assert.deepEqual(purchases.body.data.map((p: { amount: number; segments: unknown }) => p.amount).sort(), [1, 3], 'one purchase per minute, each once');
  // The wallet page lists the purchases.
  await page.goto('/me');
  await reach(page.locator('#wallet-balance'));
  assert.equal(Number(await page.locator('#wallet-balance').getAttribute('data-amount')), 500 - TRACK_COST);
  await logOut();
  assert.deepEqual(pageErrors, [], 'no segment went out without its credential (no 402)');
});

test('a budget too small for the next minute, or an empty wallet, stops playback with the reason; nothing more is paid', { skip, timeout: 120_000 }, async () => {
  // The budget covers the first minute (3) and not the second (1 more).
  const thrifty = await listenerWith(500);
  await logIn(page, thrifty.user.username, thrifty.password, '/');
  await playWithBudget('0.03');
  await reach(page.getByText(/^Playback stops at the end of what is paid: the next minute costs \$0\.01 and \$0\.00 of your budget is left/), 60_000);
  // The paid minute plays out, then playback stops.
  await page.waitForFunction(() => document.querySelector<HTMLMediaElement>('#player-media')!.paused, null, { timeout: 60_000 });
  const at = await page.evaluate(() => document.querySelector<HTMLMediaElement>('#player-media')!.currentTime);
  assert.ok(at >= 55 && at < 70, `stopped at the end of the paid minute (${at} s)`);
  assert.equal(await wallet(thrifty.user.id), 500 - PRICE);
  // A higher budget, then play: the rest is bought and plays to the end.
  await page.getByLabel('Budget', { exact: true }).fill('1.00');
  await page.getByRole('button', { name: 'Set budget' }).click();
  await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction(() => document.querySelector<HTMLMediaElement>('#player-media')?.ended === true, null, { timeout: 60_000 });
  assert.equal(await wallet(thrifty.user.id), 500 - TRACK_COST, 'the second minute, once');
  await logOut();

  // A wallet with enough for the first minute only.
  const broke = await listenerWith(PRICE);
  await logIn(page, broke.user.username, broke.password, '/');
  await playWithBudget('5.00');
  await reach(page.getByText('Playback stops at the end of what is paid: your wallet is empty. Top it up to keep listening.'), 60_000);
  await page.waitForFunction(() => document.querySelector<HTMLMediaElement>('#player-media')!.paused, null, { timeout: 60_000 });
  const stoppedAt = await page.evaluate(() => document.querySelector<HTMLMediaElement>('#player-media')!.currentTime);
  assert.ok(stoppedAt >= 55 && stoppedAt < 70, `the paid minute played out (${stoppedAt} s)`);
  assert.equal(await wallet(broke.user.id), 0);
  await logOut();
});

test('an admin (as the track\'s owner) plays it free: the agent stands aside and buys nothing', { skip, timeout: 60_000 }, async () => {
  const admin = await node.user('admin');
  await logIn(page, admin.user.username, admin.password, '/');
  await page.goto(`/tracks/${trackId}`);
  await reach(page.getByText(/plays free for you/));
  await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction(() => (document.querySelector<HTMLMediaElement>('#player-media')?.currentTime ?? 0) > 1);
  const purchases = await node.api('GET', '/api/v1/metered/purchases', { token: admin.token });
  assert.equal(purchases.body.total, 0, 'nothing bought');
  await logOut();
});
