// A pre-funded watch link in a real browser against a real node with a real RTMP push: the artist
// makes the link on the Go live page (its URL and QR code); signed in, the link page lets them
// choose; a visitor who is not signed in opens it before the channel is live (a guest account at
// once, no sign-up; the page waits) and lands on the stream when it starts, keeps watching past
// the free seconds without a click (a watch stream on the link's credit), claims the account in
// the banner (the credit left moves to their wallet), and the books balance. The used link says so.
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
const browser = liveBrowser('client-watch-link');


/** The session the page keeps (as the client stores it). */
const stored = (p: Page) => p.evaluate(() => JSON.parse(localStorage.getItem('9ten.session') ?? 'null') as { accessToken: string; user: { id: string; username: string; guest: boolean } } | null);

test('a watch link: made on Go live with its QR code, opened signed out it plays as a guest past the free seconds without a click, the guest claims the account and keeps the credit left', { skip, timeout: 150_000 }, async () => {
  const { node, session, page } = browser;
  const money = moneyService(node.ctx);
  const balance = (userId: string) => money.books.balance(accounts.wallet(userId).key);
  const artist = await liveArtist(node);
  await money.adminCredit.topUp({ userId: artist.user.id, amount: 2000, idempotencyKey: `client-watch-link:${artist.user.id}` });
  await node.api('PATCH', `/api/v1/channels/${artist.channel.name}/live`, { token: artist.token, body: { pricePerMinute: 60, freeMinutes: 0.1, title: 'Link night' } });

  // The artist makes a $5.00 link on the Go live page: its URL and QR code, and the list.
  await logIn(page, artist.user.username, artist.password, '/live/setup');
  await session.reach(page.getByRole('heading', { name: 'Watch links' }));
  await page.getByText('No watch links yet.').waitFor();
  await page.getByLabel('Credit (USD)').fill('5.00');
  await page.getByLabel('Message (optional)').fill('on me');
  await page.getByRole('button', { name: 'Make a watch link' }).click();
  await page.getByRole('status').filter({ hasText: 'Watch link for $5.00 made.' }).waitFor();
  const url = await page.getByLabel('Watch link', { exact: true }).inputValue();
  assert.match(url, /\/watch\/[A-Za-z0-9_-]{16}$/);
  const code = url.slice(-16);
  const qr = page.getByRole('img', { name: 'QR code for the watch link' });
  assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/png;base64,/);
  await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('img[alt="QR code for the watch link"]')?.naturalWidth ?? 0) > 0);
  await page.getByRole('cell', { name: 'Not opened yet' }).waitFor();
  assert.equal(await page.getByRole('cell', { name: '$5.00 of $5.00' }).count(), 1);
  assert.equal(await balance(artist.user.id), 1500, 'the credit left the wallet');
  await session.shot('watch-link-made');

  // Someone signed in is not switched to a guest behind their back: they choose.
  await page.goto(new URL(url).pathname);
  await session.reach(page.getByRole('button', { name: 'Start watching as a guest' }));
  await page.getByText(`You are signed in as ${artist.user.username}.`).waitFor();
  assert.match((await page.getByTestId('watch-link-credit').textContent()) ?? '', /^\$5\.00$/);
  await page.getByText('on me').waitFor();
  assert.equal((await node.api('GET', `/api/v1/live/watch-links/${code}`)).body.status, 'open');

  // Signed out, the link opens by itself: a guest account, signed in; the channel is not live yet.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.goto(new URL(url).pathname);
  await page.getByRole('status').filter({ hasText: /^Not live right now — this page will start the stream when .+ goes live\.$/ }).waitFor();
  assert.equal((await stored(page))?.user.guest, true);
  assert.equal((await node.api('GET', `/api/v1/live/watch-links/${code}`)).body.status, 'opened');

  const publisher = push(rtmpUrl(node, artist.key), { video: true, seconds: 90 });
  try {
    const live = await waitStream(node, artist.token, artist.channel.name, 'live');
    // The waiting page asks again every 10 seconds: it starts the stream once the channel is live.
    await page.waitForURL((u) => u.pathname === `/live/${live.id}`, { timeout: 30_000 });
    await session.reach(page.getByRole('heading', { name: 'Link night' }));
    const guest = (await stored(page))!;
    assert.equal(guest.user.guest, true);
    await page.getByRole('heading', { name: 'Keep your account' }).waitFor();
    await playsPast(page, 1);
    const start = await page.evaluate(() => {
      const m = document.querySelector<HTMLMediaElement>('[data-testid="live-media"]')!;
      return m.buffered.length ? m.buffered.start(0) : 0;
    });

    // After the free seconds the watch stream starts on the link's credit: no panel, no click.
    await page.getByTestId('live-paying').filter({ hasText: /^Watching on the link's credit: \$\d+\.\d\d left \(\$0\.60\/min, \$\d+\.\d\d so far\)$/ }).waitFor({ timeout: 30_000 });
    // The free part is 6 seconds (a segment more at most), joined a few segments behind the edge.
    await playsPast(page, start + 6 + 3 * live.segmentSeconds + 3);
    assert.equal(await page.getByRole('button', { name: /Keep watching on the link's credit|Pay as you watch/ }).count(), 0, 'nothing to press');
    const access = await node.api('GET', `/api/v1/live/streams/${live.id}/access`, { token: guest.accessToken });
    assert.equal(access.status, 200, access.text);
    assert.equal(access.body.watchStream.status, 'streaming');
    const [row] = (await node.ctx.db.query('SELECT count(*)::int AS n FROM live_watch_streams WHERE viewer_id = :id AND stream_id = :stream', {
      replacements: { id: guest.user.id, stream: live.id },
      type: 'SELECT',
    })) as { n: number }[];
    assert.ok(row.n >= 1, 'a watch stream of the guest');
    assert.equal(await balance(guest.user.id), 0, 'the guest wallet pays nothing');
    const info = (await node.api('GET', `/api/v1/live/watch-links/${code}`)).body;
    assert.deepEqual([info.status, info.liveStreamId], ['opened', live.id]);
    await page.getByTestId('live-paying').filter({ hasText: /so far\)$/ }).filter({ hasNotText: '$0.00 so far' }).waitFor({ timeout: 15_000 });
    await session.shot('watch-link-guest');

    // The guest keeps the account: the banner's form; the credit left moves to the wallet.
    const name = `fan_${Date.now().toString(36)}`;
    const claim = page.getByRole('form', { name: 'Claim your account' });
    await claim.getByLabel('Username').fill(name);
    await claim.getByLabel('Password').fill('a long secret 1');
    await claim.getByRole('button', { name: 'Claim my account' }).click();
    await page.getByRole('status').filter({ hasText: `Your account is yours: sign in as ${name} from now on.` }).waitFor();
    const me = await node.api('GET', '/api/v1/users/me', { token: guest.accessToken });
    assert.deepEqual([me.body.username, me.body.guest], [name, false]);
    assert.equal((await stored(page))!.user.guest, false, 'the stored session knows');
    await page.locator('#nav .who').filter({ hasText: name }).waitFor();
    const sent = await waitFor(
      'the guest watch streams closed',
      async () => {
        const list = (await node.api('GET', '/api/v1/streams?role=sent', { token: guest.accessToken })).body.data as { streamed: number; stoppedAt: string | null }[];
        return list.length && list.every((s) => s.stoppedAt) ? list : undefined;
      },
      10_000,
      200,
    );
    const spent = sent.reduce((a, s) => a + s.streamed, 0);
    assert.ok(spent > 0 && spent < 500, `spent ${spent}`);
    assert.equal(await balance(guest.user.id), 500 - spent, 'the wallet holds the credit left');
    const after = (await node.api('GET', `/api/v1/live/watch-links/${code}`)).body;
    assert.deepEqual([after.status, after.credit], ['claimed', 0]);
    // No longer a guest: the next refused segment asks them to pay from their wallet.
    await page.getByRole('button', { name: 'Pay as you watch ($0.60/min, charged per second)' }).waitFor({ timeout: 30_000 });
    await session.shot('watch-link-claimed');

    // The link is used: signed out, its page says so (and offers to sign in); a wrong code is not found.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.goto(`/watch/${code}`);
    await page.getByRole('status').filter({ hasText: 'This link was opened already' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'sign in' }).getAttribute('href'), `/login?next=${encodeURIComponent(`/watch/${code}`)}`);
    await page.goto('/watch/AAAAAAAAAAAAAAAA');
    await page.getByRole('heading', { name: 'Watch link not found' }).waitFor();

    // 402s show up as console errors of the refused loads: nothing else went wrong.
    assert.deepEqual(session.pageErrors.filter((e) => !/status of 402/.test(e)), []);
  } finally {
    publisher.kill('SIGKILL');
  }
  await assertBooksBalanced(node);
});
