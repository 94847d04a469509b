// Mail through a real SMTP server on loopback (smtp-server): queued, sent with the configured
// login and sender, retried through an outage and shown failed to admins meanwhile, given up
// after its tries (then retried by an admin), refused for good on a 550; and the node without
// SMTP says mail is off. Config mistakes stop the start with a clear message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';
import { loadConfig, ConfigError } from '../../server/config/index.js';
import { notificationsService } from '../../server/notifications/index.js';
import { MailDisabled } from '../../server/accounts/index.js';

let smtp: TestSmtpServer;
let node: TestNode;
let mailOff: TestNode;
let admin: { token: string };
let refusing = true;

before(async () => {
  // Down at first: the first test is an outage.
  smtp = await TestSmtpServer.start({ listening: false, auth: { user: 'relay', pass: 'relay secret' }, refuse: (a) => refusing && a.startsWith('nobody@') });
  [node, mailOff] = await Promise.all([startTestNode({ name: 'mail', overrides: smtp.nodeConfig({ attempts: 3, backoffMs: 300 }) }), startTestNode({ name: 'mailoff' })]);
  admin = await node.user('admin');
});
after(async () => {
  await Promise.all([node?.stop(), mailOff?.stop()]);
  await smtp?.close();
});

const testMail = (to: string) => node.api('POST', '/api/v1/admin/mail/test', { token: admin.token, body: { to } });
const mailById = async (id: string) => {
  const list = await node.api('GET', '/api/v1/admin/mail/messages?limit=200', { token: admin.token });
  assert.equal(list.status, 200, list.text);
  return list.body.data.find((m: { id: string }) => m.id === id);
};

