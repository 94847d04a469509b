// The persistent player in a real browser against a real node: a track played from its page
// keeps playing in the dock while the listener moves to other pages (client-side navigation, no
// reload); a second track added to the queue starts when the first ends (after a seek near its
// end on the dock's position slider); the Media Session shows the track playing; each track got a
// play session of its own with its segments served under it; keyboard shortcuts and the help
// dialog; a reload restores the queue paused; the dock fits a 360 px wide screen.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from './browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { listeningService } from '../../server/listening/index.js';

const skip = skipWithoutChromium;
let node: TestNode;
let session: BrowserSession;
let page: Page;
let dir: string;
const tracks: Record<'first' | 'second', { id: string; title: string }> = { first: { id: '', title: 'First Light' }, second: { id: '', title: 'Second Wind' } };

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  node = await startTestNode({ name: 'client-player', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('client-player');
  const artist = await makeArtist(node, 'queue_band');
  for (const [key, seconds, frequency] of [['first', 14, 440], ['second', 8, 660]] as const) {
    const file = await makeAudio(dir, { seconds, frequency, name: `${key}.mp3`, tags: { title: tracks[key].title } });
    const up = await upload(node, artist.token, artist.channel.id, file);
    assert.equal(up.status, 200, up.text);
    tracks[key].id = up.body.trackId;
  }
  for (const t of Object.values(tracks)) assert.equal((await waitTrack(node, artist.token, t.id)).status, 'ready');
  session = await openBrowser(node.url, ['--autoplay-policy=no-user-gesture-required']);
  page = session.page;
});

