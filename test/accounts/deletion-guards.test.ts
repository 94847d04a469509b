// The guards around deleting an account, on one real node sending mail to a real SMTP server on
// loopback: the last admins cannot both go at once (nor demote each other), an account being
// deleted stays closed whatever an admin or a stale credential tries, the outbox forgets the
// address (the farewell mail once sent), a deleted account's activities are no longer served,
// and the password check does not depend on being allowed to log in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { accountsService } from '../../server/accounts/index.js';
import { accountDeletions } from '../../server/accounts/lifecycle/index.js';

let node: TestNode;
let smtp: TestSmtpServer;
let dir: string;
let admin: Awaited<ReturnType<TestNode['user']>>;

const q = async <T = any>(sql: string, replacements: Record<string, unknown> = {}) => ((await node.ctx.db.query(sql, { replacements })) as [T[], unknown])[0];
const enabledAdmins = async () => Number((await q<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND NOT disabled AND deleted_at IS NULL"))[0].n);
const deletionDone = (userId: string) =>
  waitFor('deletion done', async () => (await q<{ state: string }>('SELECT state FROM accounts_deletions WHERE user_id = :userId', { userId }))[0]?.state === 'done', 45_000);
const selfDelete = (u: Awaited<ReturnType<TestNode['user']>>) => node.api('DELETE', '/api/v1/users/me', { token: u.token, body: { password: u.password, confirm: u.user.username } });

/** Two admins, the only enabled ones (every other admin disabled; the fixture admin is enabled again after). */
async function lastTwoAdmins() {
  const x = await node.user('admin');
  const y = await node.user('admin');
  await q("UPDATE users SET disabled = true WHERE role = 'admin' AND id NOT IN (:x, :y)", { x: x.user.id, y: y.user.id });
  return [x, y];
}
const restoreFixtureAdmin = () => q('UPDATE users SET disabled = false WHERE id = :id', { id: admin.user.id });

/** Holds the deletion job before its first part until `release` is called. */
function holdDeletion() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const hooks = accountsService(node.ctx).deletingHooks;
  const hold = async () => void (await gate);
  hooks.push(hold);
  return () => {
    release();
    hooks.splice(hooks.indexOf(hold), 1);
  };
}

before(async () => {
  smtp = await TestSmtpServer.start();
  node = await startTestNode({ name: 'del-guards', overrides: { ...smtp.nodeConfig(), auth: { emailVerification: 'required' }, media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('del-guards');
  admin = await node.user('admin');
});
after(async () => {
  await node?.stop();
  await smtp?.close();
  if (dir) removeMediaDir(dir);
});

test('the last two admins deleting themselves at once: one goes, the other is told last_admin', async () => {
  for (let i = 0; i < 4; i++) {
    const [x, y] = await lastTwoAdmins();
    try {
      const answers = await Promise.all([selfDelete(x), selfDelete(y)]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [202, 409], answers.map((r) => r.text).join(' / '));
      assert.equal(answers.find((r) => r.status === 409)!.body.code, 'last_admin');
      assert.equal(await enabledAdmins(), 1, 'one enabled admin is left');
    } finally {
      await restoreFixtureAdmin();
    }
  }
});

/** One of two crossed changes went through; the other was refused: last_admin, or its admin was closed by the first one (account_disabled). */
function oneWent(answers: { status: number; text: string; body: any }[], ok: number) {
  const refused = answers.filter((r) => r.status !== ok);
  assert.equal(refused.length, 1, answers.map((r) => r.text).join(' / '));
  // Refused by the guard, or (the other's deletion already went through) because the asker's own
  // account is closed: its session ended (401) or it is marked deleted (403).
  assert.ok(['last_admin', 'account_disabled', 'account_deleted', 'unauthorized'].includes(refused[0].body.code), refused[0].text);
  assert.notEqual(refused[0].status, 500);
}

test('two admins deleting each other at once: one goes, the other is refused, never a 500', async () => {
  for (let i = 0; i < 4; i++) {
    const [x, y] = await lastTwoAdmins();
    try {
      const answers = await Promise.all([
        node.api('DELETE', `/api/v1/admin/users/${y.user.id}`, { token: x.token }),
        node.api('DELETE', `/api/v1/admin/users/${x.user.id}`, { token: y.token }),
      ]);
      oneWent(answers, 202);
      assert.equal(await enabledAdmins(), 1);
    } finally {
      await restoreFixtureAdmin();
    }
  }
});

test('two admins demoting or disabling each other at once: one change goes through, one admin is left', async () => {
  for (const body of [{ role: 'listener' }, { disabled: true }, { role: 'listener' }, { disabled: true }]) {
    const [x, y] = await lastTwoAdmins();
    try {
      const answers = await Promise.all([
        node.api('PATCH', `/api/v1/admin/users/${y.user.id}`, { token: x.token, body }),
        node.api('PATCH', `/api/v1/admin/users/${x.user.id}`, { token: y.token, body }),
      ]);
      oneWent(answers, 200);
      assert.equal(await enabledAdmins(), 1);
    } finally {
      await restoreFixtureAdmin();
    }
  }
});

test('an account being deleted, or deleted, cannot be enabled again, nor signed into by any door', async () => {
  const l = await node.user('listener');
  const app = await accountsService(node.ctx).apiKeys.create(l.user.id, { name: 'player' });
  const release = holdDeletion();
  try {
    const del = await selfDelete(l);
    assert.equal(del.status, 202, del.text);
    const enable = await node.api('PATCH', `/api/v1/admin/users/${l.user.id}`, { token: admin.token, body: { disabled: false } });
    assert.equal(enable.status, 409, enable.text);
    assert.equal(enable.body.code, 'account_deleted');
    const lift = await node.api('PUT', `/api/v1/admin/moderation/accounts/${l.user.id}/standing`, { token: admin.token, body: { suspended: false, note: 'lift' } });
    assert.equal(lift.status, 409, lift.text);
    await assert.rejects(node.ctx.services.accounts.setStanding(l.user.id, { suspended: false }), (err: any) => err.code === 'account_deleted');
    const listed = (await node.api('GET', '/api/v1/admin/users?limit=200', { token: admin.token })).body.data.find((u: any) => u.id === l.user.id);
    assert.equal(listed.deleted, true, 'the admin page is told (it offers no Enable)');

    // Were the account enabled by some other path, every door stays shut while it is being deleted.
    await q('UPDATE users SET disabled = false WHERE id = :id', { id: l.user.id });
    const login = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: l.user.username, password: l.password } });
    assert.equal(login.status, 403, login.text);
    assert.equal(login.body.code, 'account_deleted');
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    await q(
      `INSERT INTO auth_tokens (token_hash, kind, user_id, expires_at) VALUES (:a, 'access', :u, now() + interval '1 hour'), (:r, 'refresh', :u, now() + interval '1 hour')`,
      { a: sha('stale-access'), r: sha('stale-refresh'), u: l.user.id },
    );
    assert.equal((await node.api('GET', '/api/v1/users/me', { token: 'stale-access' })).status, 403);
    const refresh = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'refresh_token', refresh_token: 'stale-refresh' } });
    assert.equal(refresh.status, 400, refresh.text);
    await q("INSERT INTO api_keys (user_id, name, key_hash, key_sealed) VALUES (:u, 'stale', :h, '\\x00')", { u: l.user.id, h: sha(app.key) });
    assert.deepEqual(await node.ctx.services.accounts.authenticateApp({ apiKey: app.key }), { ok: false, reason: 'account_disabled' });
  } finally {
    release();
  }
  await deletionDone(l.user.id);
  const back = await node.api('PATCH', `/api/v1/admin/users/${l.user.id}`, { token: admin.token, body: { disabled: false, password: 'a brand new password' } });
  assert.equal(back.status, 409, back.text);
  assert.equal(back.body.code, 'account_deleted');
  const [row] = await q('SELECT disabled, password_hash FROM users WHERE id = :id', { id: l.user.id });
  assert.deepEqual([row.disabled, row.password_hash], [true, '!deleted']);
});

