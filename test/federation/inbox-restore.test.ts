// An activity received while nothing processed it (a web-only node, then a backup restored into
// an empty Redis) is processed when a worker starts: the sweep queues it again, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { federationService } from '../../server/federation/index.js';
import { freePort } from '../../server/db/embedded.js';
import { waitFor, hostOf, count } from './support.js';

test('a Follow received before a restore is processed when a worker starts, and only once', { timeout: 120_000 }, async () => {
  const b = await startTestNode({ name: 'restore-fan' });
  const port = await freePort();
  // A takes posts to its inbox but has no worker: the Follow is stored and its job waits.
  const a = await startTestNode({ name: 'restore-home', keepDatabase: true, port, overrides: { role: 'web' } });
  const dbName = new URL(a.databaseUrl).pathname.slice(1);
  let restored: TestNode | undefined;
  try {
    await makeArtist(a, 'restored_home');
    const fan = await b.user('listener', 'restore_fan');
    const res = await b.api('POST', '/api/v1/federation/follows', { token: fan.token, body: { handle: `restored_home@${hostOf(a)}` } });
    assert.equal(res.status, 201, res.text);
    await waitFor('the Follow stored on A', async () => (await count(a, 'federation_inbox_items', `type = 'Follow'`)) === 1);
    assert.equal(await count(a, 'federation_inbox_items', `type = 'Follow' AND state = 'received'`), 1);
    // Stopping empties the node's Redis, as a restore onto a fresh machine does.
    await a.stop();

    restored = await startTestNode({ name: 'restore-home', databaseName: dbName, dataDir: a.dataDir, port, overrides: { role: 'all' } });
    await waitFor('the Follow processed on A', async () => (await count(restored!, 'federation_inbox_items', `type = 'Follow' AND state = 'processed'`)) === 1);
    await waitFor('the follow accepted on B', async () =>
      (await b.api('GET', '/api/v1/federation/follows', { token: fan.token })).body.data.some((f: { state: string }) => f.state === 'accepted'),
    );
    // Nothing is left to queue, and an item whose job is still queued is not queued twice.
    const inbox = federationService(restored.ctx).inbox;
    assert.deepEqual(await inbox.requeueUnprocessed(), { requeued: 0 });
    const federation = restored.ctx.jobs.queue('federation');
    await federation.pause();
    try {
      await restored.ctx.db.query(`UPDATE federation_inbox_items SET state = 'received' WHERE type = 'Follow'`);
      // The processed item's finished job is still in Redis under its name: it must not swallow the new one.
      assert.deepEqual(await inbox.requeueUnprocessed(), { requeued: 1 });
      assert.deepEqual(await inbox.requeueUnprocessed(), { requeued: 0 });
      assert.equal((await federation.getJobCounts('waiting')).waiting, 1);
    } finally {
      await federation.resume();
    }
    await waitFor('processed again', async () => (await count(restored!, 'federation_inbox_items', `type = 'Follow' AND state = 'processed'`)) === 1);
    assert.equal(await count(restored, 'federation_follows', `state = 'accepted'`), 1, 'one follow, however often it was processed');
  } finally {
    await restored?.stop();
    await b.stop();
  }
});
