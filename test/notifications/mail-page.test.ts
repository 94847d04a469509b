// The admin's mail page in a real browser: a mail that failed while the SMTP server was down is
// listed with the server's answer, Retry sends it once the server is back, and the page says so
// on a node without mail.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from '../client/browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';

const skip = skipWithoutChromium;
let node: TestNode;
let mailOff: TestNode;
let smtp: TestSmtpServer;
let session: BrowserSession;

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  smtp = await TestSmtpServer.start({ listening: false });
  [node, mailOff] = await Promise.all([startTestNode({ name: 'mail-page', overrides: smtp.nodeConfig({ attempts: 1, backoffMs: 200 }) }), startTestNode({ name: 'mail-page-off' })]);
});
after(async () => {
  await session?.close();
  await Promise.all([node?.stop(), mailOff?.stop()]);
  await smtp?.close();
});

test('a failed mail is listed with its error and retried from the page', { skip, timeout: 90_000 }, async () => {
  const admin = await node.user('admin');
  const queued = await node.api('POST', '/api/v1/admin/mail/test', { token: admin.token, body: { to: 'ops@example.org' } });
  assert.equal(queued.status, 202, queued.text);
  await waitFor('the mail failed', async () => (await node.api('GET', '/api/v1/admin/mail/messages?state=failed', { token: admin.token })).body.total === 1);

  session = await openBrowser(node.url);
  const page = session.page;
  await logIn(page, admin.user.username, admin.password, '/admin/mail');
  await session.reach(page.getByRole('cell', { name: 'ops@example.org', exact: true }));
  await page.getByText('ECONNREFUSED').first().waitFor();
  assert.equal(await page.getByRole('term').filter({ hasText: 'Failed' }).count(), 1);

  await smtp.listen();
  await page.getByRole('button', { name: /^Retry the mail to ops@example\.org/ }).click();
  await smtp.mailTo('ops@example.org');
  await page.getByText('No mail failed.').waitFor();
  assert.equal(smtp.mailsTo('ops@example.org').length, 1);
});

test('the list pages through more mails than one page', { skip, timeout: 90_000 }, async () => {
  const admin = await node.user('admin');
  for (let i = 0; i < 55; i++) await node.ctx.services.notifications.queue({ to: `reader${i}@example.org`, subject: `Note ${i}`, text: 'x', kind: 'test' });
  // The first test's mail and these, all sent now that the server listens.
  await waitFor('the mails were sent', async () => (await node.api('GET', '/api/v1/admin/mail/messages?state=sent&limit=1', { token: admin.token })).body.total === 56);
  const page = session.page;
  await page.goto('/admin/mail?state=sent');
  await session.reach(page.getByRole('table', { name: 'Sent mails (56, 1–50 shown)' }));
  const rows = page.getByRole('table', { name: /^Sent mails/ }).getByRole('row');
  assert.equal(await rows.count(), 51, 'a header and 50 mails');
  const pages = page.getByRole('navigation', { name: 'Mail pages' });
  await pages.getByRole('link', { name: 'Older' }).click();
  await session.reach(page.getByRole('table', { name: 'Sent mails (56, 51–56 shown)' }));
  assert.equal(await rows.count(), 7);
  await pages.getByRole('link', { name: 'Newer' }).click();
  await session.reach(page.getByRole('table', { name: 'Sent mails (56, 1–50 shown)' }));
});

test('on a node without mail the page says so', { skip, timeout: 60_000 }, async () => {
  const admin = await mailOff.user('admin');
  const off = await openBrowser(mailOff.url);
  try {
    await logIn(off.page, admin.user.username, admin.password, '/admin/mail');
    await off.page.getByText('This node sends no mail: no SMTP server is configured').waitFor();
  } finally {
    await off.close();
  }
});
