// The account flows that go through the mailbox, against a real SMTP server on loopback:
// verification at sign-up (required: no login before it; optional: a mark), a new link on
// request, changing the address, password reset (single-use, expiring, the same answer for an
// unknown address, throttled), and a node without mail saying so instead of failing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { TestSmtpServer, linkToken } from '../helpers/smtp.js';

let smtp: TestSmtpServer;
/** auth.emailVerification required, mail on. */
let required: TestNode;
/** optional, mail on, tight mail-request limits. */
let optional: TestNode;
/** required, but no SMTP: nothing can be verified. */
let noMail: TestNode;

before(async () => {
  smtp = await TestSmtpServer.start();
  [required, optional, noMail] = await Promise.all([
    startTestNode({
      name: 'mailreq',
      // Address changes are counted apart from the client address here (that window is the optional node's test).
      overrides: { ...smtp.nodeConfig(), auth: { emailVerification: 'required', throttle: { mailRequestsPerAddress: { max: 100, windowSeconds: 3600 }, emailChangesPerAccount: { max: 3, windowSeconds: 3600 } } } },
    }),
    startTestNode({
      name: 'mailopt',
      overrides: { ...smtp.nodeConfig(), auth: { throttle: { mailRequestsPerAddress: { max: 5, windowSeconds: 3600 }, mailsPerRecipient: { max: 2, windowSeconds: 3600 } } } },
    }),
    startTestNode({ name: 'nomail', overrides: { auth: { emailVerification: 'required' } } }),
  ]);
});
after(async () => {
  await Promise.all([required?.stop(), optional?.stop(), noMail?.stop()]);
  await smtp?.close();
});

const password = 'long enough pw';
const signUp = (node: TestNode, username: string, email?: string) => node.api('POST', '/api/v1/users', { body: { username, password, ...(email ? { email } : {}) } });
const logIn = (node: TestNode, username: string, pw = password) => node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username, password: pw } });

test('verification required: sign-up needs an address, login waits for the link, the link works once', async () => {
  const noAddress = await signUp(required, 'vera_none');
  assert.equal(noAddress.status, 400);
  assert.equal(noAddress.body.code, 'email_required');

  const started = Date.now();
  const created = await signUp(required, 'vera', 'vera@example.org');
  assert.equal(created.status, 201, created.text);
  assert.ok(Date.now() - started < 3000, 'sign-up does not wait for the mail');
  assert.deepEqual(created.body.emailVerification, { state: 'sent', required: true });
  assert.equal(created.body.emailVerified, false);

  const refused = await logIn(required, 'vera');
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'email_not_verified');
  assert.match(refused.body.detail, /verify-email\/resend/);
  const wrongPassword = await logIn(required, 'vera', 'not the password');
  assert.equal(wrongPassword.body.code, 'invalid_grant', 'the verification state is told only to whoever knows the password');

  const mail = await smtp.mailTo('vera@example.org', /Confirm your e-mail address/);
  assert.match(mail.html, /href="http:\/\/127\.0\.0\.1:\d+\/verify-email\?token=/);
  const token = linkToken(mail, 'verify-email');
  const verified = await required.api('POST', '/api/v1/users/verify-email', { body: { token } });
  assert.equal(verified.status, 200, verified.text);
  assert.equal(verified.body.email, 'vera@example.org');
  const twice = await required.api('POST', '/api/v1/users/verify-email', { body: { token } });
  assert.equal(twice.status, 400);
  assert.equal(twice.body.code, 'invalid_token');

  const tokens = await logIn(required, 'vera');
  assert.equal(tokens.status, 200);
  const me = await required.api('GET', '/api/v1/users/me', { token: tokens.body.access_token });
  assert.equal(me.body.emailVerified, true);

  // Made by an admin: the admin vouches for the address, nothing is sent, login works.
  const admin = await required.user('admin');
  const byAdmin = await required.api('POST', '/api/v1/users', { token: admin.token, body: { username: 'vouched', password, email: 'vouched@example.org' } });
  assert.deepEqual(byAdmin.body.emailVerification, { state: 'not_sent', required: false });
  assert.equal((await logIn(required, 'vouched')).status, 200);
});

