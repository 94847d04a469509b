// What keeps the inbox from being turned against its users, on a real node with a real SMTP
// server on loopback: a remote server following with a new account each time is one notice
// per server and hour (with the count); however many notices arrive, each user gets at most a
// budget of mails per kind and hour (then one saying the rest is in the app only); old read
// notices and all but the newest are pruned; a suspended account gets no notification mail
// but its account notices; a deleted account gets nothing; a deleted account's follows leave
// the notices others here got of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';
import { hostOf } from '../federation/support.js';
import { makeArtist } from '../media/support.js';
import { execute, selectOne } from '../../server/db/index.js';
import { federationService } from '../../server/federation/index.js';
import { notifyFollowed, remoteFollower } from '../../server/federation/notify.js';
import type { RemoteActor } from '../../server/federation/remote.js';
import { inboxOf } from '../../server/notifications/inbox/index.js';
import { mailBudgetPerHour } from '../../server/notifications/inbox/inbox.js';
import type { NotificationKind } from '../../server/events.js';

let smtp: TestSmtpServer;
let node: TestNode;
before(async () => {
  smtp = await TestSmtpServer.start();
  node = await startTestNode({ name: 'inbox-guards', overrides: smtp.nodeConfig() });
});
after(async () => {
  await node?.stop();
  await smtp?.close();
});

async function withAddress<T extends { user: { id: string; username: string } }>(u: T): Promise<T & { address: string }> {
  const address = `${u.user.username.toLowerCase()}@example.org`;
  await execute(node.ctx.db, 'UPDATE users SET email = :address, email_verified = true WHERE id = :id', { id: u.user.id, address });
  return { ...u, address };
}

const count = async (sql: string, params: Record<string, unknown>) => Number((await selectOne<{ n: string }>(node.ctx.db, sql, params))!.n);
const rowsOf = (userId: string) => count('SELECT count(*) AS n FROM notifications_inbox WHERE user_id = :userId', { userId });
const mailsTo = (address: string) => count('SELECT count(*) AS n FROM notifications_mails WHERE to_address = :address', { address });
const tell = (userIds: string[], key: string, kind: NotificationKind = 'follower', title = `news ${key}`) => node.ctx.events.emit('user.notify', { userIds, kind, title, key });
const inbox = async (token: string) => (await node.api('GET', '/api/v1/me/notifications?limit=100', { token })).body as { total: number; data: { kind: string; title: string; url: string | null }[] };

/** An account on another server (never fetched: the notice is all this test needs). */
const remoteActor = (host: string, name: string): RemoteActor => ({
  uri: `https://${host}/users/${name}`, host, type: 'Person', preferredUsername: name, name: null, inbox: `https://${host}/users/${name}/inbox`,
  sharedInbox: null, outbox: null, followers: null, attributedTo: null, software: null, fetchedAt: new Date().toISOString(),
});

test('one server following with fifty new accounts is two notices (the first, then the count) and two mails; another server is told on its own', async () => {
  const artist = await withAddress(await makeArtist(node));
  const svc = federationService(node.ctx);
  const followed = (await svc.actors.forChannel(artist.channel.name))!;
  for (let i = 0; i < 50; i++) await notifyFollowed(svc, remoteFollower(remoteActor('flood.example', `bot${i}`)), followed);
  // The same account following again is not counted twice.
  await notifyFollowed(svc, remoteFollower(remoteActor('flood.example', 'bot7')), followed);
  // Another server's follower is told on its own.
  await notifyFollowed(svc, remoteFollower(remoteActor('quiet.example', 'fan')), followed);
  const page = await waitFor('the count to reach 50', async () => {
    const p = await inbox(artist.token);
    return p.data.some((n) => n.title === `50 accounts from flood.example follow Channel ${artist.channel.name}`) && p.total === 3 ? p : undefined;
  });
  assert.deepEqual(page.data.map((n) => n.title).sort(), [
    `50 accounts from flood.example follow Channel ${artist.channel.name}`,
    `@bot0@flood.example follows Channel ${artist.channel.name}`,
    `@fan@quiet.example follows Channel ${artist.channel.name}`,
  ]);
  await node.waitJobs();
  assert.equal(await mailsTo(artist.address), 3, 'the first follower, the grouped notice (once), the other server');
});