test("the mail outbox forgets the deleted account's addresses; the farewell mail is blanked once sent", async () => {
  const l = await node.user('listener');
  await q("UPDATE users SET email = 'gone@example.org', pending_email = 'next@example.org' WHERE id = :id", { id: l.user.id });
  await q(
    `INSERT INTO notifications_mails (kind, to_address, subject, state, body_text) VALUES
       ('verify-email', 'Gone@Example.org', :s, 'sent', NULL),
       ('verify-email', 'next@example.org', :s, 'failed', 'a link'),
       ('notification', 'gone@example.org', :s, 'queued', 'hello'),
       ('notification', 'someone@example.org', 'For someone else', 'sent', NULL)`,
    { s: `Welcome ${l.user.username}` },
  );
  const del = await node.api('DELETE', `/api/v1/admin/users/${l.user.id}`, { token: admin.token });
  assert.equal(del.status, 202, del.text);
  await deletionDone(l.user.id);
  const farewell = await smtp.mailTo('gone@example.org', /is being deleted/);
  assert.match(farewell.subject, new RegExp(l.user.username));
  await waitFor('farewell blanked', async () => (await q("SELECT 1 FROM notifications_mails WHERE kind = 'account-deleted' AND state = 'sent' AND to_address = ''")).length > 0);
  const named = await q(
    "SELECT kind, state, to_address FROM notifications_mails WHERE lower(to_address) IN ('gone@example.org', 'next@example.org') OR subject LIKE :s",
    { s: `%${l.user.username}%` },
  );
  assert.deepEqual(named, [], 'no row names the address or the old username');
  assert.equal((await q("SELECT 1 FROM notifications_mails WHERE body_text IS NOT NULL AND to_address = ''")).length, 0, 'nothing left to send to no one');
  assert.equal((await q("SELECT 1 FROM notifications_mails WHERE to_address = 'someone@example.org'")).length, 1, "others' mails stay");
});

