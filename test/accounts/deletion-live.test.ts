// Deleting an account while its channel is live, with the node split as in production: a web
// process that runs the RTMP ingest and a worker process that runs the deletion job, sharing one
// database, one Redis and one data folder. The stream runs in the web process, where the job
// cannot reach it: the session ends itself once its channel's live settings are gone, and the
// job waits for that before media removes the channel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { waitFor } from '../helpers/wait.js';
import { startLiveNode, liveArtist, push, rtmpUrl, waitStream } from '../live/support.js';
import { moneyService } from '../../server/money/index.js';
import { accounts } from '../../server/money/books.js';
import { assertBooksBalanced } from '../money/helpers.js';

let web: TestNode;
let worker: TestNode;

before(async () => {
  web = await startLiveNode({ name: 'del-live-web', overrides: { role: 'web' } });
  worker = await startTestNode({
    name: 'del-live-worker',
    databaseName: new URL(web.databaseUrl).pathname.slice(1),
    dataDir: web.dataDir,
    keepDatabase: true,
    overrides: { role: 'worker', publicUrl: web.ctx.config.publicUrl },
  });
});
after(async () => {
  await worker?.stop();
  // The web node made the database and the data folder: it drops them, last.
  await web?.stop();
});

const streamRow = async (id: string) =>
  ((await web.ctx.db.query('SELECT state, end_reason, end_message, replay_track_id FROM live_streams WHERE id = :id', { replacements: { id } })) as [any[], unknown])[0][0];

test("an admin deletes a live artist's account: the stream running in the web process ends, and the deletion finishes", { timeout: 120_000 }, async () => {
  const admin = await web.user('admin');
  const artist = await liveArtist(web);
  // A watch link the artist funded from their wallet and no one opened: its credit comes back to the wallet.
  const balance = () => moneyService(web.ctx).books.balance(accounts.wallet(artist.user.id).key);
  await moneyService(web.ctx).adminCredit.topUp({ userId: artist.user.id, amount: 1000, idempotencyKey: `del-live:${artist.user.id}` });
  const link = await web.api('POST', `/api/v1/channels/${artist.channel.name}/live/watch-links`, { token: artist.token, body: { amount: 300 } });
  assert.equal(link.status, 201, link.text);
  assert.equal(await balance(), 700);
  // Replays on: the stream of a deleted account must still leave no track behind.
  assert.equal((await web.api('PATCH', `/api/v1/channels/${artist.channel.name}/live`, { token: artist.token, body: { keepReplays: true } })).status, 200);
  const publisher = push(rtmpUrl(web, artist.key), { seconds: 90 });
  try {
    const live = await waitStream(web, artist.token, artist.channel.name, 'live');
    const del = await web.api('DELETE', `/api/v1/admin/users/${artist.user.id}`, { token: admin.token });
    assert.equal(del.status, 202, del.text);
    const ended = await waitFor('stream ended', async () => {
      const row = await streamRow(live.id);
      return row.state === 'ended' && row;
    }, 30_000, 250);
    assert.equal(ended.end_reason, 'account_restricted');
    assert.match(ended.end_message, /deleted/);
    assert.equal(ended.replay_track_id, null, 'no replay is made of a deleted account');
    await waitFor('deletion done', async () => (await web.api('GET', `/api/v1/admin/users/${artist.user.id}/deletion`, { token: admin.token })).body.state === 'done', 60_000, 250);
    assert.equal(await balance(), 1000, 'the unopened link was taken back into the wallet');
    await assertBooksBalanced(web, admin.token);
    assert.notEqual(await Promise.race([publisher.exited, new Promise((r) => setTimeout(() => r('still pushing'), 10_000))]), 'still pushing', 'the publisher was disconnected');
  } finally {
    publisher.kill('SIGKILL');
  }
});
