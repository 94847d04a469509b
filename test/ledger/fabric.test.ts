// The fabric engine over real gRPC (@hyperledger/fabric-gateway, TLS) against the
// STAND-IN PEER of test/ledger/stand-in-peer.ts: a test gateway server that executes the
// same contracts through the embedded engine, because no Fabric peer can run here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildFixture, realChaincode, reportArgs } from './helpers.js';
import { startStandInFabric, type FabricConfig, type StandInFabric } from './stand-in-fabric.js';
import type { StandInPeer } from './stand-in-peer.js';
import { startLedgerNode } from './nodes.js';
import type { EmbeddedLedger } from '../../server/ledger/embedded.js';
import { FabricLedger } from '../../server/ledger/fabric.js';
import { LedgerError } from '../../server/ledger/types.js';
import { ledgerService, ledgerEngine } from '../../server/ledger/index.js';
import { select } from '../../server/db/index.js';
import type { OutboxRow } from '../../server/ledger/outbox.js';
import type { TestNode } from '../helpers/node.js';

let standIn: StandInFabric;
let peerLedger: EmbeddedLedger;
let peer: StandInPeer;
let fabric: FabricLedger;
let fabricConfig: FabricConfig;

before(async () => {
  standIn = await startStandInFabric({ contracts: buildFixture(), dbPrefix: 'fabric' });
  ({ peerLedger, peer, fabricConfig } = standIn);
  fabric = new FabricLedger(fabricConfig);
});
after(async () => {
  await fabric?.close();
  await standIn?.stop();
});

test('submit and evaluate over gRPC; the creator is the client certificate; evaluate does not write', async () => {
  const r = await fabric.submit('FixtureContract:put', ['k', 'over grpc']);
  assert.match(r.txId, /^[0-9a-f]{64}$/);
  assert.equal(r.result, r.txId, 'the result is read from the endorsed transaction');
  assert.equal(typeof r.blockNumber, 'number');
  assert.equal(await fabric.evaluate('FixtureContract:get', ['k']), 'over grpc');
  const tx = await peerLedger.getTransaction(r.txId);
  assert.equal(tx?.creator_msp, 'Org1MSP');
  assert.equal(tx?.creator_id, 'node-client.org1.test');

  const blocks = Number((await peerLedger.pool.query('SELECT count(*) AS n FROM ledger_transactions')).rows[0].n);
  await fabric.evaluate('FixtureContract:put', ['k', 'evaluated only']);
  assert.equal(await fabric.evaluate('FixtureContract:get', ['k']), 'over grpc');
  assert.equal(Number((await peerLedger.pool.query('SELECT count(*) AS n FROM ledger_transactions')).rows[0].n), blocks);

  const who = (await fabric.evaluate('FixtureContract:whoAmI', [])) as { msp: string; channel: string };
  assert.equal(who.msp, 'Org1MSP');
});

test('transient data reaches the contract but not the transaction', async () => {
  const r = await fabric.submit('FixtureContract:putPrivate', ['fab-day'], { transient: { rows: '[{"pseudonym":"secret-p"}]' } });
  assert.deepEqual(await fabric.evaluate('FixtureContract:getPrivate', ['fab-day']), [{ pseudonym: 'secret-p' }]);
  const tx = await peerLedger.getTransaction(r.txId);
  assert.ok(!JSON.stringify(tx).includes('secret-p'));
});

test('chaincode refusals and unknown functions come back as ledger errors', async () => {
  await assert.rejects(fabric.submit('FixtureContract:fail', ['no such node']), (e: LedgerError) => e instanceof LedgerError && e.code === 'chaincode' && /no such node/.test(e.message));
  await assert.rejects(fabric.evaluate('FixtureContract:nope', []), (e: LedgerError) => e.code === 'unknown_function');
});

test('MVCC: of two concurrent increments one fails to commit; a retry succeeds', async () => {
  const results = await Promise.allSettled([fabric.submit('FixtureContract:increment', ['fab', '400']), fabric.submit('FixtureContract:increment', ['fab', '400'])]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].reason.code, 'mvcc_conflict');
  const retry = await fabric.submit('FixtureContract:increment', ['fab', '0']);
  assert.equal(retry.result, 2);
});

