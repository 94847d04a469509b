// The bell, the notifications page and the settings page in a real browser (Debian's Chromium
// through playwright-core) against a real node: a listener follows an artist's channel; the
// artist's bell says one unread (in its accessible name); the page lists it, marks it read and
// the bell follows; a javascript: link stored before the node checked links is not drawn as one;
// the settings page says the node sends no mail and saves a kind turned off.
// axe-core finds no serious or critical violation on either page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { axeViolations, ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from '../client/browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { hostOf } from '../federation/support.js';
import { waitFor } from '../helpers/wait.js';
import { execute } from '../../server/db/index.js';

const skip = skipWithoutChromium;

let node: TestNode;
let session: BrowserSession;
let page: Page;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let fan: Awaited<ReturnType<TestNode['user']>>;

before(async () => {
  if (skip) return;
  const built = ensureClientBuilt();
  node = await startTestNode({ name: 'inbox-web' });
  artist = await makeArtist(node, 'bell_band');
  fan = await node.user('listener');
  const f = await node.api('POST', '/api/v1/federation/follows', { token: fan.token, body: { handle: `bell_band@${hostOf(node)}` } });
  assert.equal(f.status, 201, f.text);
  await waitFor('the artist is told', async () => (await node.api('GET', '/api/v1/me/notifications/unread-count', { token: artist.token })).body.unread === 1);
  // As kept before the node checked links (read, so the bell still counts one).
  await execute(node.ctx.db, "INSERT INTO notifications_inbox (user_id, kind, key, title, url, web, read_at) VALUES (:u, 'tip', 'old-link', 'An old link', 'javascript:alert(1)', true, now())", { u: artist.user.id });
  await built;
  session = await openBrowser(node.url);
  ({ page } = session);
});

after(async () => {
  await session?.close();
  await node?.stop();
});

test('the bell counts unread; the page lists and marks read; the settings page saves', { skip, timeout: 90_000 }, async () => {
  await logIn(page, artist.user.username, artist.password, '/');
  const nav = page.getByRole('navigation').first();
  const bell = nav.getByRole('link', { name: 'Notifications: 1 unread' });
  await session.reach(bell);
  await bell.click();
  await page.waitForURL((u) => u.pathname === '/notifications');
  const list = page.getByRole('list', { name: 'Notifications' });
  const item = list.getByRole('listitem').filter({ hasText: `@${fan.user.username} follows Channel bell_band` });
  await session.reach(item);
  assert.equal(await item.getByText('New', { exact: true }).count(), 1);
  await session.reach(list.getByText('An old link'));
  assert.equal(await list.getByRole('link', { name: 'An old link' }).count(), 0, 'a javascript: link is not drawn');
  assert.deepEqual(await axeViolations(page), []);
  await session.shot('notifications');

  await item.getByRole('button', { name: 'Mark as read' }).click();
  await session.reach(nav.getByRole('link', { name: 'Notifications: none unread' }));
  assert.equal(await item.getByText('New', { exact: true }).count(), 0);
  assert.equal((await node.api('GET', '/api/v1/me/notifications/unread-count', { token: artist.token })).body.unread, 0);

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.waitForURL((u) => u.pathname === '/notifications/settings');
  await session.reach(page.getByText('This node does not send mail: notifications show in the app only.'));
  const byMail = page.getByRole('checkbox', { name: 'Tips I receive: by mail' });
  assert.equal(await byMail.isDisabled(), true, 'mail toggles are off where the node sends no mail');
  const inApp = page.getByRole('checkbox', { name: 'New followers of my channels: in the app' });
  assert.equal(await inApp.isChecked(), true);
  await inApp.uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  await session.reach(page.getByText('Saved.'));
  // After saving too: the "Saved." line's colours (.message.ok) must read well.
  assert.deepEqual(await axeViolations(page), []);
  await session.shot('notification-settings');
  const saved = await node.api('GET', '/api/v1/me/notification-settings', { token: artist.token });
  assert.deepEqual(saved.body.settings.follower, { web: false, email: true });
  assert.deepEqual(session.pageErrors, []);
});