test('a new verification link on request: the same answer for any address; the new link works', async () => {
  await signUp(required, 'resend_me', 'resend@example.org');
  await smtp.mailTo('resend@example.org');
  const known = await required.api('POST', '/api/v1/users/verify-email/resend', { body: { email: 'Resend@Example.org' } });
  const unknown = await required.api('POST', '/api/v1/users/verify-email/resend', { body: { email: 'nobody-here@example.org' } });
  assert.equal(known.status, 202);
  assert.deepEqual([unknown.status, unknown.body], [known.status, known.body]);
  await required.waitJobs();
  const mails = await waitMails('resend@example.org', 2);
  assert.equal(smtp.mailsTo('nobody-here@example.org').length, 0);
  const verified = await required.api('POST', '/api/v1/users/verify-email', { body: { token: linkToken(mails[1], 'verify-email') } });
  assert.equal(verified.status, 200);
  assert.equal((await logIn(required, 'resend_me')).status, 200);
  const bad = await required.api('POST', '/api/v1/users/verify-email/resend', { body: { email: 'not an address' } });
  assert.equal(bad.status, 400);
});

test('verification required: a guest claiming an account gives an address and confirms it before using the account', async () => {
  const claim = (token: string, body: Record<string, string>) => required.api('POST', '/api/v1/users/me/claim', { token, body: { username: 'claimer', password, ...body } });
  const guest = await required.ctx.services.accounts.createGuest();
  const noAddress = await claim(guest.tokens.access_token, {});
  assert.equal(noAddress.status, 400);
  assert.equal(noAddress.body.code, 'email_required');

  const claimed = await claim(guest.tokens.access_token, { email: 'claimer@example.org' });
  assert.equal(claimed.status, 200, claimed.text);
  assert.deepEqual(claimed.body.emailVerification, { state: 'sent', required: true });
  const [rows] = (await required.ctx.db.query(`SELECT email_verified FROM users WHERE id = '${guest.user.id}'`)) as [{ email_verified: boolean | null }[], unknown];
  assert.equal(rows[0].email_verified, false, 'written with the claim itself');
  assert.equal((await required.api('GET', '/api/v1/users/me', { token: guest.tokens.access_token })).status, 401, "the guest's session ended");
  const refreshed = await required.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'refresh_token', refresh_token: guest.tokens.refresh_token } });
  assert.equal(refreshed.status, 400, 'nor can it be refreshed');
  assert.equal((await logIn(required, 'claimer')).body.code, 'email_not_verified');

  const link = linkToken(await smtp.mailTo('claimer@example.org', /Confirm/), 'verify-email');
  assert.equal((await required.api('POST', '/api/v1/users/verify-email', { body: { token: link } })).status, 200);
  assert.equal((await logIn(required, 'claimer')).status, 200);
});

test('what a sign-up is asked is public: verification required only where the node sends mail', async () => {
  const rules = async (node: TestNode) => (await node.api('GET', '/api/v1/users/sign-up-rules')).body;
  assert.deepEqual(await rules(required), { open: true, emailVerification: 'required' });
  assert.deepEqual(await rules(optional), { open: true, emailVerification: 'optional' });
  assert.deepEqual(await rules(noMail), { open: true, emailVerification: 'optional' }, 'no mail: nothing can be confirmed, an address is not asked for');
});

test("an admin confirms a user's address: an account waiting for its link logs in", async () => {
  assert.equal((await signUp(required, 'unmailed', 'unmailed@example.org')).status, 201);
  assert.equal((await logIn(required, 'unmailed')).body.code, 'email_not_verified');
  const admin = await required.user('admin');
  const user = (await required.ctx.services.accounts.byUsername('unmailed'))!;
  const patch = (id: string, body: unknown) => required.api('PATCH', `/api/v1/admin/users/${id}`, { token: admin.token, body });

  assert.equal((await patch(user.id, { emailVerified: false })).status, 400, 'confirming only');
  const listener = await required.user('listener');
  assert.equal((await required.api('PATCH', `/api/v1/admin/users/${user.id}`, { token: listener.token, body: { emailVerified: true } })).status, 403);
  const confirmed = await patch(user.id, { emailVerified: true });
  assert.equal(confirmed.status, 200, confirmed.text);
  assert.equal(confirmed.body.emailVerified, true);
  assert.equal((await logIn(required, 'unmailed')).status, 200);

  const noAddress = await required.user('listener');
  const refused = await patch(noAddress.user.id, { emailVerified: true });
  assert.deepEqual([refused.status, refused.body.code], [409, 'no_email']);
});

