// The web client in a real browser against a real node: sign up as an artist, log in, create a
// channel, upload a generated tone (watching the progress bar), wait until it is ready, edit its
// details, find it in the library, and play it to the end with its waveform drawn; then an
// upload that loses a chunk and is cancelled halfway, resumed from the node's offset, and a
// failed transcode shown with its reason.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { projectRoot } from '../../server/config/index.js';
import { ensureClientBuilt, openBrowser, skipWithoutChromium, type BrowserSession } from './browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, makeCorrupt, makeImage, mediaDir, removeMediaDir } from '../helpers/media.js';
import { normalisationGain, splitGain } from '../../client/src/lib/loudness.js';

const skip = skipWithoutChromium;

let node: TestNode;
let session: BrowserSession;
let browser: BrowserContext;
let page: Page;
let pageErrors: string[];
let media: string;

before(async () => {
  if (skip) return;
  // Built before the node starts: the node serves client/dist only when it exists at start.
  await ensureClientBuilt();
  // Small chunks so the upload takes several PUTs and the bar has steps to show.
  node = await startTestNode({ overrides: { uploads: { chunkBytes: 256 * 1024 } } });
  media = mediaDir('client');
  session = await openBrowser(node.url, ['--autoplay-policy=no-user-gesture-required']);
  ({ browser, page, pageErrors } = session);
});

after(async () => {
  await session?.close();
  await node?.stop();
  if (media) removeMediaDir(media);
});

const reach = (target: Locator, timeout?: number) => session.reach(target, timeout);

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const shot = (name: string) => session.shot(name);