test('SMTP down: the mail is retried with backoff, shown failed to admins meanwhile, and arrives when the server is back', async () => {
  const started = Date.now();
  const queued = await testMail('outage@example.org');
  assert.equal(queued.status, 202, queued.text);
  assert.ok(Date.now() - started < 2000, 'the request does not wait for the SMTP server');
  assert.equal(queued.body.state, 'queued');

  const failing = await waitFor('the mail to show as failed', async () => {
    const m = await mailById(queued.body.id);
    return m?.state === 'failed' && m;
  });
  assert.match(failing.lastError, /ECONNREFUSED|ECONNECTION/);
  assert.ok(failing.nextAttemptAt, 'a further try is planned');
  const status = await node.api('GET', '/api/v1/admin/mail', { token: admin.token });
  assert.equal(status.body.counts.failed + status.body.counts.sending, 1, 'counted among failed (or being tried again)');

  await smtp.listen();
  const mail = await smtp.mailTo('outage@example.org', /^Test mail from mail$/);
  assert.equal(mail.from, '"9ten test" <noreply@node.test>');
  assert.match(mail.text, /the node's mail works/);
  const sent = await waitFor('the mail to show as sent', async () => {
    const m = await mailById(queued.body.id);
    return m?.state === 'sent' && m;
  });
  assert.ok(sent.attempts >= 2, `tried ${sent.attempts} times`);
  assert.equal(sent.nextAttemptAt, null);
  assert.ok(sent.sentAt);
});

test('a mail is sent once with the login and sender of the config, and its text is not kept after', async () => {
  const { mailer } = notificationsService(node.ctx);
  const row = await mailer.queue({ to: 'once@example.org', subject: 'Line one\r\nBcc: evil@example.org', text: 'secret link https://x/reset-password?token=abc', kind: 'test' });
  // The same mail queued a second time (a retry while a try runs, a sweep after a restore) leaves the node once.
  await node.ctx.jobs.enqueue('notifications.mail', { mailId: row.id });
  await smtp.mailTo('once@example.org');
  await node.waitJobs();
  assert.equal(smtp.mailsTo('once@example.org').length, 1);
  assert.equal(smtp.mailsTo('evil@example.org').length, 0, 'a line break in a subject adds no header');
  assert.equal(smtp.mailsTo('once@example.org')[0].subject, 'Line one Bcc: evil@example.org');
  const stored = await mailer.outbox.get(row.id);
  assert.equal(stored?.state, 'sent');
  assert.equal(stored?.body_text, null, 'the text (a secret link, perhaps) is dropped once sent');
});

test('a 550 is final at once; out of tries the mail stays failed with its error; an admin retries both', async () => {
  const refused = await testMail('nobody@example.org');
  const final = await waitFor('the refused mail to fail', async () => {
    const m = await mailById(refused.body.id);
    return m?.state === 'failed' && m;
  });
  assert.equal(final.attempts, 1, 'no retry for a recipient refused for good');
  assert.equal(final.nextAttemptAt, null);
  assert.match(final.lastError, /550/);

  // Out of tries: the server is down through all three.
  await smtp.close();
  const lost = await testMail('later@example.org');
  const gaveUp = await waitFor('the queue to give up', async () => {
    const m = await mailById(lost.body.id);
    return m?.state === 'failed' && m.nextAttemptAt === null && m;
  });
  assert.equal(gaveUp.attempts, 3);
  assert.match(gaveUp.lastError, /ECONNREFUSED|ECONNECTION/);
  const failedFirst = await node.api('GET', '/api/v1/admin/mail/messages', { token: admin.token });
  assert.ok(failedFirst.body.data.slice(0, 2).every((m: { state: string }) => m.state === 'failed'), 'failed mails come first');
  const onlyFailed = await node.api('GET', '/api/v1/admin/mail/messages?state=failed', { token: admin.token });
  assert.deepEqual(onlyFailed.body.data.map((m: { id: string }) => m.id).sort(), [refused.body.id, lost.body.id].sort());
  assert.equal(onlyFailed.body.data[0].text, undefined, 'admins see no mail text');

  await smtp.listen();
  refusing = false;
  for (const id of [refused.body.id, lost.body.id]) {
    const retried = await node.api('POST', `/api/v1/admin/mail/messages/${id}/retry`, { token: admin.token });
    assert.equal(retried.status, 202, retried.text);
    assert.equal(retried.body.state, 'queued');
  }
  await smtp.mailTo('nobody@example.org');
  await smtp.mailTo('later@example.org');
  await waitFor('both to show as sent', async () => (await mailById(lost.body.id))?.state === 'sent' && (await mailById(refused.body.id))?.state === 'sent');

  const again = await node.api('POST', `/api/v1/admin/mail/messages/${lost.body.id}/retry`, { token: admin.token });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'mail_not_failed');
  assert.equal((await node.api('POST', '/api/v1/admin/mail/messages/00000000-0000-4000-8000-000000000000/retry', { token: admin.token })).status, 404);
  assert.equal((await node.api('POST', '/api/v1/admin/mail/messages/nope/retry', { token: admin.token })).status, 404);
});

test('a mail whose job was lost (a restored Redis) is queued again by the sweep', async () => {
  const { mailer } = notificationsService(node.ctx);
  const [row] = (await node.ctx.db.query(
    `INSERT INTO notifications_mails (kind, to_address, subject, body_text, updated_at) VALUES ('test', 'stranded@example.org', 'Stranded', 'Hello', now() - interval '1 hour') RETURNING id`,
  )) as [{ id: string }[], unknown];
  assert.equal(await mailer.outbox.requeueStranded(), 1);
  await smtp.mailTo('stranded@example.org');
  await waitFor('the stranded mail to be sent', async () => (await mailer.outbox.get(row[0].id))?.state === 'sent');
});

test('a mail held by a worker that died is sent when its lease ends, not at the next sweep', async () => {
  const [rows] = (await node.ctx.db.query(
    `INSERT INTO notifications_mails (kind, to_address, subject, body_text, state, attempts, lease_until)
     VALUES ('test', 'orphan@example.org', 'Orphaned', 'Hello', 'sending', 1, now() + interval '2 seconds') RETURNING id`,
  )) as [{ id: string }[], unknown];
  // The crashed worker's job, back in the queue (BullMQ's stalled-job check does this).
  await node.ctx.jobs.enqueue('notifications.mail', { mailId: rows[0].id }, { attempts: 3, backoff: { type: 'exponential', delay: 300 } });
  await smtp.mailTo('orphan@example.org', undefined, 10_000);
  const { mailer } = notificationsService(node.ctx);
  await waitFor('the orphan to show as sent', async () => (await mailer.outbox.get(rows[0].id))?.state === 'sent');
});

