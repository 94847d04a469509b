// The account, money, admin and audit views in a real browser against a real node: an admin
// credits a listener's wallet from the users page, sees the books balanced and makes a gift
// link with its QR code; the listener redeems the gift, subscribes and sees the state and the
// wallet drop by the subscription; an auditor verifies the ledger's hash chain. Only the accounts themselves are made through the node's API (an
// admin and an auditor cannot sign themselves up).
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { ensureClientBuilt, logIn as logInAs, openBrowser, skipWithoutChromium, type BrowserSession } from './browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';

const skip = skipWithoutChromium;

let node: TestNode;
let session: BrowserSession;
let page: Page;
let pageErrors: string[];

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  node = await startTestNode();
  session = await openBrowser(node.url);
  ({ page, pageErrors } = session);
});

after(async () => {
  await session?.close();
  await node?.stop();
});

const reach = (target: Locator, timeout?: number) => session.reach(target, timeout);
const shot = (name: string) => session.shot(`views-${name}`);

const logIn = (username: string, password: string, next: string) => logInAs(page, username, password, next);

async function logOut(): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

const balanceOf = async (): Promise<number> => Number(await page.locator('#wallet-balance').getAttribute('data-amount'));

test('admin credits a wallet and makes a gift link, the listener redeems it and subscribes, the books balance, the chain verifies', { skip, timeout: 90_000 }, async () => {
  const admin = await node.user('admin');
  const listener = await node.user('listener');
  const auditor = await node.user('auditor');

  // The admin finds the listener among the users and credits their wallet.
  await logIn(admin.user.username, admin.password, '/admin');
  const users = page.getByRole('table', { name: /^Users/ });
  await reach(users);
  for (const u of [admin, listener, auditor]) await users.getByText(u.user.username, { exact: true }).waitFor();
  assert.equal(await page.getByLabel(`Role of ${listener.user.username}`).inputValue(), 'listener');
  await page.getByLabel('User', { exact: true }).selectOption({ label: `${listener.user.username} (listener)` });
  await page.getByLabel('Amount').fill('20.00');
  await page.getByRole('button', { name: 'Credit wallet' }).click();
  await reach(page.getByText(`Credited $20.00 to ${listener.user.username} (listener); their balance is $20.00.`));
  await shot('admin-users');

  // Money health: balanced after the credit.
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Money' }).click();
  const health = page.locator('#money-health');
  await reach(health);
  assert.equal(await health.getAttribute('data-balanced'), 'true', await health.textContent() ?? '');
  await page.getByRole('heading', { name: /^Statement:/ }).waitFor();

  // A gift link, shown with its QR code.
  await page.getByLabel('Amount').fill('5');
  await page.getByLabel('Message (optional)').fill('Welcome!');
  await page.getByRole('button', { name: 'Create gift link' }).click();
  const qr = page.getByRole('img', { name: /^QR code for the gift link / });
  await reach(qr);
  assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 50), 'the QR code image is drawn');
  const giftUrl = new URL((await page.locator('figure.qr figcaption a').getAttribute('href'))!);
  assert.match(giftUrl.pathname, /^\/gift\/[\w-]+$/);
  await shot('admin-money');
  await logOut();

  // The listener opens the gift link (preview, then redeem), then sees the credit and the
  // gift, subscribes, and the wallet drops by one month's subscription.
  await logIn(listener.user.username, listener.password, giftUrl.pathname);
  await reach(page.getByText('$5.00', { exact: true }));
  await page.getByText('Welcome!').waitFor();
  await page.getByRole('button', { name: 'Redeem into my wallet' }).click();
  await reach(page.getByText('Added $5.00. Your balance is $25.00.'));
  await page.getByRole('link', { name: 'Open my wallet' }).click();
  await reach(page.locator('#wallet-balance'));
  assert.equal(await page.locator('#subscription-state').getAttribute('data-state'), 'none');
  const before = await balanceOf();
  assert.equal(before, 2500);
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await reach(page.locator('#subscription-state[data-state="active"]'));
  await page.getByText('Subscribed. Thank you!').waitFor();
  assert.equal(await page.locator('#subscription-state').textContent(), 'active');
  assert.equal(before - (await balanceOf()), 1000, 'the wallet dropped by the subscription');
  assert.match((await page.locator('#wallet-balance').textContent()) ?? '', /^\$15\.00$/);
  await page.getByRole('table', { name: 'Wallet entries, newest first' }).getByText('Subscription').waitFor();
  await page.getByRole('button', { name: 'Cancel renewal' }).waitFor();
  await shot('listener-account');
  await logOut();

  // The auditor verifies the ledger's chain.
  await logIn(auditor.user.username, auditor.password, '/audit');
  await page.getByRole('heading', { name: 'Verify the chain' }).waitFor();
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  const result = page.locator('#verify-result');
  await reach(result);
  assert.equal(await result.getAttribute('data-ok'), 'true', (await result.textContent()) ?? '');
  assert.match((await result.textContent()) ?? '', /^Chain verified: \d+ blocks/);
  await shot('auditor-verify');

  // Views follow the role: the auditor has no admin page.
  await page.goto('/admin');
  await page.getByText('This page is for the admin role. Your account is an auditor account.').waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count(), 0);
  assert.deepEqual(pageErrors, []);
});
