// A moderator's measures on an account (accounts.setStanding): silenced accounts sign in and
// listen but every write behind a role check that does not admit listeners (publishing) is
// refused with 403 account_silenced; suspended accounts lose their sessions and cannot sign in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';

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

  await accounts.setStanding(artist.user.id, { silenced: false });
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
