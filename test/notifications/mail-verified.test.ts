// Notification mail goes only to a confirmed address, also where the node does not require
// confirmation (auth.emailVerification optional): an address nobody confirmed may be someone
// else's, who would then read the account's notifications.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';
import { execute } from '../../server/db/index.js';
import { accountsService } from '../../server/accounts/index.js';
import { deepMerge } from '../../server/config/index.js';

let smtp: TestSmtpServer;
let node: TestNode;
before(async () => {
  smtp = await TestSmtpServer.start();
  node = await startTestNode({ name: 'mail-verified', overrides: deepMerge(smtp.nodeConfig(), { auth: { emailVerification: 'optional' } }) });
});
after(async () => {
  await node?.stop();
  await smtp?.close();
});

async function withAddress(name: string, confirmed: boolean) {
  const password = 'correct horse battery';
  const user = await node.ctx.services.accounts.create({ username: name, password, role: 'listener', email: `${name}@example.org` });
  await execute(node.ctx.db, 'UPDATE users SET email_verified = :v WHERE id = :id', { id: user.id, v: confirmed });
  const token = (await accountsService(node.ctx).login(name, password)).access_token;
  return { user, token, address: `${name}@example.org` };
}

test('an unconfirmed address gets no notification mail where confirmation is optional', async () => {
  const confirmed = await withAddress('mv_confirmed', true);
  const unconfirmed = await withAddress('mv_unconfirmed', false);
  const settings = await node.api('GET', '/api/v1/me/notification-settings', { token: unconfirmed.token });
  assert.deepEqual([settings.body.mailEnabled, settings.body.mailAddress], [true, null]);
  node.ctx.events.emit('user.notify', { userIds: [confirmed.user.id, unconfirmed.user.id], kind: 'account', title: 'Something about your account', key: 'mv-1' });
  await smtp.mailTo(confirmed.address, /Something about your account/);
  await waitFor('the unconfirmed user sees it in the app', async () => (await node.api('GET', '/api/v1/me/notifications', { token: unconfirmed.token })).body.data.length > 0);
  await node.waitJobs();
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(smtp.mailsTo(unconfirmed.address).filter((m) => /Something/.test(m.subject)), []);
});
