// A moderator's measures on an account (accounts.setStanding): silenced accounts sign in and
// listen but every write behind a role check that does not admit listeners (publishing) is
// refused with 403 account_silenced; suspended accounts lose their sessions and cannot sign in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Request, RequestHandler } from 'express';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { credit } from '../money/helpers.js';
import { requireRole } from '../../server/accounts/middleware.js';
import type { User } from '../../server/accounts/index.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'standing' });
});
after(async () => {
  await node?.stop();
});

test('a silenced artist cannot publish but can still read and listen; lifting it restores publishing', async () => {
  const artist = await makeArtist(node);
  const accounts = node.ctx.services.accounts;
  const silenced = await accounts.setStanding(artist.user.id, { silenced: true });
  assert.equal(silenced.silenced, true);
  assert.equal(silenced.disabled, false);

  const channel = await node.api('POST', '/api/v1/channels', { token: artist.token, body: { name: 'hushed_channel', displayName: 'Hushed' } });
  assert.equal(channel.status, 403);
  assert.equal(channel.body.code, 'account_silenced');
  const upload = await node.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: artist.channel.id, filename: 'x.mp3', size: 10 } });
  assert.equal(upload.body.code, 'account_silenced');

  const me = await node.api('GET', '/api/v1/users/me', { token: artist.token });
  assert.equal(me.status, 200);
  assert.equal(me.body.silenced, true);
  assert.equal((await node.api('GET', '/api/v1/me/channels', { token: artist.token })).status, 200, 'reading its own things still works');

  // Editing what is published is publishing too: a private track made public, a new title, a cover, the channel's page.
  const someTrack = '00000000-0000-4000-8000-000000000001';
  const edits = [
    await node.api('PATCH', `/api/v1/tracks/${someTrack}`, { token: artist.token, body: { visibility: 'public', title: 'Published while silenced' } }),
    await node.api('PUT', `/api/v1/tracks/${someTrack}/cover`, { token: artist.token, body: Buffer.from([0xff, 0xd8, 0xff, 0xe0]), headers: { 'content-type': 'image/jpeg' } }),
    await node.api('PATCH', `/api/v1/channels/${artist.channel.name}`, { token: artist.token, body: { displayName: 'Spam' } }),
  ];
  assert.deepEqual(edits.map((r) => [r.status, r.body?.code]), Array(3).fill([403, 'account_silenced']));

  await accounts.setStanding(artist.user.id, { silenced: false });
  const renamed = await node.api('PATCH', `/api/v1/channels/${artist.channel.name}`, { token: artist.token, body: { displayName: 'Back again' } });
  assert.equal(renamed.status, 200, renamed.text);
  const other = await makeArtist(node);
  assert.equal((await node.api('PATCH', `/api/v1/channels/${artist.channel.name}`, { token: other.token, body: { displayName: 'Not mine' } })).status, 403, 'still only the owner');
  assert.equal((await node.api('PATCH', `/api/v1/tracks/${someTrack}`, { token: artist.token, body: { title: 'x' } })).status, 404, 'past the check, the handler decides');
  const listener = await node.user('listener');
  assert.equal((await node.api('PATCH', `/api/v1/channels/${artist.channel.name}`, { token: listener.token, body: { displayName: 'x' } })).status, 403, 'a listener edits no channel');
  const again = await node.api('POST', '/api/v1/uploads', { token: artist.token, body: { channelId: artist.channel.id, filename: 'x.mp3', size: 10 } });
  assert.equal(again.status, 201, again.text);
});