test('however many notices arrive, mail stays within the budget per kind and hour; the rest are in the app', async () => {
  const artist = await withAddress(await node.user('artist'));
  for (let i = 0; i < 50; i++) tell([artist.user.id], `flood-${i}`, 'follower');
  tell([artist.user.id], 'a-tip', 'tip', 'A tip, another kind');
  await waitFor('all stored', async () => (await rowsOf(artist.user.id)) === 51);
  await node.waitJobs();
  assert.equal(await mailsTo(artist.address), mailBudgetPerHour + 2, 'the budget, one saying the rest is in the app only, and the tip');
  const more = await smtp.mailTo(artist.address, /in the app only/);
  assert.match(more.text, /\/notifications/);
  await smtp.mailTo(artist.address, /A tip, another kind/);
  assert.equal((await inbox(artist.token)).total, 51, 'every one is in the app');
});

test('pruning keeps the newest notices of each user and drops read ones older than 90 days', async () => {
  const a = await node.user('listener');
  const b = await node.user('listener');
  for (let i = 0; i < 30; i++) tell([a.user.id], `p-${String(i).padStart(2, '0')}`);
  tell([b.user.id], 'b-old-read');
  tell([b.user.id], 'b-old-unread');
  tell([b.user.id], 'b-new-read');
  await waitFor('stored', async () => (await rowsOf(a.user.id)) === 30 && (await rowsOf(b.user.id)) === 3);
  await execute(node.ctx.db, "UPDATE notifications_inbox SET created_at = now() - make_interval(mins => 100 - CAST(substring(key from 3) AS int)) WHERE user_id = :u", { u: a.user.id });
  await execute(node.ctx.db, "UPDATE notifications_inbox SET created_at = now() - interval '100 days' WHERE user_id = :u AND key LIKE 'b-old%'", { u: b.user.id });
  await execute(node.ctx.db, "UPDATE notifications_inbox SET read_at = now() WHERE user_id = :u AND key LIKE '%-read'", { u: b.user.id });

  await inboxOf(node.ctx).store.prune({ keep: 20, readDays: 90 });
  assert.equal(await rowsOf(a.user.id), 20);
  assert.equal((await inbox(a.token)).data.at(-1)!.title, 'news p-10', 'the newest twenty stay');
  const left = await node.api('GET', '/api/v1/me/notifications', { token: b.token });
  assert.deepEqual(left.body.data.map((n: { title: string }) => n.title).sort(), ['news b-new-read', 'news b-old-unread']);
});

test('a suspended account gets no notification mail, except about its account', async () => {
  const suspended = await withAddress(await node.user('artist'));
  await node.ctx.services.accounts.setStanding(suspended.user.id, { suspended: true });
  tell([suspended.user.id], 'while-suspended', 'follower', 'Followed while suspended');
  tell([suspended.user.id], 'suspension', 'account', 'Your account is suspended');
  await smtp.mailTo(suspended.address, /Your account is suspended/);
  await waitFor('stored', async () => (await rowsOf(suspended.user.id)) === 2);
  await node.waitJobs();
  assert.deepEqual(smtp.mailsTo(suspended.address).map((m) => m.subject), ['Your account is suspended'], 'only the notice about the account');
});

test('a deleted account gets no notification', async () => {
  const admin = await node.user('admin');
  const gone = await withAddress(await node.user('listener'));
  const deleted = await node.api('DELETE', `/api/v1/admin/users/${gone.user.id}`, { token: admin.token });
  assert.equal(deleted.status, 202, deleted.text);
  await waitFor('deletion done', async () => (await node.api('GET', `/api/v1/admin/users/${gone.user.id}/deletion`, { token: admin.token })).body.state === 'done');
  tell([gone.user.id, admin.user.id], 'after-deletion', 'account', 'After the deletion');
  await waitFor('the admin told', async () => (await inbox(admin.token)).data.some((n) => n.title === 'After the deletion'));
  await node.waitJobs();
  assert.equal(await rowsOf(gone.user.id), 0, 'no row for a deleted account');
});

test("a deleted account's follows leave the notices the channels' owners here got of them", async () => {
  const admin = await node.user('admin');
  const artist = await makeArtist(node);
  const fan = await node.user('listener');
  const stays = await node.user('listener');
  for (const who of [fan, stays]) {
    const f = await node.api('POST', '/api/v1/federation/follows', { token: who.token, body: { handle: `${artist.channel.name}@${hostOf(node)}` } });
    assert.equal(f.status, 201, f.text);
  }
  await waitFor('both followers told', async () => (await inbox(artist.token)).total === 2);
  assert.equal((await node.api('DELETE', `/api/v1/admin/users/${fan.user.id}`, { token: admin.token })).status, 202);
  await waitFor('deletion done', async () => (await node.api('GET', `/api/v1/admin/users/${fan.user.id}/deletion`, { token: admin.token })).body.state === 'done');
  assert.deepEqual((await inbox(artist.token)).data.map((n) => n.title), [`@${stays.user.username} follows Channel ${artist.channel.name}`]);
});