test('a mail sent but not recorded (the database failed just then) is not sent again', async () => {
  const { mailer } = notificationsService(node.ctx);
  const outbox = mailer.outbox;
  const markSent = outbox.markSent.bind(outbox);
  let failures = 0;
  outbox.markSent = async (...args) => {
    if (failures++ === 0) throw new Error('connection terminated unexpectedly');
    return markSent(...args);
  };
  try {
    const row = await mailer.queue({ to: 'recorded@example.org', subject: 'Recorded', text: 'Hello', kind: 'test' });
    await waitFor('the mail to show as sent', async () => (await outbox.get(row.id))?.state === 'sent');
    await node.waitJobs();
    assert.ok(failures >= 2, 'the first record failed, a later one worked');
    assert.equal(smtp.mailsTo('recorded@example.org').length, 1);
  } finally {
    outbox.markSent = markSent;
  }
});

test("an unsent link mail is dropped once its link expired: its text is gone, it stays failed, an admin cannot resend it", async () => {
  const { mailer } = notificationsService(node.ctx);
  const insert = async (kind: string, state: string, age: string) => {
    const [rows] = (await node.ctx.db.query(
      `INSERT INTO notifications_mails (kind, to_address, subject, body_text, body_html, state, created_at, updated_at)
       VALUES (:kind, 'late@example.org', 'Late', 'https://x/reset-password?token=secret', '<p>secret</p>', :state, now() - CAST(:age AS interval), now()) RETURNING id`,
      { replacements: { kind, state, age } },
    )) as [{ id: string }[], unknown];
    return rows[0].id;
  };
  const expiredReset = await insert('password-reset', 'failed', '2 hours');
  const expiredVerify = await insert('verify-email', 'queued', '3 days');
  const freshVerify = await insert('verify-email', 'failed', '1 hour');
  const oldNotice = await insert('test', 'failed', '3 days');
  await mailer.sweep();
  for (const id of [expiredReset, expiredVerify]) {
    const row = await mailer.outbox.get(id);
    assert.deepEqual([row?.state, row?.body_text, row?.body_html, row?.next_attempt_at], ['failed', null, null, null]);
    assert.match(row!.last_error!, /link .*expired/);
    const retried = await node.api('POST', `/api/v1/admin/mail/messages/${id}/retry`, { token: admin.token });
    assert.equal(retried.status, 409);
    assert.equal(retried.body.code, 'mail_expired');
  }
  assert.ok((await mailer.outbox.get(freshVerify))?.body_text, 'a link that still works is kept to be sent');
  assert.ok((await mailer.outbox.get(oldNotice))?.body_text, 'a mail without a link is kept for the admin to retry');
  await node.ctx.db.query(`DELETE FROM notifications_mails WHERE id IN ('${freshVerify}', '${oldNotice}')`);
});

test('only admins see and retry mail', async () => {
  const listener = await node.user('listener');
  for (const [method, path] of [
    ['GET', '/api/v1/admin/mail'],
    ['GET', '/api/v1/admin/mail/messages'],
    ['POST', '/api/v1/admin/mail/test'],
    ['POST', '/api/v1/admin/mail/messages/00000000-0000-4000-8000-000000000000/retry'],
  ]) {
    const body = method === 'POST' ? {} : undefined;
    assert.equal((await node.api(method, path, { token: listener.token, body })).status, 403, `${method} ${path}`);
    assert.equal((await node.api(method, path, { body })).status, 401, `${method} ${path}`);
  }
  const bad = await node.api('GET', '/api/v1/admin/mail/messages?state=lost', { token: admin.token });
  assert.equal(bad.status, 400);
  const noAddress = await node.api('POST', '/api/v1/admin/mail/test', { token: admin.token, body: {} });
  assert.equal(noAddress.status, 400);
  assert.equal(noAddress.body.code, 'no_address');
});

