// A node with the fabric engine on the real network: it joins the registry, reports and closes
// a month through its outbox; auditors list, read and verify the peer's real blocks and
// recompute the payouts, over REST and with the ledger CLI. A byte changed in the peer's block
// file is caught by verify.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { startFabricNode, testNetwork, unique } from './helpers.js';
import { daysExcept, reportArgs, throughOutbox } from '../test/ledger/helpers.js';
import { ledgerService } from '../server/ledger/index.js';
import type { FabricLedger } from '../server/ledger/fabric.js';
import type { FabricNetwork } from '../scripts/fabric/network.js';
import type { ReportRow } from '../shared/money/index.js';
import { runLedgerCli } from '../test/helpers/ledger-cli.js';
import type { TestNode } from '../test/helpers/node.js';

const ADA = 'https://x.test/ap/artists/ada';
const BO = 'https://y.test/ap/artists/bo';
const CLIENT_CN = 'User1@org1.9ten.test';

let network: FabricNetwork;
let node: TestNode;
let configDir: string;

before(async () => {
  network = await testNetwork();
  node = await startFabricNode('Org1MSP', unique('east'), { name: 'fabric-audit' });
  configDir = mkdtempSync(path.join(os.tmpdir(), '9ten-fabric-cli-'));
});
after(async () => {
  await node?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/** The ledger CLI in a child process, configured by the organisation's profile. */
const cli = (args: string[]) => runLedgerCli(configDir, network.profile('Org1MSP'), args);

/** Changes one byte of the transaction id inside the peer's block file; returns the undo. */
function tamperBlockFile(peerHost: string, txId: string): () => void {
  const dir = path.join(network.paths.data, peerHost, 'ledgersData', 'chains', 'chains', 'nineten');
  const file = path.join(dir, readdirSync(dir).filter((f) => f.startsWith('blockfile_')).sort().at(-1)!);
  const at = readFileSync(file).indexOf(Buffer.from(txId));
  assert.ok(at >= 0, 'the transaction id is in the block file');
  const fd = openSync(file, 'r+');
  const original = Buffer.alloc(1);
  readSync(fd, original, 0, 1, at);
  writeSync(fd, Buffer.from(original[0] === 0x30 ? '1' : '0'), 0, 1, at);
  closeSync(fd);
  return () => {
    const undo = openSync(file, 'r+');
    writeSync(undo, original, 0, 1, at);
    closeSync(undo);
  };
}

test('a node on Fabric reports and closes; auditors read the real blocks, verify them and recompute the payouts (REST and CLI)', async () => {
  const svc = ledgerService(node.ctx);
  const nodeId = svc.nodeId;
  assert.equal(svc.engine, 'fabric');
  const fabric = () => ledgerService(node.ctx).ledger as FabricLedger;
  for (let i = 0; !((await svc.evaluate('NodeRegistryContract:get', [nodeId])) as unknown); i++) {
    if (i > 300) throw new Error('the node did not join the registry');
    await new Promise((r) => setTimeout(r, 100));
  }
  const auditor = await node.user('auditor');
  const listener = await node.user('listener');
  const as = (token: string) => ({ token });
  const height = (await node.api('GET', '/api/v1/ledger/verify', as(auditor.token))).body.blocks as number;

  const march = '2026-03';
  const p1 = unique('p1');
  const p3 = unique('p3');
  const rows: ReportRow[] = [
    { pseudonym: p1, artist: ADA, seconds: 300, plays: 3 },
    { pseudonym: p1, artist: BO, seconds: 100, plays: 1 },
  ];
  await throughOutbox(node, [
    ['SubscriptionContract:record', [JSON.stringify({ nodeId, month: march, pseudonym: p1, amount: 1000, currency: 'USD', kind: 'new' })]],
    ['SubscriptionContract:record', [JSON.stringify({ nodeId, month: march, pseudonym: p3, amount: 1000, currency: 'USD', kind: 'new' })]],
    ['ReportContract:submit', reportArgs(nodeId, `${march}-01`, rows), { rows: JSON.stringify(rows) }],
  ]);
  const [statement] = (await throughOutbox(node, [
    ['MonthCloseContract:close', [JSON.stringify({ nodeId, month: march, nodeFee: 100, policy: 'rollover', missingDays: daysExcept(march, 31, 1) })], { nextPseudonyms: JSON.stringify({ [p3]: unique('q3') }) }],
  ])) as { rolledOver: number; txId: string; hash: string; payouts: { artist: string; amount: number }[] }[];
  assert.equal(statement.rolledOver, 900);

  // The log: this node's transactions since the test began, from the peer's blocks.
  const mine = await node.api('GET', `/api/v1/ledger/transactions?fromBlock=${height}&creator=${encodeURIComponent(CLIENT_CN)}&limit=1000`, as(auditor.token));
  assert.equal(mine.status, 200);
  const ours = (mine.body.data as { fn: string; args: string[]; validationCode: string; creatorMsp: string; blockNumber: number }[]).filter((t) => t.args.some((a) => a.includes(nodeId)));
  assert.deepEqual(ours.map((t) => t.fn), ['SubscriptionContract:record', 'SubscriptionContract:record', 'ReportContract:submit', 'MonthCloseContract:close']);
  assert.ok(ours.every((t) => t.validationCode === 'VALID' && t.creatorMsp === 'Org1MSP' && t.blockNumber >= height));
  const csv = await node.api('GET', `/api/v1/ledger/transactions?format=csv&fn=ReportContract&fromBlock=${height}`, as(auditor.token));
  assert.match(csv.headers.get('content-type')!, /text\/csv/);
  assert.ok(csv.text.includes(nodeId.replace(/"/g, '""')) || csv.text.includes('ReportContract:submit'));
  assert.ok(!csv.text.includes(p1), 'per-listener rows travel in the transient map, never in a block');

  const one = await node.api('GET', `/api/v1/ledger/transactions/${statement.txId}`, as(auditor.token));
  assert.equal(one.status, 200);
  assert.equal(one.body.fn, 'MonthCloseContract:close');
  assert.equal(one.body.channel, 'nineten');
  assert.equal(one.body.validationCode, 'VALID');
  assert.equal(one.body.events[0].name, 'MonthClosed');
  assert.equal(JSON.parse(one.body.result).hash, statement.hash);
  const writes = one.body.rwset.writes as { c: string; k: string; value?: string; hash?: string }[];
  assert.ok(writes.some((w) => w.c === '' && JSON.parse(w.value ?? 'null')?.hash === statement.hash), 'the public statement');
  assert.ok(writes.some((w) => w.c.startsWith('private:') && w.k.startsWith('sha256:') && w.hash && w.value === undefined), 'private detail only as hashes');
  assert.equal((await node.api('GET', `/api/v1/ledger/transactions/${'0'.repeat(64)}`, as(auditor.token))).status, 404);

  const verify = await node.api('GET', '/api/v1/ledger/verify', as(auditor.token));
  assert.equal(verify.status, 200);
  assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
  assert.ok(verify.body.blocks > height);
  assert.equal(verify.body.blocks, (await fabric().blocks.chainInfo()).height);

  const recompute = await node.api('GET', `/api/v1/ledger/recompute?node=${encodeURIComponent(nodeId)}&month=${march}`, as(auditor.token));
  assert.equal(recompute.status, 200);
  assert.equal(recompute.body.matches, true, JSON.stringify(recompute.body));
  assert.deepEqual(recompute.body.problems, []);
  assert.deepEqual(recompute.body.artists.map((a: { artist: string; recomputed: number }) => ({ artist: a.artist, amount: a.recomputed })), statement.payouts);

  for (const p of ['/api/v1/ledger/transactions', '/api/v1/ledger/verify', `/api/v1/ledger/recompute?node=${encodeURIComponent(nodeId)}&month=${march}`]) {
    assert.equal((await node.api('GET', p, as(listener.token))).status, 403, p);
  }

  // The CLI, with the organisation's profile as its configuration.
  const cliVerify = await cli(['verify']);
  assert.equal(cliVerify.code, 0, cliVerify.stderr);
  assert.equal(JSON.parse(cliVerify.stdout).ok, true);
  const cliRecompute = await cli(['recompute', nodeId, march]);
  assert.equal(cliRecompute.code, 0, cliRecompute.stderr);
  assert.equal(JSON.parse(cliRecompute.stdout).matches, true);
  const cliTx = await cli(['tx', statement.txId]);
  assert.equal(cliTx.code, 0, cliTx.stderr);
  assert.equal(JSON.parse(cliTx.stdout).events[0].name, 'MonthClosed');

  // One byte of the close's block changed on the peer's disk: verify names the block.
  const block = one.body.blockNumber as number;
  const undo = tamperBlockFile(network.layout.orgs[0].peerHost, statement.txId);
  try {
    const broken = await node.api('GET', '/api/v1/ledger/verify', as(auditor.token));
    assert.equal(broken.body.ok, false);
    assert.equal(broken.body.brokenAt, block);
    assert.match(broken.body.reason, /data hash/);
  } finally {
    undo();
  }
  assert.equal((await node.api('GET', '/api/v1/ledger/verify', as(auditor.token))).body.ok, true);
});
