import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'accounts' });
});
after(async () => {
  await node?.stop();
});

test('sign up, log in with the password grant, read yourself, refresh, revoke', async () => {
  const signup = await node.api('POST', '/api/v1/users', { body: { username: 'lena', password: 'long enough pw', role: 'artist' } });
  assert.equal(signup.status, 201);
  assert.equal(signup.body.role, 'artist');
  assert.equal(signup.body.password_hash, undefined, 'hash never leaves the server');

  const form = new URLSearchParams({ grant_type: 'password', username: 'LENA', password: 'long enough pw' });
  const tok = await node.api('POST', '/api/v1/oauth/token', { body: form });
  assert.equal(tok.status, 200);
  assert.equal(tok.body.token_type, 'Bearer');
  assert.ok(tok.body.access_token.length > 30);

  const me = await node.api('GET', '/api/v1/users/me', { token: tok.body.access_token });
  assert.equal(me.status, 200);
  assert.equal(me.body.username, 'lena');

  const refreshed = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'refresh_token', refresh_token: tok.body.refresh_token } });
  assert.equal(refreshed.status, 200);
  const again = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'refresh_token', refresh_token: tok.body.refresh_token } });
  assert.equal(again.status, 400, 'a refresh token works once');

  const revoke = await node.api('POST', '/api/v1/oauth/revoke', { token: refreshed.body.access_token });
  assert.equal(revoke.status, 204);
  const after = await node.api('GET', '/api/v1/users/me', { token: refreshed.body.access_token });
  assert.equal(after.status, 401);
  assert.equal(after.headers.get('content-type'), 'application/problem+json; charset=utf-8');
});

test('bad sign-ups and logins get clear problem+json errors', async () => {
  const short = await node.api('POST', '/api/v1/users', { body: { username: 'x', password: 'short' } });
  assert.equal(short.status, 400);
  assert.equal(short.body.code, 'invalid_input');
  assert.match(short.body.detail, /username/);
  assert.match(short.body.detail, /password/);

  await node.api('POST', '/api/v1/users', { body: { username: 'taken_name', password: 'long enough pw' } });
  const dup = await node.api('POST', '/api/v1/users', { body: { username: 'Taken_Name', password: 'long enough pw' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.code, 'username_taken');

  const selfAdmin = await node.api('POST', '/api/v1/users', { body: { username: 'sneaky', password: 'long enough pw', role: 'admin' } });
  assert.equal(selfAdmin.status, 403);

  const wrong = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: 'lena', password: 'nope nope' } });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.code, 'invalid_grant');

  const malformed = await node.api('POST', '/api/v1/users', { body: '{"username":', headers: { 'content-type': 'application/json' } });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.code, 'malformed_body');

  const garbageToken = await node.api('GET', '/api/v1/users/me', { token: 'garbage' });
  assert.equal(garbageToken.status, 401);
});

test('roles are checked: only admins manage users; admins may create auditors', async () => {
  const admin = await node.user('admin');
  const listener = await node.user('listener');
  const denied = await node.api('GET', '/api/v1/admin/users', { token: listener.token });
  assert.equal(denied.status, 403);
  const anon = await node.api('GET', '/api/v1/admin/users');
  assert.equal(anon.status, 401);
  const list = await node.api('GET', '/api/v1/admin/users?role=listener', { token: admin.token });
  assert.equal(list.status, 200);
  assert.ok(list.body.data.every((u: { role: string }) => u.role === 'listener'));
  assert.ok(list.body.data.some((u: { id: string }) => u.id === listener.user.id));

  const auditor = await node.api('POST', '/api/v1/users', { token: admin.token, body: { username: 'audrey', password: 'long enough pw', role: 'auditor' } });
  assert.equal(auditor.status, 201);
  assert.equal(auditor.body.role, 'auditor');

  const disable = await node.api('PATCH', `/api/v1/admin/users/${listener.user.id}`, { token: admin.token, body: { disabled: true } });
  assert.equal(disable.status, 200);
  const locked = await node.api('GET', '/api/v1/users/me', { token: listener.token });
  assert.equal(locked.status, 401, 'tokens of a disabled user stop working');

  const selfDemote = await node.api('PATCH', `/api/v1/admin/users/${admin.user.id}`, { token: admin.token, body: { role: 'listener' } });
  assert.equal(selfDemote.status, 409);
});
