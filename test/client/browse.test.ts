// Browsing, search and playlists in a real browser against a real node: tracks uploaded with tags
// (title, artist, album, track number, genre, cover) are found from the header's search box by a
// misspelt title and by their album; axe-core (injected into the page) finds no serious or
// critical violation on the home, search, artist, album, track and playlist pages; a playlist is
// made from a track's "More" menu and reordered by keyboard (Move down) and by dragging; the
// album's Play all starts the player. Screenshots at 1280 px and 360 px are written to
// test-results/screenshots/ (ignored by git) for review, and at 360 px nothing scrolls sideways
// and every button is at least 44 px. Uses Debian's chromium through playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations, ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from './browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { projectRoot } from '../../server/config/index.js';

const skip = skipWithoutChromium;
const shots = path.join(projectRoot, 'test-results/screenshots');

let node: TestNode;
let dir: string;
let session: BrowserSession;
let page: Page;
let artist: Awaited<ReturnType<typeof makeArtist>>;
const ids: Record<string, string> = {};
let playlistId: string;
let fan: { user: { username: string }; token: string; password: string };

const album = 'Loopback Sessions';
const tracks = [
  { key: 'opening', tags: { title: 'Opening', artist: 'Sine Band', album, trackNumber: 1, genre: 'Ambient' } },
  { key: 'crossing', tags: { title: 'Crossing the Wires', artist: 'Sine Band', album, trackNumber: 2, genre: 'Ambient' } },
  { key: 'closing', tags: { title: 'Closing Time', artist: 'Sine Band', album, trackNumber: 3, genre: 'Ambient' } },
];

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  // The folder keeps itself out of git.
  writeFileSync(path.join(projectRoot, 'test-results/.gitignore'), '*\n');
  const built = ensureClientBuilt();
  node = await startTestNode({ name: 'client-browse', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('browse');
  artist = await makeArtist(node, 'sine_band');
  await Promise.all(
    tracks.map(async (t, i) => {
      const file = await makeAudio(dir, { seconds: 2, frequency: 330 + 110 * i, tags: t.tags, name: `${t.key}.mp3`, format: 'mp3', cover: true });
      const up = await upload(node, artist.token, artist.channel.id, file);
      assert.equal(up.status, 200, up.text);
      ids[t.key] = up.body.trackId;
      assert.equal((await waitTrack(node, artist.token, up.body.trackId)).status, 'ready');
    }),
  );
  const p = await node.api('POST', '/api/v1/playlists', { token: artist.token, body: { title: 'Late Night Wires', visibility: 'public' } });
  assert.equal(p.status, 201, p.text);
  playlistId = p.body.id;
  const set = await node.api('PATCH', `/api/v1/playlists/${playlistId}`, { token: artist.token, body: { trackIds: [ids.opening, ids.crossing, ids.closing] } });
  assert.equal(set.status, 200, set.text);
  await built;
  session = await openBrowser(node.url);
  ({ page } = session);
});

after(async () => {
  await session?.close();
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

/** Both widths, full page: test-results/screenshots/<name>-1280.png and -360.png. */
async function screenshots(name: string, ready: () => Promise<void>): Promise<void> {
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: width === 360 ? 740 : 860 });
    await ready();
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 860 });
}

const pages = () => [
  { name: 'home', path: '/', ready: page.getByRole('region', { name: 'New releases' }).getByRole('link', { name: 'Closing Time' }) },
  { name: 'search', path: '/search?q=crosing%20wires', ready: page.getByRole('region', { name: 'Tracks' }).getByRole('link', { name: 'Crossing the Wires' }) },
  { name: 'artist', path: '/channels/sine_band', ready: page.getByRole('region', { name: 'Albums' }).getByRole('link', { name: new RegExp(album) }) },
  { name: 'album', path: `/channels/sine_band/albums/${encodeURIComponent(album)}`, ready: page.getByRole('list', { name: `Tracks of ${album}` }).getByRole('link', { name: 'Closing Time' }) },
  { name: 'track', path: `/tracks/${ids.crossing}`, ready: page.getByRole('heading', { name: 'Crossing the Wires' }) },
  { name: 'playlist', path: `/playlists/${playlistId}`, ready: page.getByRole('list', { name: 'Tracks of Late Night Wires' }).getByRole('link', { name: 'Opening' }) },
];

