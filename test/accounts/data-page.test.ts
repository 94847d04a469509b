// The account-data views in a real browser against a real node: a listener downloads their
// data and deletes their account from /me/data (signed out at once); an admin exports an
// artist's data and deletes the artist's account from the users page and follows the deletion.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from '../client/browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { credit } from '../money/helpers.js';

const skip = skipWithoutChromium;

let node: TestNode;
let session: BrowserSession;
let page: Page;

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  node = await startTestNode({ name: 'data-page' });
  session = await openBrowser(node.url);
  page = session.page;
});

after(async () => {
  await session?.close();
  await node?.stop();
});

test('a listener downloads their data, then deletes their account and is signed out', { skip, timeout: 60_000 }, async () => {
  const listener = await node.user('listener');
  await credit(node, listener.user.id, 700);
  await logIn(page, listener.user.username, listener.password, '/me/data');
  await page.getByRole('heading', { name: 'My data', level: 1 }).waitFor();
  await page.getByText(/Your wallet holds \$7\.00/).waitFor();

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download my data' }).click();
  assert.match((await download).suggestedFilename(), new RegExp(`^9ten-export-${listener.user.username}-\\d{4}-\\d{2}-\\d{2}\\.tar\\.gz$`));
  await page.getByText('Downloaded.').waitFor();

  await page.getByLabel('Password').fill(listener.password);
  await page.getByLabel(/Type your username/).fill('someone else');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByText(`Type ${listener.user.username} to confirm`).waitFor();
  await page.getByLabel(/Type your username/).fill(listener.user.username);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByText(/Your account is closed and being deleted/).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' }).waitFor();
  await node.waitJobs();
  assert.equal((await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: listener.user.username, password: listener.password } })).status, 400);
  assert.deepEqual(session.pageErrors.filter((e) => !/401|403/.test(e)), []);
});

test("an admin exports an artist's data and deletes the account from the users page", { skip, timeout: 60_000 }, async () => {
  const admin = await node.user('admin');
  const artist = await makeArtist(node);
  await logIn(page, admin.user.username, admin.password, '/admin');
  const row = page.getByRole('row').filter({ hasText: artist.user.username });
  await row.waitFor();

  const download = page.waitForEvent('download');
  await row.getByRole('button', { name: 'Export' }).click();
  assert.match((await download).suggestedFilename(), new RegExp(`^9ten-export-${artist.user.username}-.*\\.tar\\.gz$`));

  page.once('dialog', (d) => void d.accept(artist.user.username));
  await row.getByRole('button', { name: `Delete the account of ${artist.user.username}` }).click();
  await row.getByText(/^Deletion (queued|running)|^Deleted\./).waitFor();
  await node.waitJobs();
  await row.getByRole('button', { name: `Deletion of ${artist.user.username}` }).click();
  await row.getByText('Deleted.').waitFor();

  await page.reload();
  // The listener's and the artist's rows, under their tombstone names, without a Delete button.
  const tombstones = page.getByRole('row').filter({ hasText: /deleted-[0-9a-f]{12}/ });
  await tombstones.first().waitFor();
  assert.equal(await tombstones.count(), 2);
  assert.equal(await tombstones.getByRole('button', { name: /^Delete the account/ }).count(), 0);
  assert.equal(await page.getByRole('row').filter({ hasText: artist.user.username }).count(), 0);
});

test('from the users page an admin suspends with a note (logged in moderation), confirms an address and sets a password', { skip, timeout: 60_000 }, async () => {
  const admin = await node.user('admin');
  const user = await node.user('listener');
  const name = user.user.username;
  await node.ctx.db.query(`UPDATE users SET email = '${name}@example.org' WHERE id = '${user.user.id}'`);
  await logIn(page, admin.user.username, admin.password, '/admin');
  const row = page.getByRole('row').filter({ hasText: name });
  const state = row.getByTestId('user-state');
  await state.filter({ hasText: 'address unconfirmed' }).waitFor();

  page.once('dialog', (d) => void d.accept('Spam in every comment'));
  await row.getByRole('button', { name: `Suspend ${name}` }).click();
  await row.getByText('Suspended: their sessions ended.').waitFor();
  assert.match((await state.textContent()) ?? '', /^suspended/);
  assert.equal((await node.api('GET', '/api/v1/users/me', { token: user.token })).status, 401, 'its sessions ended');
  const log = await node.api('GET', `/api/v1/admin/moderation/log?target=${user.user.id}`, { token: admin.token });
  assert.deepEqual(log.body.data.map((e: { action: string; note: string }) => [e.action, e.note]), [['suspend', 'Spam in every comment']]);

  page.once('dialog', (d) => void d.dismiss());
  await row.getByRole('button', { name: `Lift suspension ${name}` }).click();
  page.once('dialog', (d) => void d.accept('They wrote to us'));
  await row.getByRole('button', { name: `Lift suspension ${name}` }).click();
  await row.getByText('They can sign in again.').waitFor();
  assert.equal((await node.api('GET', `/api/v1/admin/moderation/log?target=${user.user.id}`, { token: admin.token })).body.total, 2, 'the dismissed prompt changed nothing');

  await row.getByRole('button', { name: `Confirm the address of ${name}` }).click();
  await row.getByText(`${name}@example.org is confirmed.`).waitFor();
  assert.equal(await state.textContent(), 'active');
  assert.equal((await node.ctx.services.accounts.byId(user.user.id))?.emailVerified, true);

  await row.getByText('Set password').click();
  await row.getByLabel(`New password for ${name}`).fill('a fresh password 42');
  await row.getByRole('button', { name: 'Set', exact: true }).click();
  await row.getByText('Password set: their sessions and app keys ended.').waitFor();
  const login = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: name, password: 'a fresh password 42' } });
  assert.equal(login.status, 200, login.text);

  // An admin's row offers no suspension: moderation does not act on admins.
  const adminRow = page.getByRole('row').filter({ hasText: admin.user.username });
  assert.equal(await adminRow.getByRole('button', { name: /^Suspend/ }).count(), 0);
  assert.deepEqual(session.pageErrors.filter((e) => !/401|403/.test(e)), []);
});