test('a password reset ends the apps too: the old API keys stop working', async () => {
  const user = await required.user('listener', 'keyholder');
  await required.ctx.db.query(`UPDATE users SET email = 'keyholder@example.org' WHERE id = '${user.user.id}'`);
  const key = await required.api('POST', '/api/v1/me/api-keys', { token: user.token, body: { name: 'my player' } });
  assert.equal(key.status, 201, key.text);
  const ping = async (apiKey: string) => (await required.api('GET', `/rest/ping.view?apiKey=${encodeURIComponent(apiKey)}&f=json&v=1.16.1&c=test`)).body['subsonic-response'].status;
  assert.equal(await ping(key.body.key), 'ok');

  assert.equal((await required.api('POST', '/api/v1/users/password-reset', { body: { email: 'keyholder@example.org' } })).status, 202);
  const token = linkToken(await smtp.mailTo('keyholder@example.org', /Reset your password/), 'reset-password');
  const done = await required.api('POST', '/api/v1/users/password-reset/confirm', { body: { token, password: 'a brand new password' } });
  assert.equal(done.status, 200, done.text);
  assert.equal(await ping(key.body.key), 'failed', 'whoever took the account loses the apps it set up');
  const fresh = await logIn(required, 'keyholder', 'a brand new password');
  const keys = await required.api('GET', '/api/v1/me/api-keys', { token: fresh.body.access_token });
  assert.deepEqual(keys.body.data, []);
});

test('changing the address is limited per account (429 before the "taken" answer, so no address can be probed)', async () => {
  const user = await required.user('listener', 'hopper');
  for (let i = 0; i < 3; i++) {
    const moved = await required.api('PUT', '/api/v1/users/me/email', { token: user.token, body: { email: `hop${i}@example.net`, password: user.password } });
    assert.equal(moved.status, 200, moved.text);
  }
  const over = await required.api('PUT', '/api/v1/users/me/email', { token: user.token, body: { email: 'vera@example.org', password: user.password } });
  assert.equal(over.status, 429);
  assert.equal(over.body.limit, 'emailChange');
  assert.ok(Number(over.headers.get('retry-after')) > 0);
});

test('switching verification from optional to required locks out none of the accounts made before', async () => {
  const { auth } = required.ctx.config;
  auth.emailVerification = 'optional';
  try {
    assert.equal((await signUp(required, 'early_bird', 'early@example.org')).status, 201);
    const session = await logIn(required, 'early_bird');
    const moved = await required.api('PUT', '/api/v1/users/me/email', { token: session.body.access_token, body: { email: 'early2@example.org', password } });
    assert.deepEqual([moved.status, moved.body.email], [200, 'early2@example.org']);
  } finally {
    auth.emailVerification = 'required';
  }
  assert.equal((await logIn(required, 'early_bird')).status, 200, 'never asked to confirm (made and moved under optional): logs in as before');
  const late = await signUp(required, 'late_bird', 'late_bird@example.org');
  assert.deepEqual(late.body.emailVerification, { state: 'sent', required: true });
  assert.equal((await logIn(required, 'late_bird')).body.code, 'email_not_verified', 'made after the switch: asked');
});