test('artist signs up, uploads a track with a progress bar, and plays it to the end', { skip, timeout: 120_000 }, async (t) => {
  const tone = await makeAudio(media, { format: 'wav', seconds: 6, name: 'morning-tone.wav', tags: { title: 'Morning Tone' } });
  const username = `artist_${Date.now().toString(36)}`;
  const password = 'correct horse battery';

  // Sign up as an artist, then log in.
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Publish my music (artist)').check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/login\?created=1/);
  assert.equal(await page.getByLabel('Username').inputValue(), username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/studio$/);

  // Create the channel (artist profile).
  await page.getByLabel('Display name').fill('Tone Collective');
  assert.equal(await page.getByLabel('Handle').inputValue(), 'tone_collective', 'handle suggested from the display name');
  await page.getByRole('button', { name: 'Create channel' }).click();
  await reach(page.getByRole('link', { name: 'Tone Collective' }));
  await shot('studio');

  // Upload, recording every value the progress bar shows.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).click();
  await page.getByRole('heading', { name: 'Upload a track' }).waitFor();
  await page.evaluate(() => {
    const seen: number[] = ((window as any).__uploadProgress = []);
    new MutationObserver((records) => {
      for (const r of records) if ((r.target as Element).id === 'upload-progress') seen.push(Number((r.target as HTMLProgressElement).value));
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
  });
  await page.getByLabel('Audio or video file').setInputFiles(tone);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  const processing = page.locator('.processing');
  await reach(processing, 30_000);
  const seen: number[] = await page.evaluate(() => (window as any).__uploadProgress);
  assert.equal(seen.at(-1), 100, `the bar ends full (saw ${seen.join(', ')})`);
  assert.ok(seen.some((v) => v > 0 && v < 100), `the bar showed intermediate progress (saw ${seen.join(', ')})`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `the bar never goes back (saw ${seen.join(', ')})`);
  await shot('upload-processing');

  // Processing ends in "ready" (a failure would show its reason here).
  await page.waitForFunction(() => document.querySelector('.processing')?.getAttribute('data-status') !== 'processing', null, { timeout: 60_000 });
  const status = await processing.getAttribute('data-status');
  assert.equal(status, 'ready', `track processing ended ${status}: ${await processing.textContent()}`);
  const trackUrl = await page.getByRole('link', { name: 'Open track page' }).getAttribute('href');
  const trackId = trackUrl!.split('/').pop()!;

  // Edit the metadata after upload.
  await page.getByRole('link', { name: 'Edit details' }).click();
  await page.getByLabel('Title').fill('Morning Tone (edit)');
  await page.getByLabel('Album').fill('Test Signals');
  await page.getByLabel('License').selectOption('cc-by-4.0');
  await page.getByLabel('JPEG, PNG or WebP image').setInputFiles(await makeImage(media, 'cover.png', '320x320'));
  await reach(page.getByText('Cover saved.'));
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL((u) => u.pathname === `/tracks/${trackId}`);
  await reach(page.getByRole('heading', { name: 'Morning Tone (edit)' }));
  const saved = (await node.api('GET', `/api/v1/tracks/${trackId}`)).body;
  assert.equal(saved.title, 'Morning Tone (edit)');
  assert.equal(saved.album, 'Test Signals');
  assert.equal(saved.license, 'cc-by-4.0');
  assert.ok(saved.coverUrl, 'cover stored');
  await page.waitForFunction(() => (document.querySelector('img.cover') as HTMLImageElement | null)?.naturalWidth === 320);

  // The library lists it with title, artist and duration.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
  const row = page.locator(`tr[data-track-id="${trackId}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[0].replace(/video$/, ''), 'Morning Tone (edit)');
  assert.ok(cells[1].length > 0, 'artist shown');
  assert.equal(cells[2], '0:06');
  await shot('library');

  // Open the track page and play it to the end.
  await row.getByRole('link').click();
  await page.waitForURL((u) => u.pathname === `/tracks/${trackId}`);
  const canvas = page.locator('.waveform canvas');
  await page.waitForFunction(() => document.querySelector('.waveform canvas')?.getAttribute('data-drawn') === 'true', null, { timeout: 10_000 });
  const inked = await canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n / (c.width * c.height);
  });
  assert.ok(inked > 0.2, `the waveform covers the canvas (a steady tone), inked ${inked}`);

  // Watch what the player asks of the node: the play session, segments, progress reports.
  const requests: { method: string; path: string; session?: string; body?: any; status?: number }[] = [];
  page.on('requestfinished', async (req) => {
    const url = new URL(req.url());
    const res = await req.response();
    let body: unknown;
    try {
      body = url.pathname.startsWith('/api/') ? (req.postDataJSON() ?? undefined) : undefined;
    } catch {
      body = undefined;
    }
    requests.push({ method: req.method(), path: url.pathname, session: (await req.allHeaders())['x-play-session'], body, status: res?.status() });
  });
  // The track page's own Play button (the dock at the bottom of the page has one too).
  await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).click();
  await page.getByRole('main').getByRole('button', { name: 'Pause', exact: true }).waitFor();
  await page.waitForFunction(() => (document.getElementById('player-media') as HTMLMediaElement | null)?.ended === true, null, { timeout: 30_000 });
  const played = await page.evaluate(() => {
    const m = document.getElementById('player-media') as HTMLMediaElement;
    const c = document.querySelector('.waveform canvas') as HTMLCanvasElement;
    return {
      ended: m.ended,
      currentTime: m.currentTime,
      duration: m.duration,
      volume: m.volume,
      gainDb: Number(m.dataset.gainDb),
      boost: Number(m.dataset.boost),
      playedBars: Number(c.dataset.playedBars),
      seekNow: document.querySelector('.waveform')!.getAttribute('aria-valuenow'),
      button: document.querySelector('.player .play')!.getAttribute('aria-label'),
    };
  });
  const track = (await node.api('GET', `/api/v1/tracks/${trackId}`)).body;
  assert.equal(played.ended, true);
  assert.ok(Math.abs(track.durationSeconds - 6) < 0.2, `duration ${track.durationSeconds}`);
  assert.ok(played.currentTime >= track.durationSeconds - 0.25, `played to ${played.currentTime} of ${track.durationSeconds} s`);
  assert.ok(Math.abs(played.currentTime - played.duration) < 0.05, 'position at the end of the media');
  assert.ok(played.playedBars > 0, 'the waveform shows the played part');
  assert.equal(played.seekNow, String(Math.round(played.duration)));
  assert.equal(played.button, 'Play');
  // Loudness normalisation toward -14 LUFS from the track's measured loudness.
  const norm = normalisationGain(track.loudness);
  assert.equal(played.gainDb, norm.gainDb);
  const split = splitGain(1, norm.linear);
  assert.ok(Math.abs(played.volume - split.elementVolume) < 0.001, `volume ${played.volume} for ${norm.gainDb} dB`);
  assert.ok(Math.abs(played.boost - split.boost) < 0.001, `WebAudio boost ${played.boost} for ${norm.gainDb} dB`);
  t.diagnostic(`loudness ${track.loudness.integratedLufs} LUFS: gain ${norm.gainDb} dB (volume ${played.volume}, boost ${played.boost})`);
  await shot('track-played');

  // Listening: one play session, every segment fetched under it, and a final "ended" report.
  const start = requests.find((r) => r.method === 'POST' && r.path === '/api/v1/plays');
  const segments = requests.filter((r) => r.path.endsWith('.m4s'));
  assert.ok(segments.length >= 2, `segments fetched: ${segments.length}`);
  t.diagnostic(`play session: ${start ? `HTTP ${start.status}` : 'not requested'}; ${segments.length} segments`);
  if (start && start.status !== 404) {
    assert.equal(start.status, 201, 'play session opened');
    assert.deepEqual(start.body, { trackId });
    const sessions = new Set(segments.map((r) => r.session));
    assert.equal(sessions.size, 1, 'every segment under one play session');
    assert.ok([...sessions][0], 'segments carry X-Play-Session');
    await waitFor(() => requests.some((r) => r.path.endsWith('/progress') && r.body?.state === 'ended'), 'an "ended" progress report');
    const ended = requests.find((r) => r.path.endsWith('/progress') && r.body?.state === 'ended')!;
    assert.equal(ended.path, `/api/v1/plays/${[...sessions][0]}/progress`);
    assert.equal(ended.status, 200);
    assert.ok(ended.body.playedSeconds >= track.durationSeconds - 0.5, `played seconds reported: ${ended.body.playedSeconds}`);
    assert.ok(Math.abs(ended.body.positionSeconds - played.currentTime) < 0.01);
  }

  // The waveform is a keyboard seek bar.
  const seekBar = page.getByRole('slider', { name: 'Seek' });
  await seekBar.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => (document.getElementById('player-media') as HTMLMediaElement).currentTime === 5);
  assert.equal(await seekBar.getAttribute('aria-valuenow'), '5');
  assert.match((await seekBar.getAttribute('aria-valuetext')) ?? '', /^0:05 of 0:06$/);

  // A file the node cannot read is refused, and the page says why.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).click();
  await page.getByLabel('Audio or video file').setInputFiles(makeCorrupt(media, 'noise.mp3'));
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  const reason = (await refusal.textContent()) ?? '';
  t.diagnostic(`refusal shown: ${reason}`);
  assert.ok(reason.length > 10 && !/^HTTP \d+$/.test(reason), `a readable reason: ${reason}`);
  await shot('upload-refused');
  pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((e) => !/status of 422/.test(e)));

  assert.deepEqual(pageErrors, [], 'no errors in the page');
  assert.ok(statSync(path.join(projectRoot, 'client/dist/index.html')).isFile());
});

test('an upload survives a dropped connection and a cancel, and a failed transcode shows its reason', { skip, timeout: 90_000 }, async (t) => {
  // A fresh artist signed in through the API; the browser gets the session the app would store.
  const { user, token } = await node.user('artist');
  const channel = await node.api('POST', '/api/v1/channels', { token, body: { name: `resume_${Date.now().toString(36)}`, displayName: 'Resume Tests' } });
  assert.equal(channel.status, 201);
  await page.goto('/');
  await page.evaluate((s) => localStorage.setItem('9ten.session', JSON.stringify(s)), {
    accessToken: token,
    refreshToken: '',
    user: { id: user.id, username: user.username, role: user.role },
  });
  const tone = await makeAudio(media, { format: 'wav', seconds: 6, frequency: 660, name: 'resume-tone.wav' });

  // The network between browser and node: drop the 2nd chunk's connection, hold the 4th.
  let puts = 0;
  let posts = 0;
  let releaseHeld: (() => void) | null = null;
  await page.route(/\/api\/v1\/uploads(\/[^/?]+)?$/, async (route) => {
    const method = route.request().method();
    if (method === 'POST') posts++;
    if (method !== 'PUT') return route.continue();
    puts++;
    if (puts === 2) return route.abort('connectionreset');
    if (puts === 4) {
      await new Promise<void>((r) => (releaseHeld = r));
      return route.abort('aborted').catch(() => {});
    }
    return route.continue();
  });

  await page.goto('/upload');
  await page.evaluate(() => {
    const seen: string[] = ((window as any).__messages = []);
    new MutationObserver(() => {
      for (const m of document.querySelectorAll('.message')) if (m.textContent && seen.at(-1) !== m.textContent) seen.push(m.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByLabel('Audio or video file').setInputFiles(tone);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await waitFor(() => releaseHeld !== null, 'the 4th chunk on the wire', 20_000);
  await page.getByRole('button', { name: 'Cancel' }).click();
  releaseHeld!();
  await page.getByText('Upload cancelled').waitFor();

  // Same file again: the upload continues where the node stopped.
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await reach(page.locator('.processing'), 30_000);
  const messages: string[] = await page.evaluate(() => (window as any).__messages);
  t.diagnostic(`messages: ${messages.join(' | ')}`);
  assert.ok(messages.some((m) => /retrying/i.test(m)), 'the dropped chunk was retried');
  const resumed = messages.find((m) => /^Resuming at \d+ %$/.test(m));
  assert.ok(resumed, `resumed rather than restarted (${messages.join(' | ')})`);
  // Chunk 1 went through, chunk 2 after one retry; chunk 3 was cancelled: about 2 of 4.2 chunks.
  const keptPercent = Number(/\d+/.exec(resumed!)![0]);
  assert.ok(keptPercent >= 40 && keptPercent < 60, `the two chunks on the node were kept (${resumed})`);
  assert.equal(posts, 1, 'one upload created, then resumed');
  const trackId = (await page.getByRole('link', { name: 'Open track page' }).getAttribute('href'))!.split('/').pop()!;
  const created = await node.api('GET', `/api/v1/tracks/${trackId}`, { token });
  assert.equal(created.status, 200);
  await page.unroute(/\/api\/v1\/uploads(\/[^/?]+)?$/);

  // Once ready, break the stored original and transcode again (as the media tests do): the
  // track page shows the failed state with the node's reason.
  await page.waitForFunction(() => document.querySelector('.processing')?.getAttribute('data-status') !== 'processing', null, { timeout: 60_000 });
  assert.equal(await page.locator('.processing').getAttribute('data-status'), 'ready');
  const originals = path.join(node.dataDir, 'media/originals');
  const original = readdirSync(originals).find((f) => f.startsWith(trackId));
  assert.ok(original, 'the original is stored');
  writeFileSync(path.join(originals, original), randomBytes(20_000));
  const again = await node.api('POST', `/api/v1/tracks/${trackId}/retranscode`, { token });
  assert.equal(again.status, 202, again.text);
  await page.goto(`/tracks/${trackId}`);
  await page.waitForFunction(() => document.querySelector('.processing')?.getAttribute('data-status') === 'failed', null, { timeout: 30_000 });
  await page.getByText('Processing failed').waitFor();
  const reason = (await page.locator('.processing [role="alert"]').textContent()) ?? '';
  t.diagnostic(`failure shown: ${reason}`);
  assert.equal(reason, (await node.api('GET', `/api/v1/tracks/${trackId}`, { token })).body.failureReason);
  assert.ok(reason.length > 10);
  assert.equal(await page.getByRole('main').getByRole('button', { name: 'Play', exact: true }).count(), 0, 'no player for a failed track');
  await shot('track-failed');
});
