// An activity received while nothing processed it (a web-only node, then a backup restored into
// an empty Redis) is processed when a worker starts: the sweep queues it again, once. A
// processing that failed for good is processed when an admin retries its job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { federationService } from '../../server/federation/index.js';
import { freePort } from '../../server/db/embedded.js';
import { inboxJobId } from '../../server/federation/inbox-sweep.js';
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

    // Its processing fails for good (the database refuses to record it as processed): the item
    // is marked failed. Once the cause is gone, an admin's retry of the job processes it.
    const db = restored.ctx.db;
    const [{ id: itemId }] = (await db.query(`SELECT id FROM federation_inbox_items WHERE type = 'Follow'`))[0] as { id: string }[];
    await db.query(`CREATE FUNCTION refuse_processed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.state = 'processed' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_processed BEFORE UPDATE ON federation_inbox_items FOR EACH ROW EXECUTE FUNCTION refuse_processed()`);
    await db.query(`UPDATE federation_inbox_items SET state = 'received' WHERE id = :id`, { replacements: { id: itemId } });
    await federation.remove(inboxJobId(itemId));
    await restored.ctx.jobs.enqueue('federation.process', { inboxItemId: itemId }, { jobId: inboxJobId(itemId), attempts: 1 });
    await waitFor('the item failed', async () => (await count(restored!, 'federation_inbox_items', `id = '${itemId}' AND state = 'failed'`)) === 1);
    await waitFor('its job failed', async () => (await federation.getJobState(inboxJobId(itemId))) === 'failed');
    await db.query(`DROP TRIGGER refuse_processed ON federation_inbox_items; DROP FUNCTION refuse_processed()`);
    const admin = await restored.user('admin');
    const retried = await restored.api('POST', `/api/v1/admin/jobs/federation/${inboxJobId(itemId)}/retry`, { token: admin.token });
    assert.equal(retried.status, 200, retried.text);
    await waitFor('processed after the retry', async () => (await count(restored!, 'federation_inbox_items', `id = '${itemId}' AND state = 'processed' AND error IS NULL`)) === 1);
  } finally {
    await restored?.stop();
    await b.stop();
  }
});
