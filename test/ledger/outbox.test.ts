// The outbox: ledger writes recorded in the caller's transaction, submitted after
// commit by the job queue, once, in order, catching up after a node was away. Two
// nodes with separate databases share one ledger database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildFixture, createDatabase } from './helpers.js';
import { startLedgerNode } from './nodes.js';
import type { TestNode } from '../helpers/node.js';
import { ledgerService, ledgerEngine } from '../../server/ledger/index.js';
import { outboxTxId, type OutboxRow } from '../../server/ledger/outbox.js';
import type { EmbeddedLedger } from '../../server/ledger/embedded.js';
import { select } from '../../server/db/index.js';

let shared: Awaited<ReturnType<typeof createDatabase>>;
let a: TestNode;
let b: TestNode;
let contractsPath: string;

before(async () => {
  contractsPath = buildFixture();
  shared = await createDatabase('shared');
  const ledger = { config: { databaseUrl: shared.url }, contractsPath };
  [a, b] = await Promise.all([startLedgerNode(ledger, { name: 'ledger-a' }), startLedgerNode(ledger, { name: 'ledger-b' })]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await shared?.drop();
});

const txCount = async (node: TestNode, fn: string) =>
  Number((await (ledgerEngine(node.ctx) as EmbeddedLedger).pool.query('SELECT count(*) AS n FROM ledger_transactions WHERE fn = $1', [fn])).rows[0].n);

test('the service: nodeId, submit, evaluate; two nodes see one shared ledger', async () => {
  const svc = ledgerService(a.ctx);
  assert.equal(svc.nodeId, `${a.ctx.config.publicUrl}/ap/actor`);
  assert.equal(svc.mspId, a.ctx.config.federation.organisation);
  assert.equal(svc.engine, 'embedded');
  const r = await svc.submit('FixtureContract:put', ['shared-key', 'from a']);
  assert.match(r.txId, /^[0-9a-f]{64}$/);
  assert.equal(await ledgerService(b.ctx).evaluate('FixtureContract:get', ['shared-key']), 'from a', 'node b reads what node a wrote');
  const tx = await (ledgerEngine(b.ctx) as EmbeddedLedger).getTransaction(r.txId);
  assert.equal(tx?.creator_id, svc.nodeId, 'the log records which node submitted');
});

test('service.submit retries MVCC conflicts: concurrent increments from two nodes all land', async () => {
  const results = await Promise.all([
    ledgerService(a.ctx).submit('FixtureContract:increment', ['both', '80']),
    ledgerService(b.ctx).submit('FixtureContract:increment', ['both', '80']),
    ledgerService(a.ctx).submit('FixtureContract:increment', ['both', '80']),
  ]);
  assert.deepEqual(results.map((r) => r.result).sort(), [1, 2, 3]);
  assert.equal(await ledgerService(a.ctx).evaluate('FixtureContract:get', ['counter~both']), 3);
});

test('enqueueSubmit inside a rolled-back DB transaction submits nothing', async () => {
  const svc = ledgerService(a.ctx);
  let id: string | undefined;
  await assert.rejects(
    a.ctx.db.transaction(async (t) => {
      id = await svc.enqueueSubmit(t, 'FixtureContract:put', ['rolled-back', 'never']);
      throw new Error('the caller changed its mind');
    }),
    /changed its mind/,
  );
  assert.ok(id);
  await a.waitJobs();
  assert.equal((await select(a.ctx.db, 'SELECT * FROM ledger_outbox WHERE id = :id', { id: Number(id) })).length, 0);
  assert.equal(await svc.evaluate('FixtureContract:get', ['rolled-back']), null);
});

test('enqueueSubmit after commit lands on the ledger; a chaincode refusal marks the row rejected without blocking later rows', async () => {
  const svc = ledgerService(a.ctx);
  const ids = await a.ctx.db.transaction(async (t) => [
    await svc.enqueueSubmit(t, 'FixtureContract:put', ['outbox-1', 'one']),
    await svc.enqueueSubmit(t, 'FixtureContract:fail', ['artist unknown']),
    await svc.enqueueSubmit(t, 'FixtureContract:putPrivate', ['outbox-private'], { rows: '[{"pseudonym":"p1"}]' }),
  ]);
  const first = await svc.waitForOutbox(ids[0]);
  assert.match(first.txId, /^[0-9a-f]{64}$/);
  assert.equal(first.result, first.txId);
  await assert.rejects(svc.waitForOutbox(ids[1]), /artist unknown/);
  await svc.waitForOutbox(ids[2]);
  assert.deepEqual(await ledgerService(b.ctx).evaluate('FixtureContract:getPrivate', ['outbox-private']), [{ pseudonym: 'p1' }]);
  const [row] = await select<OutboxRow>(a.ctx.db, 'SELECT * FROM ledger_outbox WHERE id = :id', { id: Number(ids[2]) });
  assert.equal(row.status, 'done');
  assert.ok(row.submitted_at);
  assert.equal(row.tx_id, outboxTxId(svc.nodeId, row), 'the tx id is derived from the row');
});

test('a crash after the ledger commit but before the row was marked: the retry does not submit twice', async () => {
  const svc = ledgerService(a.ctx);
  // Record the row without queueing its job, as if the process died right after commit.
  const [row] = await select<OutboxRow>(a.ctx.db, `INSERT INTO ledger_outbox (fn, args) VALUES ('FixtureContract:increment', '["crash","0"]') RETURNING *`);
  const engine = ledgerEngine(a.ctx) as EmbeddedLedger;
  const landed = await engine.submit(row.fn, row.args, { txId: outboxTxId(svc.nodeId, row) });
  assert.equal(landed.result, 1);
  // The job runs again (retry or boot catch-up).
  await a.ctx.jobs.enqueue('ledger.submit', { outboxId: String(row.id) });
  const done = await svc.waitForOutbox(String(row.id));
  assert.equal(done.txId, landed.txId);
  assert.equal(done.result, 1, 'the recorded result, not a second increment');
  assert.equal(await svc.evaluate('FixtureContract:get', ['counter~crash']), 1);
});

test('a node that was offline catches up in order when it starts again', async () => {
  const ledger = { config: { databaseUrl: shared.url }, contractsPath };
  // A web-only node runs no workers: its writes wait in the outbox.
  const web = await startLedgerNode(ledger, { name: 'ledger-c', keepDatabase: true, overrides: { role: 'web' } });
  const dbName = new URL(web.databaseUrl).pathname.slice(1);
  const { port, publicUrl } = web.ctx.config;
  const ids: string[] = [];
  for (let i = 1; i <= 5; i++) {
    ids.push(await web.ctx.db.transaction((t) => ledgerService(web.ctx).enqueueSubmit(t, 'FixtureContract:put', ['catch-up', `v${i}`])));
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await ledgerService(a.ctx).evaluate('FixtureContract:get', ['catch-up']), null, 'nothing submitted while away');
  await web.stop();

  const back = await startLedgerNode(ledger, { name: 'ledger-c', databaseName: dbName, dataDir: web.dataDir, port });
  try {
    assert.equal(back.ctx.config.publicUrl, publicUrl);
    const results = [];
    for (const id of ids) results.push(await ledgerService(back.ctx).waitForOutbox(id));
    const engine = ledgerEngine(back.ctx) as EmbeddedLedger;
    const blocks = [];
    for (const r of results) blocks.push(Number((await engine.getTransaction(r.txId))!.block_number));
    assert.deepEqual(blocks, [...blocks].sort((x, y) => x - y), 'blocks follow the outbox order');
    assert.equal(new Set(blocks).size, 5);
    assert.equal(await ledgerService(a.ctx).evaluate('FixtureContract:get', ['catch-up']), 'v5');
  } finally {
    await back.stop();
  }
});

test('the shared chain verifies after all of the above', async () => {
  const report = await (ledgerEngine(b.ctx) as EmbeddedLedger).verify();
  assert.equal(report.ok, true, report.reason);
  assert.ok(report.blocks > 10);
  assert.equal(await txCount(a, 'FixtureContract:fail'), 0, 'refused transactions are not on the chain');
});