test('a suspended account loses its sessions and cannot sign in until it is lifted', async () => {
  const listener = await node.user('listener');
  const accounts = node.ctx.services.accounts;
  const suspended = await accounts.setStanding(listener.user.id, { suspended: true });
  assert.deepEqual([suspended.disabled, suspended.silenced], [true, false], 'each measure apart');
  assert.equal((await node.api('GET', '/api/v1/users/me', { token: listener.token })).status, 401, 'its sessions ended');
  const login = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: listener.user.username, password: listener.password } });
  assert.equal(login.status, 403);
  assert.equal(login.body.code, 'account_disabled');

  await accounts.setStanding(listener.user.id, { suspended: false });
  const back = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: listener.user.username, password: listener.password } });
  assert.equal(back.status, 200);
  await assert.rejects(accounts.setStanding('00000000-0000-4000-8000-000000000000', { silenced: true }), /not found/);
});

test('silence stops publishing only: a silenced artist withdraws money, cancels an upload and manages its stream key', async () => {
  const artist = await makeArtist(node);
  const as = { token: artist.token };
  await credit(node, artist.user.id, 5000);
  const started = await node.api('POST', '/api/v1/uploads', { ...as, body: { channelId: artist.channel.id, filename: 'half.mp3', size: 10 } });
  assert.equal(started.status, 201, started.text);
  await node.ctx.services.accounts.setStanding(artist.user.id, { silenced: true });

  const withdrawal = await node.api('POST', '/api/v1/me/withdrawals', { ...as, body: { amount: 1000, destination: 'IBAN DE00 1234' } });
  assert.equal(withdrawal.status, 201, withdrawal.text);
  assert.equal((await node.api('DELETE', `/api/v1/uploads/${started.body.id}`, as)).status, 204, 'cancelling an upload');
  const live = `/api/v1/channels/${artist.channel.name}/live`;
  assert.equal((await node.api('POST', `${live}/key`, as)).status, 201, 'a new stream key (a push stays refused)');
  assert.equal((await node.api('DELETE', `${live}/key`, as)).status, 204, 'revoking the key');
  const stop = await node.api('POST', `${live}/stop`, as);
  assert.deepEqual([stop.status, stop.body.code], [409, 'not_live'], 'stopping gets past the check (nothing runs)');
  const link = await node.api('POST', `${live}/watch-links`, { ...as, body: { amount: 500 } });
  assert.notEqual(link.body.code, 'account_silenced', link.text);

  // Publishing is still refused.
  const refused = [
    await node.api('POST', '/api/v1/uploads', { ...as, body: { channelId: artist.channel.id, filename: 'new.mp3', size: 10 } }),
    await node.api('PATCH', live, { ...as, body: { title: 'Going live anyway' } }),
    await node.api('POST', `/api/v1/channels/${artist.channel.name}/campaigns`, { ...as, body: {} }),
  ];
  assert.deepEqual(refused.map((r) => [r.status, r.body?.code]), Array(3).fill([403, 'account_silenced']));
});

test('a moderator keeps an artist\'s rights (and a listener\'s): channels, uploads, earnings; silenced, it publishes nothing', async () => {
  const moderator = await node.user('moderator');
  const as = { token: moderator.token };
  const channel = await node.api('POST', '/api/v1/channels', { ...as, body: { name: 'mod_channel', displayName: 'A moderator who makes music' } });
  assert.equal(channel.status, 201, channel.text);
  const upload = await node.api('POST', '/api/v1/uploads', { ...as, body: { channelId: channel.body.id, filename: 'x.mp3', size: 10 } });
  assert.equal(upload.status, 201, upload.text);
  assert.equal((await node.api('GET', '/api/v1/me/earnings', as)).status, 200);
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/reports', as)).status, 200, 'and works the queue');

  // An artist made a moderator keeps its channel.
  const artist = await makeArtist(node);
  const admin = await node.user('admin');
  assert.equal((await node.api('PATCH', `/api/v1/admin/users/${artist.user.id}`, { token: admin.token, body: { role: 'moderator' } })).status, 200);
  const renamed = await node.api('PATCH', `/api/v1/channels/${artist.channel.name}`, { token: artist.token, body: { displayName: 'Still mine' } });
  assert.equal(renamed.status, 200, renamed.text);

  await node.ctx.services.accounts.setStanding(moderator.user.id, { silenced: true });
  const again = await node.api('POST', '/api/v1/uploads', { ...as, body: { channelId: channel.body.id, filename: 'y.mp3', size: 10 } });
  assert.deepEqual([again.status, again.body.code], [403, 'account_silenced']);
  assert.equal((await node.api('GET', '/api/v1/admin/moderation/reports', as)).status, 200, 'the queue is not publishing');
});

