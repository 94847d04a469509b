// The embed page in Chromium: a listener signed in to the node plays a track through
// /embed/tracks/:id and the play counts as a web player's does (a play session, its id on every
// segment request, a qualified listen); framed by another site, the page loads and plays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from '../client/browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';

const skip = skipWithoutChromium;
let node: TestNode;
let session: BrowserSession;
let dir: string;
let trackId: string;

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  // A listen qualifies after 4 s here (30 s on a real node), so a short track shows it.
  node = await startTestNode({ name: 'embed-player', overrides: { media: { audioBitratesKbps: [64] }, listening: { qualifySeconds: 4 } } });
  dir = mediaDir('embed-player');
  const artist = await makeArtist(node, 'embed_band');
  const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 7, name: 'embed.mp3', tags: { title: 'Framed Tune' } }));
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  assert.equal((await waitTrack(node, artist.token, trackId)).status, 'ready');
  session = await openBrowser(node.url, ['--autoplay-policy=no-user-gesture-required']);
});

after(async () => {
  await session?.close();
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('a signed-in listener’s play through the embed page counts like a web player’s', { skip, timeout: 90_000 }, async () => {
  const { page } = session;
  const listener = await node.user('listener');
  await logIn(page, listener.user.username, listener.password, `/tracks/${trackId}`);
  const segments: { url: string; session?: string }[] = [];
  page.on('request', (req) => {
    if (/\/static\/streaming\/.+\.(m4s|ts|mp4|aac)/.test(req.url())) segments.push({ url: req.url(), session: req.headers()['x-play-session'] });
  });
  await page.goto(`/embed/tracks/${trackId}`);
  await page.getByRole('link', { name: 'Framed Tune' }).waitFor();
  await page.getByRole('button', { name: 'Play' }).click();
  await page.locator('body[data-ended="true"]').waitFor({ timeout: 30_000 });

  const listens = await waitFor('a qualified listen', async () => {
    const rows = (await node.ctx.db.query(`SELECT l.status, l.qualified_seconds FROM listens l WHERE l.user_id = :user AND l.track_id = :track`, {
      replacements: { user: listener.user.id, track: trackId },
      type: 'SELECT',
    })) as { status: string; qualified_seconds: number }[];
    return rows.length ? rows : undefined;
  }, 15_000);
  assert.equal(listens.length, 1);
  assert.equal(listens[0].status, 'counted');
  assert.ok(listens[0].qualified_seconds >= 4, `${listens[0].qualified_seconds} s qualified`);
  assert.ok(segments.length > 0 && segments.every((s) => s.session), 'every segment request carries X-Play-Session');
  assert.deepEqual(session.pageErrors, []);
});

test('another site frames the embed page and it plays there', { skip, timeout: 60_000 }, async () => {
  const { browser } = session;
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  // A blog on another origin (another port) that frames the track.
  const blog = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>A blog</title><h1>My favourite tune</h1><iframe src="${node.url}/embed/tracks/${trackId}" width="560" height="152"></iframe>`);
  });
  await new Promise<void>((resolve) => blog.listen(0, '127.0.0.1', resolve));
  try {
    await page.goto(`http://127.0.0.1:${(blog.address() as AddressInfo).port}/post`);
    const frame = page.frameLocator('iframe');
    await frame.getByRole('link', { name: 'Framed Tune' }).waitFor();
    await frame.getByRole('button', { name: 'Play' }).click();
    const embed = page.frames().find((f) => f.url().includes('/embed/tracks/'))!;
    await waitFor('the framed player to play', async () => ((await embed.evaluate(() => document.querySelector('audio')!.currentTime)) > 1 ? true : undefined), 20_000);
    assert.deepEqual(errors.filter((e) => /Content Security Policy|frame/i.test(e)), [], 'no framing or CSP refusal');
  } finally {
    await page.close();
    blog.closeAllConnections();
    blog.close();
  }
});
