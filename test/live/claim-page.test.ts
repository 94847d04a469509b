// A watch link's guest claims their account from a live stream's page in a real browser, on a
// node that asks every account to confirm an address: the page asks for the address up front,
// and after the claim (which ends the guest's session on the node) signs out and says to open
// the mailed link, then log in.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ensureClientBuilt, openBrowser, skipWithoutChromium, type BrowserSession } from '../client/browser-support.js';
import type { TestNode } from '../helpers/node.js';
import { TestSmtpServer, linkToken } from '../helpers/smtp.js';
import { liveArtist, push, rtmpUrl, startLiveNode, waitStream } from './support.js';

const skip = skipWithoutChromium;
let node: TestNode;
let smtp: TestSmtpServer;
let session: BrowserSession;

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  smtp = await TestSmtpServer.start();
  node = await startLiveNode({ name: 'live-claim', overrides: { ...smtp.nodeConfig(), auth: { emailVerification: 'required' } } });
  session = await openBrowser(node.url);
});
after(async () => {
  await session?.close();
  await node?.stop();
  await smtp?.close();
});

test('a guest claims the account where verification is required: asked for an address, signed out, told to open the link', { skip, timeout: 90_000 }, async () => {
  // A stream that ran and ended: its page still shows the guest the claim banner.
  const artist = await liveArtist(node);
  const publisher = push(rtmpUrl(node, artist.key), { seconds: 30 });
  let streamId: string;
  try {
    streamId = (await waitStream(node, artist.token, artist.channel.name, 'live')).id;
    assert.equal((await node.api('POST', `/api/v1/channels/${artist.channel.name}/live/stop`, { token: artist.token })).status, 200);
  } finally {
    publisher.kill('SIGKILL');
  }

  // Signed in as a guest, as a watch link leaves the browser.
  const guest = await node.ctx.services.accounts.createGuest();
  const page = session.page;
  await page.goto('/');
  await page.evaluate((s) => localStorage.setItem('9ten.session', s), JSON.stringify({ accessToken: guest.tokens.access_token, refreshToken: guest.tokens.refresh_token, user: guest.user }));
  await page.goto(`/live/${streamId}`);
  const banner = page.getByRole('region', { name: 'Keep your account' });
  await session.reach(banner);
  const email = banner.getByLabel('Email (this node asks you to confirm it)');
  await email.waitFor();
  assert.equal(await email.evaluate((el: HTMLInputElement) => el.required), true);

  await banner.getByLabel('Username').fill('claimed_fan');
  await banner.getByLabel('Password').fill('a long secret 1');
  await email.fill('fan@example.org');
  await banner.getByRole('button', { name: 'Claim my account' }).click();
  await page.getByText(/Open the link we sent to fan@example\.org, then log in as claimed_fan/).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('9ten.session')), null, 'signed out here as on the node');

  // The link, then the login the page points to.
  const token = linkToken(await smtp.mailTo('fan@example.org', /Confirm/), 'verify-email');
  assert.equal((await node.api('POST', '/api/v1/users/verify-email', { body: { token } })).status, 200);
  await page.getByRole('link', { name: 'Log in', exact: true }).last().click();
  await page.waitForURL((u) => u.pathname === '/login');
  assert.equal(await page.getByLabel('Username').inputValue(), 'claimed_fan');
  await page.getByLabel('Password').fill('a long secret 1');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => u.pathname === `/live/${streamId}`);
  assert.deepEqual(session.pageErrors.filter((e) => !/401|403/.test(e)), []);
});
