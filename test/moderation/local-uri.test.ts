// This node's URL spelled another way (upper case, an explicit default port, 0x7f000001 for
// 127.0.0.1) still names this node: a report through such a URI is about the local object
// (the staff rule and the own-content rule hold), no moderator can block the node's own domain
// through it, and neither can an admin directly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { isLocalHost, isLocalUri } from '../../shared/local-uri.js';

let node: TestNode;
const as = (u: { token: string }, body?: unknown) => ({ token: u.token, body });
before(async () => {
  node = await startTestNode({ name: 'moderation-local-uri' });
});
after(async () => {
  await node?.stop();
});

test('the spellings of a URL that name the same host and port', () => {
  const pub = 'https://music.example.org';
  for (const uri of ['https://MUSIC.example.org/ap/x', 'https://music.example.org:443/ap/x', 'http://music.example.org:443/ap/x', 'https://music.example.org./ap/x', 'https://u@music.example.org/ap/x'])
    assert.ok(isLocalUri(pub, uri), uri);
  for (const uri of ['https://music.example.org.evil/ap/x', 'https://music.example.org:8443/ap/x', 'https://other.example.org/ap/x', 'not a url'])
    assert.ok(!isLocalUri(pub, uri), uri);
  assert.ok(isLocalUri('http://127.0.0.1:3000', 'http://0x7f000001:3000/ap/x'));
  assert.ok(isLocalUri('http://127.0.0.1:3000', 'http://2130706433:3000/ap/x'));
  assert.ok(!isLocalUri('http://127.0.0.1:3000', 'http://127.0.0.1:3001/ap/x'));
  assert.ok(isLocalHost(pub, 'Music.Example.org'));
  assert.ok(isLocalHost(pub, 'music.example.org:443'));
  assert.ok(!isLocalHost(pub, 'example.org:443'));
  assert.ok(isLocalHost('http://127.0.0.1:3000', '0x7f000001'));
  assert.ok(!isLocalHost('http://127.0.0.1:3000', '127.0.0.1:3001'));
});

test('a report naming this node by another spelling is about the local object; its domain cannot be blocked', async () => {
  const admin = await node.user('admin');
  const moderator = await node.user('moderator');
  const fan = await node.user('listener', 'fan_lu');
  const band = await makeArtist(node, 'lu_band');
  const { host, port } = new URL(node.ctx.config.publicUrl);
  const variant = (path: string) => `http://0x7f000001:${port}${path}`;
  const follow = await node.api('POST', '/api/v1/federation/follows', as(fan, { handle: `lu_band@${host}` }));
  assert.ok(follow.status < 300, follow.text);
  const follows = async () => (await node.ctx.db.query('SELECT follower_uri, following_uri FROM federation_follows ORDER BY 1', { type: 'SELECT' as never })) as unknown[];
  const before = await follows();

  // Nothing of this node by that name: 404 (it was looked up as another server's before).
  const none = await node.api('POST', '/api/v1/reports', as(moderator, { target: { uri: variant('/ap/channels/nobody_here') }, category: 'spam', reason: 'spam spam' }));
  assert.equal(none.status, 404, none.text);

  // The channel by another spelling is the local channel: no domain to block.
  const r = await node.api('POST', '/api/v1/reports', as(moderator, { target: { uri: variant('/ap/channels/lu_band') }, category: 'spam', reason: 'spam spam' }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.target.host, null);
  assert.equal(r.body.target.id, band.channel.id);
  const b = await node.api('POST', `/api/v1/admin/moderation/reports/${r.body.id}/actions`, as(moderator, { action: 'block-domain', note: 'x' }));
  assert.equal(b.status, 400, b.text);
  assert.deepEqual(await follows(), before);

  // The artist reports their own channel by another spelling: their own content.
  const own = await node.api('POST', '/api/v1/reports', as(band, { target: { uri: `http://2130706433:${port}/ap/channels/lu_band` }, category: 'spam', reason: 'mine' }));
  assert.equal(own.status, 400, own.text);
  assert.equal(own.body.code, 'own_content');

  // A report about the admin's account: a report about staff, not in a moderator's queue.
  const aboutAdmin = await node.api('POST', '/api/v1/reports', as(fan, { target: { uri: variant(`/ap/users/${admin.user.username}`) }, category: 'abuse', reason: 'about the admin' }));
  assert.equal(aboutAdmin.status, 201, aboutAdmin.text);
  assert.equal(aboutAdmin.body.target.host, null);
  const queue = await node.api('GET', '/api/v1/admin/moderation/reports?limit=50', as(moderator));
  assert.ok(!queue.body.data.some((x: { id: string }) => x.id === aboutAdmin.body.id));
  const remote = (await node.ctx.db.query('SELECT uri FROM federation_remote_actors', { type: 'SELECT' as never })) as unknown[];
  assert.deepEqual(remote, [], 'no actor of this node is kept as a remote one');

  // Blocking the node's own host (however spelled) or one of its actors: 409, nothing deleted.
  for (const body of [
    { kind: 'domain', value: host },
    { kind: 'domain', value: `0x7f000001:${port}` },
    { kind: 'domain', value: '127.0.0.1' },
    { kind: 'actor', value: variant('/ap/channels/lu_band') },
  ]) {
    const res = await node.api('POST', '/api/v1/federation/admin/blocks', as(admin, body));
    assert.equal(res.status, 409, `${JSON.stringify(body)}: ${res.text}`);
  }
  assert.deepEqual(await follows(), before);
  const blocks = (await node.ctx.db.query('SELECT value FROM federation_blocks', { type: 'SELECT' as never })) as unknown[];
  assert.deepEqual(blocks, []);
  // describeRemote refuses this node's objects, however named.
  assert.equal(await node.ctx.services.federation.describeRemote(variant('/ap/channels/lu_band')), undefined);
});