/** The first `n` mails to an address, once they are there. */
async function waitMails(to: string, n: number) {
  const until = Date.now() + 20_000;
  while (smtp.mailsTo(to).length < n) {
    if (Date.now() > until) throw new Error(`${smtp.mailsTo(to).length} of ${n} mails to ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return smtp.mailsTo(to);
}

test('password reset: the same answer for unknown addresses, a single-use link, sessions end, the old password goes', async () => {
  const user = await required.user('listener', 'rosa');
  await required.ctx.db.query(`UPDATE users SET email = 'rosa@example.org' WHERE id = '${user.user.id}'`);

  const known = await required.api('POST', '/api/v1/users/password-reset', { body: { email: 'rosa@example.org' } });
  const unknown = await required.api('POST', '/api/v1/users/password-reset', { body: { email: 'nobody@example.org' } });
  assert.equal(known.status, 202);
  assert.deepEqual([unknown.status, unknown.body, unknown.headers.get('content-length')], [known.status, known.body, known.headers.get('content-length')]);

  const mail = await smtp.mailTo('rosa@example.org', /Reset your password/);
  assert.match(mail.text, /works once, for 1 hour/);
  const token = linkToken(mail, 'reset-password');
  await required.waitJobs();
  const [atRest] = (await required.ctx.db.query(
    `SELECT (SELECT count(*) FROM account_email_tokens WHERE token_hash = :t) + (SELECT count(*) FROM notifications_mails WHERE body_text LIKE :like) AS n`,
    { replacements: { t: token, like: `%${token}%` } },
  )) as [{ n: string }[], unknown];
  assert.equal(Number(atRest[0].n), 0, 'the link is kept only hashed, and the sent mail without its text');
  assert.equal(smtp.mailsTo('nobody@example.org').length, 0, 'nothing goes to an address without an account');

  const short = await required.api('POST', '/api/v1/users/password-reset/confirm', { body: { token, password: 'short' } });
  assert.equal(short.status, 400);
  assert.equal(short.body.code, 'invalid_input');
  const done = await required.api('POST', '/api/v1/users/password-reset/confirm', { body: { token, password: 'a brand new password' } });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.username, 'rosa');

  const reused = await required.api('POST', '/api/v1/users/password-reset/confirm', { body: { token, password: 'yet another password' } });
  assert.equal(reused.status, 400);
  assert.equal(reused.body.code, 'invalid_token');
  assert.equal((await required.api('GET', '/api/v1/users/me', { token: user.token })).status, 401, 'every session ended');
  assert.equal((await logIn(required, 'rosa', user.password)).status, 400, 'the old password is gone');
  const fresh = await logIn(required, 'rosa', 'a brand new password');
  assert.equal(fresh.status, 200);
  const me = await required.api('GET', '/api/v1/users/me', { token: fresh.body.access_token });
  assert.equal(me.body.emailVerified, true, 'the link reached the address: it counts as confirmed');
});

test('a reset link expires', async () => {
  const user = await required.user('listener', 'late');
  await required.ctx.db.query(`UPDATE users SET email = 'late@example.org' WHERE id = '${user.user.id}'`);
  await required.api('POST', '/api/v1/users/password-reset', { body: { email: 'late@example.org' } });
  const token = linkToken(await smtp.mailTo('late@example.org'), 'reset-password');
  await required.ctx.db.query(`UPDATE account_email_tokens SET expires_at = now() - interval '1 second' WHERE user_id = '${user.user.id}'`);
  const expired = await required.api('POST', '/api/v1/users/password-reset/confirm', { body: { token, password: 'a brand new password' } });
  assert.equal(expired.status, 400);
  assert.equal(expired.body.code, 'invalid_token');
  assert.equal((await logIn(required, 'late', user.password)).status, 200, 'the password is unchanged');
});

test('changing the address (verification required): the old one stays until the new one is confirmed', async () => {
  await signUp(required, 'mover', 'old@example.org');
  await required.api('POST', '/api/v1/users/verify-email', { body: { token: linkToken(await smtp.mailTo('old@example.org'), 'verify-email') } });
  const tokens = await logIn(required, 'mover');
  const auth = { token: tokens.body.access_token };

  const wrong = await required.api('PUT', '/api/v1/users/me/email', { ...auth, body: { email: 'new@example.org', password: 'not it at all' } });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.code, 'wrong_password');
  const taken = await required.api('PUT', '/api/v1/users/me/email', { ...auth, body: { email: 'vera@example.org', password } });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.code, 'email_taken');

  const changed = await required.api('PUT', '/api/v1/users/me/email', { ...auth, body: { email: 'new@example.org', password } });
  assert.equal(changed.status, 200, changed.text);
  assert.deepEqual([changed.body.email, changed.body.pendingEmail, changed.body.emailVerified], ['old@example.org', 'new@example.org', true]);
  assert.deepEqual(changed.body.emailVerification, { state: 'sent', required: true });
  const notice = await smtp.mailTo('old@example.org', /is changing/);
  assert.match(notice.text, /new@example\.org/);

  const link = await smtp.mailTo('new@example.org', /Confirm/);
  assert.equal((await required.api('POST', '/api/v1/users/verify-email', { body: { token: linkToken(link, 'verify-email') } })).status, 200);
  const me = await required.api('GET', '/api/v1/users/me', auth);
  assert.deepEqual([me.body.email, me.body.pendingEmail, me.body.emailVerified], ['new@example.org', null, true]);
  assert.equal((await logIn(required, 'mover')).status, 200, 'a confirmed change never locks the owner out');
});

test('verification optional: login works before the link; a change marks the new address unconfirmed; a link for an old address does nothing', async () => {
  const created = await signUp(optional, 'opal', 'opal@example.org');
  assert.deepEqual(created.body.emailVerification, { state: 'sent', required: false });
  const tokens = await logIn(optional, 'opal');
  assert.equal(tokens.status, 200, 'no need to verify first');
  const firstLink = linkToken(await smtp.mailTo('opal@example.org'), 'verify-email');

  const changed = await optional.api('PUT', '/api/v1/users/me/email', { token: tokens.body.access_token, body: { email: 'opal2@example.org', password } });
  assert.deepEqual([changed.body.email, changed.body.pendingEmail, changed.body.emailVerified], ['opal2@example.org', null, false]);
  const stale = await optional.api('POST', '/api/v1/users/verify-email', { body: { token: firstLink } });
  assert.equal(stale.status, 400, 'the link was for the address the account no longer has');
  assert.equal(stale.body.code, 'invalid_token');
  const link = linkToken(await smtp.mailTo('opal2@example.org'), 'verify-email');
  assert.equal((await optional.api('POST', '/api/v1/users/verify-email', { body: { token: link } })).status, 200);
  const me = await optional.api('GET', '/api/v1/users/me', { token: tokens.body.access_token });
  assert.equal(me.body.emailVerified, true);
});

test('mail requests are throttled per client address (429) and per recipient (silently: same answer, no mail)', async () => {
  const user = await optional.user('listener', 'flood');
  await optional.ctx.db.query(`UPDATE users SET email = 'flood@example.org' WHERE id = '${user.user.id}'`);
  // The window (5) holds one request already: the address change of the "verification optional" test.
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push((await optional.api('POST', '/api/v1/users/password-reset', { body: { email: 'flood@example.org' } })).status);
  assert.deepEqual(answers, [202, 202, 202, 202]);
  const over = await optional.api('POST', '/api/v1/users/password-reset', { body: { email: 'flood@example.org' } });
  assert.equal(over.status, 429);
  assert.equal(over.body.limit, 'mailRequest');
  assert.ok(Number(over.headers.get('retry-after')) > 0);
  await optional.waitJobs();
  await waitMails('flood@example.org', 2);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(smtp.mailsTo('flood@example.org').length, 2, 'mailsPerRecipient: 2');

  // An address change mails too: it counts in the same window.
  const change = await optional.api('PUT', '/api/v1/users/me/email', { token: user.token, body: { email: 'flood2@example.org', password: user.password } });
  assert.equal(change.status, 429);
  assert.equal(change.body.limit, 'mailRequest');
});

test('without mail: sign-up says verification is not possible and accounts work; reset and resend say mail is off', async () => {
  const created = await signUp(noMail, 'offline', 'offline@example.org');
  assert.equal(created.status, 201);
  assert.deepEqual(created.body.emailVerification, { state: 'mail_disabled', required: false });
  assert.equal((await signUp(noMail, 'offline_noaddr')).status, 201, 'no address needed when none can be verified');
  const tokens = await logIn(noMail, 'offline');
  assert.equal(tokens.status, 200, 'verification "required" cannot apply without mail');

  for (const path of ['/api/v1/users/password-reset', '/api/v1/users/verify-email/resend']) {
    const off = await noMail.api('POST', path, { body: { email: 'offline@example.org' } });
    assert.equal(off.status, 503, path);
    assert.equal(off.body.code, 'mail_disabled');
    assert.match(off.body.detail, /does not send e-mail.*ask an admin/);
  }
  const changed = await noMail.api('PUT', '/api/v1/users/me/email', { token: tokens.body.access_token, body: { email: 'elsewhere@example.org', password } });
  assert.equal(changed.status, 200);
  assert.deepEqual([changed.body.email, changed.body.emailVerified, changed.body.emailVerification.state], ['elsewhere@example.org', false, 'mail_disabled']);

  // "Ask an admin": the admin sets a new password, which ends the account's sessions.
  const admin = await noMail.user('admin');
  const key = await noMail.api('POST', '/api/v1/me/api-keys', { token: tokens.body.access_token, body: { name: 'phone' } });
  assert.equal(key.status, 201, key.text);
  const tooShort = await noMail.api('PATCH', `/api/v1/admin/users/${created.body.id}`, { token: admin.token, body: { password: 'short' } });
  assert.equal(tooShort.status, 400);
  const set = await noMail.api('PATCH', `/api/v1/admin/users/${created.body.id}`, { token: admin.token, body: { password: 'set by the admin' } });
  assert.equal(set.status, 200);
  assert.equal((await noMail.api('GET', '/api/v1/users/me', { token: tokens.body.access_token })).status, 401);
  assert.equal((await logIn(noMail, 'offline', 'set by the admin')).status, 200);
  // The apps' keys go too, as with a reset: whoever had the old password may have made one.
  const ping = await noMail.api('GET', `/rest/ping.view?f=json&apiKey=${encodeURIComponent(key.body.key)}`);
  assert.equal(ping.body['subsonic-response'].status, 'failed');
});