test("a deleted account's activities are no longer served at /ap/activities/:id (its Deletes are)", async () => {
  const other = await makeArtist(node, 'staying_band');
  const up = await upload(node, other.token, other.channel.id, await makeAudio(dir, { seconds: 3, tags: { title: 'Staying Song' } }));
  assert.equal(up.status, 200, up.text);
  await waitTrack(node, other.token, up.body.trackId);
  const l = await node.user('listener');
  const shared = await node.api('POST', '/api/v1/federation/announces', { token: l.token, body: { object: `${node.ctx.config.publicUrl}/ap/tracks/${up.body.trackId}` } });
  assert.equal(shared.status, 201, shared.text);
  const [announce] = await q<{ id: string }>("SELECT o.id FROM federation_outbox o WHERE o.type = 'Announce' AND o.uri = :uri", { uri: shared.body.uri });
  const served = (id: string) => fetch(`${node.url}/ap/activities/${id}`, { headers: { accept: 'application/activity+json' } }).then((r) => r.status);
  assert.equal(await served(announce.id), 200);
  const del = await node.api('DELETE', `/api/v1/admin/users/${l.user.id}`, { token: admin.token });
  assert.equal(del.status, 202, del.text);
  await deletionDone(l.user.id);
  assert.equal(await served(announce.id), 404);
  const [gone] = await q<{ id: string }>("SELECT o.id FROM federation_outbox o JOIN federation_local_actors a ON a.uri = o.actor_uri WHERE a.ref_id = :id AND o.type = 'Delete'", { id: l.user.id });
  assert.equal(await served(gone.id), 200, 'the Delete stays public');
});

test('the password check of a deletion is not a login: an account awaiting its address confirmation can delete itself', async () => {
  const l = await node.user('listener');
  await q("UPDATE users SET email = 'unconfirmed@example.org', email_verified = false WHERE id = :id", { id: l.user.id });
  const login = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: l.user.username, password: l.password } });
  assert.equal(login.body.code, 'email_not_verified', 'this account could not log in');
  const wrong = await node.api('DELETE', '/api/v1/users/me', { token: l.token, body: { password: 'not it', confirm: l.user.username } });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.body.code, 'wrong_password');
  const del = await selfDelete(l);
  assert.equal(del.status, 202, del.text);
  await deletionDone(l.user.id);
});

test('a deletion whose job was lost (a restore into an empty Redis) is queued again by the sweep and finishes', async () => {
  const u = await node.user('listener');
  const accounts = node.ctx.jobs.queue('accounts');
  await accounts.pause();
  try {
    assert.equal((await selfDelete(u)).status, 202);
    // Redis loses the job; the database still says the deletion is queued.
    await accounts.obliterate({ force: true });
    assert.equal((await q<{ state: string }>('SELECT state FROM accounts_deletions WHERE user_id = :id', { id: u.user.id }))[0].state, 'queued');
    const deletions = accountDeletions(node.ctx);
    assert.deepEqual(await deletions.requeueLost(), { requeued: 1 });
    assert.deepEqual(await deletions.requeueLost(), { requeued: 0 }, 'a job that will run is left alone');
  } finally {
    await accounts.resume();
  }
  await deletionDone(u.user.id);
  assert.deepEqual(await accountDeletions(node.ctx).requeueLost(), { requeued: 0 });
});