test('search finds a track by a misspelt title and by its album, from the header', { skip, timeout: 90_000 }, async () => {
  await logIn(page, artist.user.username, artist.password, '/');
  const box = page.getByRole('search', { name: 'Site' }).getByRole('searchbox');
  await box.fill('crosing wires');
  await box.press('Enter');
  await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === 'crosing wires');
  const found = page.getByRole('region', { name: 'Tracks' });
  await session.reach(found.getByRole('link', { name: 'Crossing the Wires' }));
  assert.equal(await found.getByRole('listitem').first().getByRole('link').first().textContent(), 'Crossing the Wires', 'the best match first');

  await box.fill('loopback sesions');
  await box.press('Enter');
  const albums = page.getByRole('region', { name: 'Albums' });
  await session.reach(albums.getByRole('link', { name: new RegExp(album) }));
  const titles = await page.getByRole('region', { name: 'Tracks' }).locator('.track-title').allTextContents();
  assert.deepEqual(titles.sort(), ['Closing Time', 'Crossing the Wires', 'Opening']);
  // The album opens from the result, in track-number order, with its cover.
  await albums.getByRole('link', { name: new RegExp(album) }).click();
  const list = page.getByRole('list', { name: `Tracks of ${album}` });
  await session.reach(list);
  assert.deepEqual(await list.locator('.track-title').allTextContents(), ['Opening', 'Crossing the Wires', 'Closing Time']);
  await page.waitForFunction(() => ((document.querySelector('.album-header img.cover') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
  // Play all queues the album and the player starts on its first track.
  await page.getByRole('button', { name: 'Play all' }).click();
  await page.getByRole('status').filter({ hasText: 'Playing 3 tracks.' }).waitFor();
  assert.deepEqual(session.pageErrors, []);
});

test('axe finds no serious or critical violation on home, search, artist, album, track and playlist pages; screenshots at 1280 and 360 px', { skip, timeout: 90_000 }, async () => {
  // A listener sees the pages as most people do (the artist's own campaign panel aside).
  fan = await node.user('listener');
  await logIn(page, fan.user.username, fan.password, '/');
  const problems: string[] = [];
  for (const p of pages()) {
    await page.goto(p.path);
    await session.reach(p.ready);
    await page.locator('main [aria-busy="true"], main .loading').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    for (const v of await axeViolations(page)) problems.push(`${p.name}: ${v}`);
    await screenshots(p.name, () => session.reach(p.ready));
    // At 360 px nothing scrolls sideways and every control is big enough to touch.
    await page.setViewportSize({ width: 360, height: 740 });
    const layout = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      small: [...document.querySelectorAll<HTMLElement>('main button, main summary, main a.button, main a.chip, header button, header input')]
        .filter((el) => el.offsetParent !== null)
        .map((el) => ({ el, r: el.getBoundingClientRect() }))
        .filter(({ r }) => r.height < 43.5 || r.width < 43.5)
        .map(({ el, r }) => `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`),
    }));
    assert.ok(layout.overflow <= 0, `${p.name} scrolls sideways at 360 px by ${layout.overflow} px`);
    assert.deepEqual(layout.small, [], `${p.name}: controls under 44 px at 360 px`);
    await page.setViewportSize({ width: 1280, height: 860 });
  }
  assert.deepEqual(problems, []);

  // Installable: the manifest names its icons, and they are there.
  const manifest = await (await page.request.get('/manifest.webmanifest')).json();
  assert.equal(manifest.display, 'standalone');
  assert.equal(manifest.theme_color, '#6d28d9');
  for (const size of ['192x192', '512x512']) {
    const icon = manifest.icons.find((i: { sizes: string }) => i.sizes === size);
    const res = await page.request.get(icon.src);
    assert.equal(res.status(), 200, icon.src);
    assert.equal(res.headers()['content-type'], 'image/png');
  }
  // The phone menu opens and closes from the keyboard.
  await page.setViewportSize({ width: 360, height: 740 });
  const menu = page.getByRole('button', { name: 'Menu' });
  await menu.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Playlists' }).waitFor();
  assert.equal(await menu.getAttribute('aria-expanded'), 'true');
  await page.keyboard.press('Escape');
  assert.equal(await menu.getAttribute('aria-expanded'), 'false');
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('a playlist is made from a track\'s More menu, then reordered by keyboard and by dragging', { skip, timeout: 90_000 }, async () => {
  await page.goto('/genres');
  await page.getByRole('link', { name: /Ambient/ }).click();
  const row = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Closing Time', exact: true }) });
  await session.reach(row);
  await row.locator('summary', { hasText: 'More for Closing Time' }).click();
  await row.getByRole('button', { name: 'Add to playlist…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add “Closing Time” to a playlist' });
  await dialog.getByLabel('New playlist').fill('Keyboard Order');
  await dialog.getByRole('button', { name: 'Create and add' }).click();
  await page.getByRole('status').filter({ hasText: 'Made the playlist Keyboard Order' }).waitFor();
  // Two more from the album, into the same playlist.
  await page.goto(`/channels/sine_band/albums/${encodeURIComponent(album)}`);
  for (const title of ['Opening', 'Crossing the Wires']) {
    const item = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: title, exact: true }) });
    await session.reach(item);
    await item.locator('summary', { hasText: `More for ${title}` }).click();
    await item.getByRole('button', { name: 'Add to playlist…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: /Keyboard Order/ }).click();
    await page.getByRole('status').filter({ hasText: `Added “${title}” to Keyboard Order.` }).waitFor();
  }
  const mine = (await node.api('GET', '/api/v1/me/playlists', { token: fan.token })).body.data.find((p: { title: string }) => p.title === 'Keyboard Order');
  const order = async () => (await node.api('GET', `/api/v1/playlists/${mine.id}`, { token: fan.token })).body.tracks.map((t: { title: string }) => t.title);
  assert.deepEqual(await order(), ['Closing Time', 'Opening', 'Crossing the Wires']);

  await page.goto('/playlists');
  await session.reach(page.getByRole('region', { name: 'Your playlists' }).getByRole('link', { name: 'Keyboard Order' }));
  await page.getByRole('region', { name: 'Your playlists' }).getByRole('link', { name: 'Keyboard Order' }).click();
  const list = page.getByRole('list', { name: 'Tracks of Keyboard Order' });
  await session.reach(list);
  // Keyboard: Move down twice; the focus stays on the moved track's button.
  await page.getByRole('button', { name: 'Move Closing Time down' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Closing Time moved to position 2 of 3.' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Move Closing Time down');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Closing Time moved to position 3 of 3.' }).waitFor();
  assert.deepEqual(await order(), ['Opening', 'Crossing the Wires', 'Closing Time']);
  // Drag: the last track onto the first.
  await list.getByRole('listitem').nth(2).dragTo(list.getByRole('listitem').nth(0));
  await page.getByRole('status').filter({ hasText: 'Closing Time moved to position 1 of 3.' }).waitFor();
  assert.deepEqual(await list.locator('.track-title').allTextContents(), ['Closing Time', 'Opening', 'Crossing the Wires']);
  assert.deepEqual(await order(), ['Closing Time', 'Opening', 'Crossing the Wires']);
  assert.deepEqual(session.pageErrors, []);
});
