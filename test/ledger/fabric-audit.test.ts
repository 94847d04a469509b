// Auditors with the fabric engine: a node whose ledger is the real chaincode behind the
// STAND-IN PEER (test/ledger/stand-in-peer.ts: a test gateway server that executes the
// contracts through the embedded engine and cuts Fabric blocks, because no Fabric peer can
// run here), over real gRPC with TLS. The node reports and closes two months (the second
// one carrying a rolled-over credit); auditors list, read and verify the peer's blocks and
// recompute the payouts, over REST and with the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { daysExcept, realChaincode, reportArgs, throughOutbox } from './helpers.js';
import { startStandInFabric, type FabricConfig, type StandInFabric } from './stand-in-fabric.js';
import type { StandInPeer } from './stand-in-peer.js';
import { startLedgerNode } from './nodes.js';
import type { EmbeddedLedger } from '../../server/ledger/embedded.js';
import { compositeKey } from '../../server/ledger/audit.js';
import { ledgerService } from '../../server/ledger/index.js';
import type { ReportRow } from '../../shared/money/index.js';
import { runLedgerCli } from '../helpers/ledger-cli.js';
import type { TestNode } from '../helpers/node.js';

const chaincode = realChaincode();
const skip = chaincode ? false : 'chaincode/dist is not built (the test runner builds it with tsc)';
const ADA = 'https://x.test/ap/artists/ada';
const BO = 'https://y.test/ap/artists/bo';
const CLIENT_CN = 'node-client.org1.test';

let standIn: StandInFabric;
let peerLedger: EmbeddedLedger;
let peer: StandInPeer;
let node: TestNode;
let configDir: string;
let fabricConfig: FabricConfig;