test('a client whose certificate is not from the MSP\'s CA is refused; an unreachable peer is "unavailable"', async () => {
  const stranger = new FabricLedger({ ...fabricConfig, mspId: 'Org2MSP' });
  try {
    await assert.rejects(stranger.submit('FixtureContract:put', ['x', 'y']), (e: LedgerError) => e instanceof LedgerError && /unknown MSP/.test(e.message));
  } finally {
    await stranger.close();
  }
  const nowhere = new FabricLedger({ ...fabricConfig, endpoint: '127.0.0.1:1' });
  try {
    await assert.rejects(nowhere.evaluate('FixtureContract:get', ['k']), (e: LedgerError) => e.code === 'unavailable' && e.retryable);
  } finally {
    await nowhere.close();
  }
});

test('a node with the fabric engine: outbox after commit, and a resubmission after a crash lands once', async () => {
  let node: TestNode | undefined;
  try {
    node = await startLedgerNode({ config: { engine: 'fabric', fabric: fabricConfig }, joinRegistry: false }, { name: 'ledger-fabric' });
    const svc = ledgerService(node.ctx);
    assert.equal(svc.engine, 'fabric');
    assert.equal(svc.mspId, 'Org1MSP');
    const id = await node.ctx.db.transaction((t) => svc.enqueueSubmit(t, 'FixtureContract:put', ['fab-outbox', 'queued']));
    const done = await svc.waitForOutbox(id);
    assert.equal(done.result, done.txId);
    assert.equal(await svc.evaluate('FixtureContract:get', ['fab-outbox']), 'queued');

    // Crash: the endorsed transaction was saved and sent, but the row was never marked done.
    const [row] = await select<OutboxRow>(node.ctx.db, `INSERT INTO ledger_outbox (fn, args) VALUES ('FixtureContract:increment', '["fab-crash","0"]') RETURNING *`);
    const engine = ledgerEngine(node.ctx) as FabricLedger;
    const first = await engine.submitOutboxRow(row, '', async (prepared, txId) => {
      await node!.ctx.db.query('UPDATE ledger_outbox SET prepared = :prepared, tx_id = :txId WHERE id = :id', { replacements: { prepared, txId, id: row.id } });
    });
    await node.ctx.jobs.enqueue('ledger.submit', { outboxId: String(row.id) });
    const again = await svc.waitForOutbox(String(row.id));
    assert.equal(again.txId, first.txId, 'the same prepared transaction was sent again');
    assert.equal(peer.submits.get(first.txId), 2, 'the peer saw it twice');
    assert.equal(await svc.evaluate('FixtureContract:get', ['counter~fab-crash']), 1, 'and executed it once');
  } finally {
    await node?.stop();
  }
});

test('the real chaincode over the stand-in peer: join, a refused report from an unregistered node, a report with private rows', { skip: realChaincode() ? false : 'chaincode/dist is not built' }, async () => {
  const cc = await startStandInFabric({ contracts: realChaincode()!, dbPrefix: 'fabric_cc', tls: false });
  const client = new FabricLedger(cc.fabricConfig);
  try {
    const nodeId = 'https://node-a.test/ap/actor';
    const rows = [{ pseudonym: 'p1', artist: 'https://x.test/ap/artists/ada', seconds: 60, plays: 1 }];
    await assert.rejects(client.submit('ReportContract:submit', reportArgs(nodeId, '2026-02-01', rows), { transient: { rows: JSON.stringify(rows) } }), (e: LedgerError) => e.code === 'chaincode' && /not registered/.test(e.message));
    await client.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId, actorUrl: nodeId, cluster: 'east', organisation: 'Org1MSP' })]);
    const report = (await client.submit('ReportContract:submit', reportArgs(nodeId, '2026-02-01', rows), { transient: { rows: JSON.stringify(rows) } })).result as { version: number; hash: string };
    assert.equal(report.version, 1);
    assert.deepEqual(await client.evaluate('ReportContract:getRows', [nodeId, '2026-02-01']), rows);
    assert.equal((await cc.peerLedger.verify()).ok, true);
  } finally {
    await client.close();
    await cc.stop();
  }
});
