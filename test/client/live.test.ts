// A live stream in a real browser against a real node with a real RTMP push: the directory
// lists it, hls.js plays the live playlist with video and the audio-only rendition in an audio
// element, the viewer count and tip alerts arrive from the event stream, a tip sent from the
// page lands, and the page says when the stream ends.
// Uses Debian's chromium through playwright-core (no browser download).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { logIn, skipWithoutChromium } from './browser-support.js';
import { liveBrowser } from './live-support.js';
import { liveArtist, push, rtmpUrl, waitStream } from '../live/support.js';
import { accounts, moneyService } from '../../server/money/index.js';
import { listeningService } from '../../server/listening/index.js';
import { waitFor } from '../helpers/wait.js';

const skip = skipWithoutChromium;
const browser = liveBrowser('client-live');

const playing = (p: Page) =>
  p.waitForFunction(() => {
    const m = document.querySelector<HTMLMediaElement>('[data-testid="live-media"]');
    return !!m && m.currentTime > 1 && !m.paused;
  }, null, { timeout: 30_000 });

test('hls.js plays a live stream (video, and the audio-only rendition), shows viewers and tip alerts, and says when it ends', { skip, timeout: 150_000 }, async () => {
  const { node, session, page } = browser;
  const artist = await liveArtist(node);
  await node.api('PATCH', `/api/v1/channels/${artist.channel.name}/live`, { token: artist.token, body: { title: 'Browser session' } });
  const publisher = push(rtmpUrl(node, artist.key), { video: true, seconds: 120 });
  try {
    const live = await waitStream(node, artist.token, artist.channel.name, 'live');

    await page.goto('/live');
    await session.reach(page.getByRole('link', { name: 'Browser session' }));
    await page.getByRole('link', { name: 'Browser session' }).click();
    await page.waitForURL((u) => u.pathname === `/live/${live.id}`);
    await session.reach(page.getByRole('heading', { name: 'Browser session' }));
    await playing(page);
    const size = await page.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('video[data-testid="live-media"]')!;
      return [v.videoWidth, v.videoHeight];
    });
    assert.equal(size[1], 240, 'video frames decoded');
    await page.getByTestId('live-viewers').filter({ hasText: /^[1-9]\d* watching$/ }).waitFor({ timeout: 20_000 });

    await page.getByRole('link', { name: 'Listen only (audio)' }).click();
    await page.waitForURL((u) => u.search === '?listen=1');
    // The URL changes before the page swaps its player: wait for the audio element, then check no video is left.
    await page.locator('audio[data-testid="live-media"]').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('video[data-testid="live-media"]').count(), 0, 'an audio element, no video');
    await playing(page);

    // A tip from the page (signed in) and one from elsewhere both show as alerts.
    const fan = await node.user('listener');
    await moneyService(node.ctx).adminCredit.topUp({ userId: fan.user.id, amount: 1000, idempotencyKey: `client-live:${fan.user.id}` });
    await logIn(page, fan.user.username, fan.password, `/live/${live.id}`);
    await playing(page);
    await page.getByLabel('Amount').fill('1.25');
    await page.getByLabel('Message').fill('lovely tone');
    await page.getByRole('button', { name: 'Send tip' }).click();
    await session.reach(page.getByText('Thank you! Your tip is on its way.'));
    await page.locator('.tip-alert').filter({ hasText: /\$1\.25 .*lovely tone/ }).waitFor({ timeout: 15_000 });
    assert.equal(await moneyService(node.ctx).books.balance(accounts.wallet(fan.user.id).key), 875);

    // The signed-in listener's listening is reported: a play session on the stream, its segments
    // served to it on the stream's timeline, and progress positions inside what was served.
    const played = await waitFor('listening reported for the live stream', async () => {
      await listeningService(node.ctx).segmentLog.flush();
      const [row] = await node.ctx.db.query(
        `SELECT s.id, s.position_seconds, (SELECT count(*) FROM segment_serves v WHERE v.session_id = s.id)::int AS served,
                (SELECT min(start_seconds) FROM segment_serves v WHERE v.session_id = s.id) AS first_start
           FROM listening_sessions s WHERE s.track_id = :id AND s.user_id = :user`,
        { replacements: { id: live.id, user: fan.user.id }, type: 'SELECT' },
      ) as any[];
      return row && row.served >= 2 && Number(row.position_seconds) > 0 ? row : undefined;
    }, 30_000);
    assert.ok(Number(played.position_seconds) >= Number(played.first_start), `the position ${played.position_seconds} is on the stream's timeline (served from ${played.first_start})`);

    publisher.kill('SIGINT');
    await page.getByText(/The stream has ended\. The publisher stopped the stream\./).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('live-state').textContent(), 'Ended');
    assert.deepEqual(session.pageErrors, []);
  } finally {
    publisher.kill('SIGKILL');
  }
});