before(async () => {
  if (skip) return;
  standIn = await startStandInFabric({ contracts: chaincode!, dbPrefix: 'fabric_audit' });
  ({ peerLedger, peer, fabricConfig } = standIn);
  node = await startLedgerNode(
    { config: { engine: 'fabric', fabric: fabricConfig } },
    { name: 'ledger-fabric-audit', overrides: { federation: { organisation: 'Org1MSP', cluster: 'east' } } },
  );
  configDir = mkdtempSync(path.join(os.tmpdir(), '9ten-fabric-cli-'));
});
after(async () => {
  await node?.stop();
  await standIn?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/** The ledger CLI in a child process, configured for the fabric engine by a config file. */
const cli = (args: string[]) => runLedgerCli(configDir, { ledger: { engine: 'fabric', fabric: fabricConfig } }, args);

test('a node with the fabric engine reports and closes; auditors read the peer\'s blocks, verify them and recompute the payouts', { skip }, async () => {
  const svc = ledgerService(node.ctx);
  const nodeId = svc.nodeId;
  assert.equal(svc.engine, 'fabric');
  // The node joins the registry through its outbox at start.
  for (let i = 0; !((await svc.evaluate('NodeRegistryContract:list', [])) as unknown[]).length; i++) {
    if (i > 100) throw new Error('the node did not join the registry');
    await new Promise((r) => setTimeout(r, 100));
  }

  // March: p1 listens, p3 does not (its pool rolls over to the same listener's April pseudonym q3).
  const march = '2026-03';
  const marchRows: ReportRow[] = [
    { pseudonym: 'p1', artist: ADA, seconds: 300, plays: 3 },
    { pseudonym: 'p1', artist: BO, seconds: 100, plays: 1 },
  ];
  await throughOutbox(node, [
    ['SubscriptionContract:record', [JSON.stringify({ nodeId, month: march, pseudonym: 'p1', amount: 1000, currency: 'USD', kind: 'new' })]],
    ['SubscriptionContract:record', [JSON.stringify({ nodeId, month: march, pseudonym: 'p3', amount: 1000, currency: 'USD', kind: 'new' })]],
    ['ReportContract:submit', reportArgs(nodeId, `${march}-01`, marchRows), { rows: JSON.stringify(marchRows) }],
  ]);
  const [marchStatement] = (await throughOutbox(node, [
    ['MonthCloseContract:close', [JSON.stringify({ nodeId, month: march, nodeFee: 100, policy: 'rollover', missingDays: daysExcept(march, 31, 1) })], { nextPseudonyms: JSON.stringify({ p3: 'q3' }) }],
  ])) as { rolledOver: number; txId: string }[];
  assert.equal(marchStatement.rolledOver, 900);

  // April: q3 listens to ada, part of it held by a dispute; the credit from March joins its pool.
  const april = '2026-04';
  const aprilRows: ReportRow[] = [{ pseudonym: 'q3', artist: ADA, seconds: 120, plays: 2 }];
  await throughOutbox(node, [
    ['SubscriptionContract:record', [JSON.stringify({ nodeId, month: april, pseudonym: 'q3', amount: 1000, currency: 'USD', kind: 'renewal' })]],
    ['ReportContract:submit', reportArgs(nodeId, `${april}-02`, aprilRows), { rows: JSON.stringify(aprilRows) }],
  ]);
  const [aprilStatement] = (await throughOutbox(node, [
    ['MonthCloseContract:close', [JSON.stringify({ nodeId, month: april, nodeFee: 100, policy: 'rollover', missingDays: daysExcept(april, 30, 2), held: [{ pseudonym: 'q3', artist: ADA, seconds: 30 }] })]],
  ])) as { creditsIn: number; heldTotal: number; payouts: { artist: string; amount: number }[]; txId: string; hash: string }[];
  assert.equal(aprilStatement.creditsIn, 900);
  assert.ok(aprilStatement.heldTotal > 0);

  const auditor = await node.user('auditor');
  const listener = await node.user('listener');
  const as = (token: string) => ({ token });

  // The log: the peer's blocks, this chaincode's transactions only, with validation codes.
  const all = await node.api('GET', '/api/v1/ledger/transactions?limit=1000', as(auditor.token));
  assert.equal(all.status, 200);
  assert.equal(all.body.total, 8, 'join, 3 subscriptions, 2 reports, 2 closes');
  assert.equal(all.body.data[0].blockNumber, 1, 'block 0 is the channel\'s genesis configuration');
  assert.deepEqual(all.body.data.map((t: { fn: string }) => t.fn).filter((fn: string) => fn.startsWith('NodeRegistryContract')), ['NodeRegistryContract:join']);
  assert.ok(all.body.data.every((t: { validationCode: string; creatorMsp: string; creatorId: string }) => t.validationCode === 'VALID' && t.creatorMsp === 'Org1MSP' && t.creatorId === CLIENT_CN));
  for (let i = 1; i < all.body.data.length; i++) assert.equal(all.body.data[i].prevHash, all.body.data[i - 1].hash);

  const closes = await node.api('GET', '/api/v1/ledger/transactions?fn=MonthCloseContract:close', as(auditor.token));
  assert.equal(closes.body.total, 2);
  assert.deepEqual(closes.body.data.map((t: { txId: string }) => t.txId), [marchStatement.txId, aprilStatement.txId]);
  const paged = await node.api('GET', '/api/v1/ledger/transactions?fn=SubscriptionContract&limit=1&page=2', as(auditor.token));
  assert.equal(paged.body.total, 3);
  assert.equal(paged.body.data.length, 1);
  assert.equal(JSON.parse(paged.body.data[0].args[0]).pseudonym, 'p3', 'page 2 of one is the second subscription');
  assert.equal((await node.api('GET', `/api/v1/ledger/transactions?creator=${CLIENT_CN}&limit=1`, as(auditor.token))).body.total, 8);
  assert.equal((await node.api('GET', '/api/v1/ledger/transactions?creator=someone-else', as(auditor.token))).body.total, 0);
  const csv = await node.api('GET', '/api/v1/ledger/transactions?format=csv&fn=ReportContract', as(auditor.token));
  assert.match(csv.headers.get('content-type')!, /text\/csv/);
  const csvLines = csv.text.split('\r\n').filter(Boolean);
  assert.equal(csvLines[0], 'blockNumber,txId,fn,creatorMsp,creatorId,timestamp,args,hash,prevHash,validationCode');
  assert.equal(csvLines.length, 3);
  assert.ok(!csv.text.includes('q3'), 'per-listener rows travel in the transient map, never in a block');

  const one = await node.api('GET', `/api/v1/ledger/transactions/${aprilStatement.txId}`, as(auditor.token));
  assert.equal(one.status, 200);
  assert.equal(one.body.fn, 'MonthCloseContract:close');
  assert.equal(one.body.channel, '9ten');
  assert.equal(one.body.validationCode, 'VALID');
  assert.deepEqual(JSON.parse(one.body.args[0]).held, [{ pseudonym: 'q3', artist: ADA, seconds: 30 }]);
  assert.equal(one.body.events.length, 1);
  assert.equal(one.body.events[0].name, 'MonthClosed');
  assert.equal(JSON.parse(one.body.result).hash, aprilStatement.hash);
  const writes = one.body.rwset.writes as { c: string; k: string; value?: string; hash?: string }[];
  assert.ok(writes.some((w) => w.c === '' && w.k === compositeKey('statement', [nodeId, april]) && JSON.parse(w.value!).hash === aprilStatement.hash));
  assert.ok(writes.some((w) => w.c.startsWith('private:') && w.k.startsWith('sha256:') && w.hash && w.value === undefined), 'private detail only as hashes');
  assert.equal((await node.api('GET', `/api/v1/ledger/transactions/${'0'.repeat(64)}`, as(auditor.token))).status, 404);

  const verify = await node.api('GET', '/api/v1/ledger/verify', as(auditor.token));
  assert.equal(verify.status, 200);
  assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
  assert.equal(verify.body.blocks, peer.blocks.length);

  // Recomputation: public state and private rows through the chaincode, the close's arguments from the blocks.
  for (const [month, statement] of [[march, null], [april, aprilStatement]] as const) {
    const r = await node.api('GET', `/api/v1/ledger/recompute?node=${encodeURIComponent(nodeId)}&month=${month}`, as(auditor.token));
    assert.equal(r.status, 200);
    assert.equal(r.body.matches, true, JSON.stringify(r.body));
    assert.equal(r.body.detailHash.matches, true);
    assert.deepEqual(r.body.problems, []);
    if (statement) assert.deepEqual(r.body.artists.map((a: { artist: string; recomputed: number }) => ({ artist: a.artist, amount: a.recomputed })), statement.payouts);
  }
  // A payout record that disagrees with the split is caught.
  const payoutKey = Buffer.from(compositeKey('payout', [ADA, nodeId, april]), 'utf8');
  const stored = (await peerLedger.pool.query<{ value: Buffer }>("SELECT value FROM ledger_state WHERE collection = '' AND key = $1", [payoutKey])).rows[0].value;
  const altered = { ...JSON.parse(stored.toString('utf8')), amount: aprilStatement.payouts.find((p) => p.artist === ADA)!.amount + 1 };
  await peerLedger.pool.query("UPDATE ledger_state SET value = $2 WHERE collection = '' AND key = $1", [payoutKey, Buffer.from(JSON.stringify(altered))]);
  try {
    const wrong = await node.api('GET', `/api/v1/ledger/recompute?node=${encodeURIComponent(nodeId)}&month=${april}`, as(auditor.token));
    assert.equal(wrong.body.matches, false);
    assert.equal(wrong.body.artists.find((a: { artist: string }) => a.artist === ADA).matches, false);
  } finally {
    await peerLedger.pool.query("UPDATE ledger_state SET value = $2 WHERE collection = '' AND key = $1", [payoutKey, stored]);
  }

  // A stored block altered by one byte: verify names it.
  const closeBlock = closes.body.data[0].blockNumber as number;
  const undo = peer.tamperEnvelope(closeBlock);
  try {
    const broken = await node.api('GET', '/api/v1/ledger/verify', as(auditor.token));
    assert.equal(broken.body.ok, false);
    assert.equal(broken.body.brokenAt, closeBlock);
    assert.equal(broken.body.txId, marchStatement.txId);
    assert.match(broken.body.reason, /data hash/);
  } finally {
    undo();
  }
  assert.equal((await node.api('GET', '/api/v1/ledger/verify', as(auditor.token))).body.ok, true);

  for (const p of ['/api/v1/ledger/transactions', '/api/v1/ledger/verify', `/api/v1/ledger/recompute?node=${encodeURIComponent(nodeId)}&month=${april}`]) {
    assert.equal((await node.api('GET', p, as(listener.token))).status, 403, p);
  }
});

test('the ledger CLI with the fabric engine: verify, transactions, tx and recompute from the peer', { skip }, async () => {
  const nodeId = ledgerService(node.ctx).nodeId;
  const closes = await node.api('GET', '/api/v1/ledger/transactions?fn=MonthCloseContract:close', { token: (await node.user('auditor')).token });
  assert.equal(closes.body.total, 2, 'runs after the first test closed two months');

  const verify = await cli(['verify', '--engine', 'fabric']);
  assert.equal(verify.code, 0, verify.stderr);
  assert.equal(JSON.parse(verify.stdout).ok, true);

  const csv = await cli(['transactions', '--fn', 'MonthCloseContract', '--format', 'csv']);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.split('\r\n').filter(Boolean);
  assert.equal(lines.length, 3);
  assert.ok(lines[0].endsWith(',validationCode'));
  assert.ok(lines[1].includes(closes.body.data[0].txId));

  const tx = await cli(['tx', closes.body.data[1].txId]);
  assert.equal(tx.code, 0, tx.stderr);
  assert.equal(JSON.parse(tx.stdout).events[0].name, 'MonthClosed');

  const recompute = await cli(['recompute', nodeId, '2026-04']);
  assert.equal(recompute.code, 0, recompute.stderr);
  assert.equal(JSON.parse(recompute.stdout).matches, true);

  const block = closes.body.data[1].blockNumber as number;
  const undo = peer.tamperEnvelope(block);
  try {
    const broken = await cli(['verify']);
    assert.equal(broken.code, 1, 'exit 1 at a broken block');
    assert.equal(JSON.parse(broken.stdout).brokenAt, block);
    assert.match(broken.stderr, new RegExp(`chain broken at block ${block}`));
  } finally {
    undo();
  }
});
