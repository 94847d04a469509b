// Notification mail through a real SMTP server on loopback (smtp-server): a listener follows three
// artists' channels for real; the artist who keeps follower mail on gets the mail (once, however
// often the news is told), the one who turned it off does not but still sees it in the app, and
// the one whose address is not confirmed gets none while the node requires confirmed addresses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';
import { hostOf } from '../federation/support.js';
import { execute } from '../../server/db/index.js';
import { accountsService } from '../../server/accounts/index.js';
import { deepMerge } from '../../server/config/index.js';

let smtp: TestSmtpServer;
let node: TestNode;
before(async () => {
  smtp = await TestSmtpServer.start();
  node = await startTestNode({ name: 'inbox-mail', overrides: deepMerge(smtp.nodeConfig(), { auth: { emailVerification: 'required' } }) });
});
after(async () => {
  await node?.stop();
  await smtp?.close();
});

/** An artist with a channel and an address, confirmed or not. */
async function artist(name: string, confirmed: boolean) {
  const password = 'correct horse battery';
  const user = await node.ctx.services.accounts.create({ username: name, password, role: 'artist', email: `${name}@example.org` });
  // Signed in first: an unconfirmed account may not sign in where the node requires confirmation.
  const token = (await accountsService(node.ctx).login(name, password)).access_token;
  await execute(node.ctx.db, 'UPDATE users SET email_verified = :v WHERE id = :id', { id: user.id, v: confirmed });
  const channel = await node.api('POST', '/api/v1/channels', { token, body: { name: `${name}_ch`, displayName: `${name} channel` } });
  assert.equal(channel.status, 201, channel.text);
  return { user, token, channel: channel.body.name as string, address: `${name}@example.org` };
}

const inbox = async (token: string): Promise<{ kind: string; title: string }[]> => (await node.api('GET', '/api/v1/me/notifications', { token })).body.data;

test('mail for a kind left on arrives once; a kind turned off sends none but shows in the app; an unconfirmed address gets none', async () => {
  const on = await artist('mail_on', true);
  const off = await artist('mail_off', true);
  const unconfirmed = await artist('mail_unconfirmed', false);
  const settings = await node.api('PUT', '/api/v1/me/notification-settings', { token: off.token, body: { settings: { follower: { email: false } } } });
  assert.equal(settings.status, 200, settings.text);
  assert.deepEqual([settings.body.mailEnabled, settings.body.mailAddress], [true, off.address]);
  const pending = await node.api('GET', '/api/v1/me/notification-settings', { token: unconfirmed.token });
  assert.deepEqual([pending.body.mailEnabled, pending.body.mailAddress], [true, null], 'says mail waits for a confirmed address');

  const fan = await node.user('listener');
  for (const a of [on, off, unconfirmed]) {
    const f = await node.api('POST', '/api/v1/federation/follows', { token: fan.token, body: { handle: `${a.channel}@${hostOf(node)}` } });
    assert.equal(f.status, 201, f.text);
  }

  const mail = await smtp.mailTo(on.address, /follows/);
  assert.equal(mail.subject, `@${fan.user.username} follows mail_on channel`);
  assert.equal(mail.from, '"9ten test" <noreply@node.test>');
  assert.ok(mail.text.includes(`${node.ctx.config.publicUrl}/@${fan.user.username}`), 'the link is absolute');
  assert.ok(mail.text.includes(`${node.ctx.config.publicUrl}/notifications/settings`), 'says where to turn it off');

  // The same news again (the fan follows once more) is not mailed again.
  assert.equal((await node.api('POST', '/api/v1/federation/follows', { token: fan.token, body: { handle: `${on.channel}@${hostOf(node)}` } })).status, 201);
  for (const a of [off, unconfirmed]) await waitFor(`${a.user.username} sees it in the app`, async () => (await inbox(a.token)).some((n) => n.kind === 'follower'));
  await node.waitJobs();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(smtp.mailsTo(on.address).filter((m) => /follows/.test(m.subject)).length, 1);
  assert.deepEqual(smtp.mailsTo(off.address), [], 'turned off: no mail');
  assert.deepEqual(smtp.mailsTo(unconfirmed.address).filter((m) => /follows/.test(m.subject)), [], 'unconfirmed: no mail');

  // Turned on again, the next news comes by mail.
  await node.api('PUT', '/api/v1/me/notification-settings', { token: off.token, body: { settings: { follower: { email: true } } } });
  const other = await node.user('listener');
  await node.api('POST', '/api/v1/federation/follows', { token: other.token, body: { handle: `${off.channel}@${hostOf(node)}` } });
  const now = await smtp.mailTo(off.address, /follows/);
  assert.equal(now.subject, `@${other.user.username} follows mail_off channel`);
});