test('without an SMTP host mail is off: the status says so, queueing refuses with mail_disabled', async () => {
  const offAdmin = await mailOff.user('admin');
  const status = await mailOff.api('GET', '/api/v1/admin/mail', { token: offAdmin.token });
  assert.equal(status.status, 200);
  assert.equal(status.body.enabled, false);
  assert.equal(status.body.host, null);
  assert.equal(mailOff.ctx.services.notifications.enabled(), false);
  await assert.rejects(mailOff.ctx.services.notifications.queue({ to: 'a@example.org', subject: 's', text: 't', kind: 'test' }), MailDisabled);
  const test = await mailOff.api('POST', '/api/v1/admin/mail/test', { token: offAdmin.token, body: { to: 'a@example.org' } });
  assert.equal(test.status, 503);
  assert.equal(test.body.code, 'mail_disabled');
  assert.match(test.body.detail, /ask an admin/);

  const on = await node.api('GET', '/api/v1/admin/mail', { token: admin.token });
  assert.deepEqual({ enabled: on.body.enabled, host: on.body.host, security: on.body.security, from: on.body.from }, { enabled: true, host: '127.0.0.1', security: 'none', from: '9ten test <noreply@node.test>' });
});

test('mail settings are checked at start, each mistake named', () => {
  const fails = (mail: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(() => loadConfig({ ignoreEnv: true, overrides: { mail } }), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));
  fails({ smtp: { host: 'smtp.example.org' } }, /mail\.from: required when mail\.smtp\.host is set/);
  fails({ smtp: { host: 'smtp.example.org' }, from: 'not an address' }, /mail\.from: "not an address" is not an address/);
  fails({ smtp: { host: 'smtp.example.org', secure: true, requireTLS: true }, from: 'a@b.org' }, /mail\.smtp\.requireTLS: not with secure/);
  fails({ smtp: { host: 'smtp.example.org', user: 'me' }, from: 'a@b.org' }, /mail\.smtp\.pass: SMTP login needs both/);
  fails({ smtp: { host: 'smtp.example.org', port: 99999 }, from: 'a@b.org' }, /mail\.smtp\.port/);
  fails({ smtp: { host: 'smtp.example.org', secure: true }, from: 'a@b.org' }, /mail\.smtp\.secure: .*port 587.*465/);
  fails({ smtp: { host: 'smtp.example.org', port: 465 }, from: 'a@b.org' }, /mail\.smtp\.port: 465 .*secure/);
  assert.throws(() => loadConfig({ env: { EMAIL_VERIFICATION: 'sometimes' } }), /auth\.emailVerification/);

  const fromEnv = loadConfig({
    env: { SMTP_HOST: 'smtp.example.org', SMTP_PORT: '465', SMTP_SECURE: 'true', SMTP_USER: 'u', SMTP_PASS: 'p', MAIL_FROM: '9ten <noreply@music.example.org>', EMAIL_VERIFICATION: 'required' },
  });
  assert.equal(fromEnv.mail.enabled, true);
  assert.deepEqual([fromEnv.mail.smtp.port, fromEnv.mail.smtp.secure, fromEnv.mail.smtp.user], [465, true, 'u']);
  assert.equal(fromEnv.auth.emailVerification, 'required');
  const relay = loadConfig({ env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: '25', SMTP_IGNORE_TLS: 'true', SMTP_TLS_REJECT_UNAUTHORIZED: 'false', MAIL_FROM: 'noreply@music.example.org' } });
  assert.deepEqual([relay.mail.smtp.ignoreTLS, relay.mail.smtp.tlsRejectUnauthorized], [true, false]);
  const defaults = loadConfig({ ignoreEnv: true });
  assert.equal(defaults.mail.enabled, false, 'off when no host is set');
  assert.equal(defaults.auth.emailVerification, 'optional');
  assert.equal(defaults.auth.passwordResetLinkSeconds, 3600);
});