after(async () => {
  await session?.close();
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const mediaTime = () => page.evaluate(() => document.querySelector<HTMLMediaElement>('#player-media')?.currentTime ?? -1);
const sessionTitle = () => page.evaluate(() => navigator.mediaSession.metadata?.title ?? null);
/** Client-side navigation as the router does it for a link (history, then render): no reload. */
const goInApp = (path: string) => page.evaluate((p) => {
  history.pushState(null, '', p);
  dispatchEvent(new PopStateEvent('popstate'));
}, path);

test('the dock plays on across pages, moves on to the queued track, and each play has its own play session', { skip, timeout: 90_000 }, async () => {
  const listener = await node.user('listener');
  await logIn(page, listener.user.username, listener.password, `/tracks/${tracks.first.id}`);
  const segments: { url: string; session?: string }[] = [];
  page.on('request', (req) => {
    if (req.url().endsWith('.m4s')) segments.push({ url: req.url(), session: req.headers()['x-play-session'] });
  });

  // Play from the track page: the dock appears and plays it.
  await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
  const dock = page.getByRole('region', { name: 'Player', exact: true });
  await dock.getByRole('button', { name: 'Pause', exact: true }).waitFor();
  await page.waitForFunction(() => (document.querySelector<HTMLMediaElement>('#player-media')?.currentTime ?? 0) > 0.3);
  assert.equal(await dock.getByRole('link', { name: tracks.first.title }).getAttribute('href'), `/tracks/${tracks.first.id}`);
  await page.waitForFunction((t) => navigator.mediaSession.metadata?.title === t, tracks.first.title);

  // Leave the page by a link (the router's client-side navigation): the music goes on.
  await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
  await page.getByRole('main').getByRole('link', { name: 'Channel queue_band' }).click();
  await page.waitForURL((u) => u.pathname === '/channels/queue_band');
  const left = await mediaTime();
  await page.waitForFunction((t) => document.querySelector<HTMLMediaElement>('#player-media')!.currentTime > t + 1, left);
  assert.equal(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere), true, 'no reload');
  assert.equal(await page.evaluate(() => document.querySelector<HTMLMediaElement>('#player-media')!.paused), false);

  // On the second track's page: add it to the queue.
  await goInApp(`/tracks/${tracks.second.id}`);
  await page.getByRole('heading', { name: tracks.second.title }).waitFor();
  await page.getByRole('main').getByRole('button', { name: 'Add to queue' }).click();
  await dock.getByRole('button', { name: 'Queue (2 tracks)' }).click();
  const queue = dock.getByRole('list', { name: 'Tracks in the queue' });
  assert.deepEqual((await queue.locator('strong').allTextContents()), [tracks.first.title, tracks.second.title]);
  // Reorder by keyboard-usable buttons and back: focus stays on the moved track's button.
  await queue.getByRole('button', { name: `Move ${tracks.second.title} up` }).click();
  assert.deepEqual((await queue.locator('strong').allTextContents()), [tracks.second.title, tracks.first.title]);
  await page.waitForFunction((t) => document.activeElement?.getAttribute('aria-label') === `Move ${t} down`, tracks.second.title);
  await queue.getByRole('button', { name: `Move ${tracks.second.title} down` }).click();
  assert.deepEqual((await queue.locator('strong').allTextContents()), [tracks.first.title, tracks.second.title]);
  await session.shot('player-queue');

  // Seek near the end of the first on the dock's slider: the second starts by itself.
  await dock.getByRole('slider', { name: 'Playback position' }).fill('12');
  await page.waitForFunction((t) => navigator.mediaSession.metadata?.title === t, tracks.second.title, { timeout: 20_000 });
  await page.waitForFunction(() => (document.querySelector<HTMLMediaElement>('#player-media')?.currentTime ?? 0) > 0.5 && !document.querySelector<HTMLMediaElement>('#player-media')!.paused, null, { timeout: 20_000 });
  assert.equal(await dock.getByRole('link', { name: tracks.second.title }).count(), 1);
  assert.equal(await sessionTitle(), tracks.second.title);
  // The second track's page, open all along, is now bound to the dock: its button pauses.
  await page.getByRole('main').getByRole('button', { name: 'Pause', exact: true }).waitFor();

  // Keyboard shortcuts: K pauses (focus on the page, not in a field), ? lists them.
  await page.locator('body').focus();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('k');
  await page.waitForFunction(() => document.querySelector<HTMLMediaElement>('#player-media')!.paused);
  await page.keyboard.press('Shift+?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await help.waitFor();
  assert.ok((await help.textContent())?.includes('Forward 10 seconds'));
  await help.getByRole('button', { name: 'Close' }).click();
  await help.waitFor({ state: 'hidden' });

  // One play session per track, each with its segments served under it.
  const rows = await waitFor('both play sessions with their segments', async () => {
    await listeningService(node.ctx).segmentLog.flush();
    const found = (await node.ctx.db.query(
      `SELECT s.track_id, (SELECT count(*) FROM segment_serves v WHERE v.session_id = s.id)::int AS served
         FROM listening_sessions s WHERE s.user_id = :user ORDER BY s.started_at`,
      { replacements: { user: listener.user.id }, type: 'SELECT' },
    )) as { track_id: string; served: number }[];
    return found.length >= 2 && found.every((r) => r.served > 0) ? found : undefined;
  }, 15_000);
  assert.deepEqual(rows.map((r) => r.track_id), [tracks.first.id, tracks.second.id], 'one play session per track played');
  for (const t of Object.values(tracks)) {
    const own = segments.filter((s) => s.url.includes(t.id));
    assert.ok(own.length > 0 && own.every((s) => s.session), `every segment of ${t.title} carries X-Play-Session`);
    assert.equal(new Set(own.map((s) => s.session)).size, 1, `${t.title}: one play session`);
  }

  // A reload finds the queue again, paused where it was.
  const at = await mediaTime();
  await page.reload();
  await dock.getByRole('link', { name: tracks.second.title }).waitFor();
  await dock.getByRole('button', { name: 'Play', exact: true }).waitFor();
  const restored = Number(await dock.getByRole('slider', { name: 'Playback position' }).inputValue());
  assert.ok(Math.abs(restored - at) <= 1.5, `restored at ${restored} s (was ${at} s)`);
  assert.equal(await dock.getByRole('button', { name: 'Queue (2 tracks)' }).count(), 1);

  // At 360 px wide the dock fits, nothing scrolls sideways.
  await page.setViewportSize({ width: 360, height: 740 });
  const width = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, dock: document.querySelector('.dock')!.getBoundingClientRect().width }));
  assert.ok(width.doc <= 360 && width.dock <= 360, `fits in 360 px: ${JSON.stringify(width)}`);
  await session.shot('player-360');
  assert.deepEqual(session.pageErrors, []);
});