/** What a role check answers for a user and a method: undefined when it lets the request through, else the error's code. */
function decide(check: RequestHandler, user: Partial<User>, method: string): string | undefined {
  let passed: unknown = 'not called';
  check({ user, method } as Request, {} as never, (err?: unknown) => (passed = err));
  return passed === undefined ? undefined : ((passed as { code?: string }).code ?? String(passed));
}

test('silencing is about publishing: staff checks ignore it, an admin cannot be silenced', async () => {
  const silenced = (role: User['role']) => ({ id: 'u', role, silenced: true });
  assert.equal(decide(requireRole('moderator'), silenced('moderator'), 'PUT'), undefined, "a silenced moderator still works the queue");
  assert.equal(decide(requireRole('admin', 'auditor'), silenced('auditor'), 'POST'), undefined);
  assert.equal(decide(requireRole('admin'), silenced('admin'), 'PATCH'), undefined);
  assert.equal(decide(requireRole('artist'), silenced('artist'), 'POST'), 'account_silenced');
  assert.equal(decide(requireRole('artist'), silenced('artist'), 'GET'), undefined, 'reads stay open');
  assert.equal(decide(requireRole('moderator'), silenced('listener'), 'PUT'), 'forbidden');
  assert.equal(decide(requireRole('artist', { publishing: false }), silenced('artist'), 'POST'), undefined, 'a write that publishes nothing');
  assert.equal(decide(requireRole('artist', { publishing: false }), silenced('listener'), 'POST'), 'forbidden', 'still for artists only');

  // Roles nest: moderator ⊇ artist ⊇ listener; an auditor holds only its own.
  const plain = (role: User['role']) => ({ id: 'u', role, silenced: false });
  assert.equal(decide(requireRole('artist'), plain('moderator'), 'POST'), undefined);
  assert.equal(decide(requireRole('listener'), plain('artist'), 'POST'), undefined);
  assert.equal(decide(requireRole('moderator'), plain('artist'), 'GET'), 'forbidden');
  assert.equal(decide(requireRole('artist'), plain('auditor'), 'GET'), 'forbidden');
  assert.equal(decide(requireRole('artist'), silenced('moderator'), 'POST'), 'account_silenced', 'a silenced moderator publishes nothing');

  const accounts = node.ctx.services.accounts;
  const admin = await node.user('admin');
  const listener = await node.user('listener');
  await assert.rejects(accounts.setStanding(admin.user.id, { silenced: true }), (err: { status?: number; code?: string }) => err.status === 409 && err.code === 'admin_not_silenced');
  assert.equal((await accounts.byId(admin.user.id))?.silenced, false);

  // An admin row silenced before this rule (or by hand) keeps every admin write.
  await node.ctx.db.query(`UPDATE users SET silenced = true WHERE id = '${admin.user.id}'`);
  const edit = await node.api('PATCH', `/api/v1/admin/users/${listener.user.id}`, { token: admin.token, body: { displayName: 'Renamed by a silenced admin' } });
  assert.equal(edit.status, 200, edit.text);
  await node.ctx.db.query(`UPDATE users SET silenced = false WHERE id = '${admin.user.id}'`);

  // Nor does a silenced account become an admin while the measure stands.
  await accounts.setStanding(listener.user.id, { silenced: true });
  const promoted = await node.api('PATCH', `/api/v1/admin/users/${listener.user.id}`, { token: admin.token, body: { role: 'admin' } });
  assert.equal(promoted.status, 409);
  assert.equal(promoted.body.code, 'admin_not_silenced');
  assert.equal((await accounts.byId(listener.user.id))?.role, 'listener');
});
