// A silenced account publishes nothing: beside uploads and channels, no playlist others can see
// (made or changed, by the API or through the service Subsonic calls) and no boost (Announce).
// It keeps and makes private playlists, and may make a visible one private.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';

let node: TestNode;
const as = (u: { token: string }, body?: unknown) => ({ token: u.token, body });
before(async () => {
  node = await startTestNode({ name: 'moderation-silenced-publishing' });
});
after(async () => {
  await node?.stop();
});

test('a silenced account makes no visible playlist and boosts nothing', async () => {
  const lena = await node.user('listener', 'lena_sp');
  const shown = await node.api('POST', '/api/v1/playlists', as(lena, { title: 'Before', visibility: 'public' }));
  assert.equal(shown.status, 201, shown.text);
  await node.ctx.services.accounts.setStanding(lena.user.id, { silenced: true });

  for (const visibility of ['public', 'unlisted']) {
    const made = await node.api('POST', '/api/v1/playlists', as(lena, { title: 'Loud', visibility }));
    assert.equal(made.status, 403, made.text);
    assert.equal(made.body.code, 'account_silenced');
  }
  const renamed = await node.api('PATCH', `/api/v1/playlists/${shown.body.id}`, as(lena, { title: 'Renamed' }));
  assert.equal(renamed.status, 403, renamed.text);
  // The service Subsonic's createPlaylist/updatePlaylist call.
  const user = (await node.ctx.services.accounts.byId(lena.user.id))!;
  await assert.rejects(node.ctx.services.media.createPlaylist(user as never, { title: 'Via app', visibility: 'public' }), { code: 'account_silenced' });

  const hidden = await node.api('PATCH', `/api/v1/playlists/${shown.body.id}`, as(lena, { visibility: 'private' }));
  assert.equal(hidden.status, 200, hidden.text);
  const reshown = await node.api('PATCH', `/api/v1/playlists/${shown.body.id}`, as(lena, { visibility: 'public' }));
  assert.equal(reshown.status, 403, reshown.text);
  const kept = await node.api('POST', '/api/v1/playlists', as(lena, { title: 'Mine', visibility: 'private' }));
  assert.equal(kept.status, 201, kept.text);

  const boost = await node.api('POST', '/api/v1/federation/announces', as(lena, { object: 'https://elsewhere.example/tracks/1' }));
  assert.equal(boost.status, 403, boost.text);
  assert.equal(boost.body.code, 'account_silenced');
});
