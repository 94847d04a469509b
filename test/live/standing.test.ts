// A suspended or silenced account publishes nothing live: its running stream ends when a
// moderator acts, and a new push with its (still valid) key is refused; lifted, it may push again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { startLiveNode, liveArtist, push, rtmpUrl, waitStream } from './support.js';

let node: TestNode;
let moderator: Awaited<ReturnType<TestNode['user']>>;
let admin: Awaited<ReturnType<TestNode['user']>>;
before(async () => {
  node = await startLiveNode({ name: 'live-standing' });
  moderator = await node.user('moderator');
  admin = await node.user('admin');
});
after(async () => node?.stop());

const standing = (userId: string, body: Record<string, unknown>) =>
  node.api('PUT', `/api/v1/admin/moderation/accounts/${userId}/standing`, { token: moderator.token, body: { note: 'test', ...body } });

test('suspending an artist ends their live stream and refuses their key until it is lifted', { timeout: 90_000 }, async () => {
  const artist = await liveArtist(node);
  const publisher = push(rtmpUrl(node, artist.key), { seconds: 60 });
  try {
    await waitStream(node, artist.token, artist.channel.name, 'live');
    assert.equal((await standing(artist.user.id, { suspended: true })).status, 200);
    // The artist's sessions ended with the suspension: an admin reads the channel's stream.
    const ended = await waitStream(node, admin.token, artist.channel.name, 'ended', 20_000);
    assert.equal(ended.endReason, 'account_restricted');
    assert.notEqual(await push(rtmpUrl(node, artist.key), { seconds: 5 }).exited, 0, 'a suspended account cannot push');
  } finally {
    publisher.kill('SIGKILL');
  }
  assert.equal((await standing(artist.user.id, { suspended: false })).status, 200);
  const again = push(rtmpUrl(node, artist.key), { seconds: 30 });
  try {
    const relogin = await node.api('POST', '/api/v1/oauth/token', { body: { grant_type: 'password', username: artist.user.username, password: artist.password } });
    await waitStream(node, relogin.body.access_token, artist.channel.name, 'live');
  } finally {
    again.kill('SIGKILL');
  }
});

test('a silenced artist cannot go live', { timeout: 60_000 }, async () => {
  const artist = await liveArtist(node);
  assert.equal((await standing(artist.user.id, { silenced: true })).status, 200);
  assert.notEqual(await push(rtmpUrl(node, artist.key), { seconds: 5 }).exited, 0, 'a silenced account cannot push');
  assert.equal((await node.api('GET', `/api/v1/channels/${artist.channel.name}/live`, { token: artist.token })).body.current, null);
});
