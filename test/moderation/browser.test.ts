// The web app's moderation in a real browser against a real node: a listener reports a track
// from its page; a moderator finds it in the queue and hides the track with a note; the
// listener reads the outcome on My reports, the artist sees the track marked hidden, and the
// log page lists the action.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from '../client/browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';

const skip = skipWithoutChromium;

let node: TestNode;
let session: BrowserSession;
let page: Page;
let dir: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let listener: Awaited<ReturnType<TestNode['user']>>;
let moderator: Awaited<ReturnType<TestNode['user']>>;
let trackId: string;

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  node = await startTestNode({ name: 'moderation-ui', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('moderation-ui');
  artist = await makeArtist(node, 'ui_band');
  listener = await node.user('listener', 'ui_listener');
  moderator = await node.user('moderator', 'ui_moderator');
  const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 2, tags: { title: 'Borrowed Tune' } }));
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  await waitTrack(node, artist.token, trackId);
  session = await openBrowser(node.url);
  page = session.page;
});
after(async () => {
  await session?.close();
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

const logOut = () => page.getByRole('button', { name: 'Log out' }).click();

test('a listener reports a track from its page', { skip }, async () => {
  await logIn(page, listener.user.username, listener.password, `/tracks/${trackId}`);
  await page.getByRole('button', { name: 'Report “Borrowed Tune”' }).click();
  const dialog = page.getByRole('dialog', { name: 'Report “Borrowed Tune”' });
  await dialog.getByLabel('Why').selectOption('copyright');
  await dialog.getByLabel('What is wrong').fill('This is my song, uploaded without asking me');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await dialog.getByText('Thank you: the moderators will look at it.').waitFor();
  await dialog.getByRole('link', { name: 'My reports' }).click();
  await page.waitForURL((u) => u.pathname === '/me/reports');
  await session.reach(page.getByRole('cell', { name: 'Open: waiting for a moderator' }));
  await logOut();
});

test('a moderator hides the track from the queue, with a note; the log lists it', { skip }, async () => {
  await logIn(page, moderator.user.username, moderator.password, '/');
  await page.getByRole('link', { name: 'Moderation' }).click();
  await page.waitForURL((u) => u.pathname === '/admin/moderation');
  const card = page.getByRole('article', { name: 'Track: Borrowed Tune' });
  await session.reach(card);
  await card.getByText(`@${listener.user.username}`).waitFor();
  await card.getByLabel('Action').selectOption('hide-track');
  await card.getByLabel('Note (why; kept in the log)').fill('The claim checks out');
  await card.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('article', { name: 'Track: Borrowed Tune' }).getByText('The track was hidden').waitFor();
  await page.getByRole('link', { name: 'Log', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/admin/moderation/log');
  await session.reach(page.getByRole('cell', { name: 'The claim checks out' }));
  await session.reach(page.getByRole('cell', { name: 'Done', exact: true }));
  assert.equal((await node.api('GET', `/api/v1/tracks/${trackId}`, { token: listener.token })).status, 404);
  await logOut();
});

test('the reporter reads the outcome; the artist sees the track marked hidden', { skip }, async () => {
  await logIn(page, listener.user.username, listener.password, '/me/reports');
  await session.reach(page.getByRole('cell', { name: 'The track was hidden' }));
  await logOut();
  await logIn(page, artist.user.username, artist.password, `/tracks/${trackId}`);
  await session.reach(page.getByText('hidden by a moderator'));
  assert.equal(await page.getByRole('button', { name: /^Report/ }).count(), 0, 'no Report button on one\'s own track');
  assert.deepEqual(session.pageErrors, []);
});

test('the queue pages through the reports, newest first', { skip, timeout: 60_000 }, async () => {
  const trackUri = `${node.ctx.config.publicUrl}/ap/tracks/${trackId}`;
  // Flags from 55 servers (one open report per actor and object; a server's hourly limit is not reached).
  for (let i = 0; i < 55; i++) {
    const flag = { activityId: `https://r${i}.example/flags/1`, actorUri: `https://r${i}.example/actor`, objectUris: [trackUri], content: `Flag number ${i}` };
    assert.equal((await node.ctx.services.moderation.receiveReport(flag)).created, true);
  }
  await logOut();
  await logIn(page, moderator.user.username, moderator.password, '/admin/moderation');
  await session.reach(page.getByText('55 open reports; 1–50 shown, newest first.'));
  assert.equal(await page.getByRole('article').count(), 50);
  await page.getByText('Flag number 54', { exact: true }).waitFor();
  const pages = page.getByRole('navigation', { name: 'Report pages' });
  assert.equal(await pages.getByRole('link', { name: 'Newer' }).count(), 0);
  await pages.getByRole('link', { name: 'Older' }).click();
  await page.waitForURL((u) => u.searchParams.get('offset') === '50' && u.searchParams.get('state') === 'open');
  await session.reach(page.getByText('55 open reports; 51–55 shown, newest first.'));
  assert.equal(await page.getByRole('article').count(), 5);
  await page.getByText('Flag number 0', { exact: true }).waitFor();
  await pages.getByRole('link', { name: 'Newer' }).click();
  await session.reach(page.getByText('55 open reports; 1–50 shown, newest first.'));
  assert.deepEqual(session.pageErrors, []);
});
