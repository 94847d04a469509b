// The chaincode package deploys as is: self-contained money code, valid contract metadata,
// collections config for the per-organisation rows, only the stub methods the embedded engine has.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chaincode, World } from './world.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ccDir = path.join(root, 'chaincode');
const require = createRequire(import.meta.url);

export const FUNCTIONS: Record<string, Record<string, 'SUBMIT' | 'EVALUATE'>> = {
  NodeRegistryContract: { join: 'SUBMIT', get: 'EVALUATE', list: 'EVALUATE', listByCluster: 'EVALUATE' },
  SubscriptionContract: { record: 'SUBMIT', cancel: 'SUBMIT', listForMonth: 'EVALUATE', listCredits: 'EVALUATE' },
  ReportContract: { submit: 'SUBMIT', get: 'EVALUATE', listForMonth: 'EVALUATE', getRows: 'EVALUATE' },
  MonthCloseContract: { close: 'SUBMIT', getStatement: 'EVALUATE', payoutsForArtist: 'EVALUATE', getSubscriptionDetail: 'EVALUATE' },
  DisputeContract: { open: 'SUBMIT', vote: 'SUBMIT', replaceReviewer: 'SUBMIT', recordApplied: 'SUBMIT', get: 'EVALUATE', history: 'EVALUATE' },
  IncomeContract: { submit: 'SUBMIT', listForMonth: 'EVALUATE' },
  InvestmentContract: {
    recordCampaign: 'SUBMIT', recordRepayments: 'SUBMIT', getCampaign: 'EVALUATE', listCampaigns: 'EVALUATE', listRepayments: 'EVALUATE', getInvestors: 'EVALUATE',
  },
};

test('the vendored money code in chaincode/src/vendor/money is identical to shared/money', () => {
  const shared = readdirSync(path.join(root, 'shared/money')).filter((n) => n.endsWith('.ts')).sort();
  const vendored = readdirSync(path.join(ccDir, 'src/vendor/money')).filter((n) => n.endsWith('.ts')).sort();
  assert.deepEqual(vendored, shared, 'run `npm run build --workspace chaincode` (prebuild copies shared/money)');
  for (const name of shared) {
    assert.equal(readFileSync(path.join(ccDir, 'src/vendor/money', name), 'utf8'), readFileSync(path.join(root, 'shared/money', name), 'utf8'), `${name} differs`);
  }
});

test('fabric-shim accepts the contracts and their metadata, with exactly the documented functions', () => {
  const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js');
  const { JSONSerializer } = require('fabric-contract-api');
  const cc = new ChaincodeFromContract([...chaincode.contracts], { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } }, {}, '9ten', '0.1.0');
  const found: Record<string, Record<string, string>> = {};
  for (const [name, contract] of Object.entries(cc.metadata.contracts as Record<string, { transactions: { name: string; tag: string[]; parameters?: { schema: { type: string } }[]; returns?: { type: string } }[] }>)) {
    if (name === 'org.hyperledger.fabric') continue;
    found[name] = {};
    for (const t of contract.transactions) {
      found[name][t.name] = t.tag.includes('SUBMIT') ? 'SUBMIT' : 'EVALUATE';
      assert.ok((t.parameters ?? []).every((p) => p.schema.type === 'string'), `${name}:${t.name} takes strings only`);
      assert.equal(t.returns?.type, 'string', `${name}:${t.name} returns a string`);
    }
  }
  assert.deepEqual(found, FUNCTIONS);
  assert.ok(Object.keys(cc.metadata.components.schemas).includes('Statement'));
});

test('package.json, tsconfig and collections_config.json are deployable as is', () => {
  const pkg = JSON.parse(readFileSync(path.join(ccDir, 'package.json'), 'utf8'));
  assert.equal(pkg.type, undefined, 'CommonJS output, as Fabric node chaincode expects');
  assert.equal(pkg.main, 'dist/index.js');
  assert.match(pkg.scripts.start, /fabric-chaincode-node start/);
  assert.match(pkg.scripts.server, /fabric-chaincode-node server --chaincode-address=\$CHAINCODE_SERVER_ADDRESS --chaincode-id=\$CHAINCODE_ID/);
  assert.match(pkg.scripts.prebuild, /vendor-money/);
  const tsconfig = JSON.parse(readFileSync(path.join(ccDir, 'tsconfig.json'), 'utf8'));
  assert.equal(tsconfig.compilerOptions.experimentalDecorators, true);
  assert.equal(tsconfig.compilerOptions.emitDecoratorMetadata, true);
  assert.equal(tsconfig.compilerOptions.outDir, 'dist');

  const collections = JSON.parse(readFileSync(path.join(ccDir, 'collections_config.json'), 'utf8'));
  assert.ok(collections.length >= 2);
  for (const c of collections) {
    const msp = /^OR\('([A-Za-z0-9.-]+)\.member'\)$/.exec(c.policy)?.[1];
    assert.ok(msp, `collection ${c.name} is readable by one organisation`);
    assert.equal(c.name, chaincode.rowsCollection(msp));
    assert.match(c.name, /^[A-Za-z0-9_-]+$/);
    assert.equal(c.memberOnlyRead, true);
    assert.equal(c.memberOnlyWrite, true);
    assert.equal(c.blockToLive, 0, 'rows are kept: month close and audits re-read them');
    assert.equal(c.endorsementPolicy.signaturePolicy, `OR('${msp}.peer')`);
  }
});

test('contract code uses only the stub methods the embedded engine implements, and no clock, randomness or I/O', () => {
  const allowed = new Set([
    'getState', 'putState', 'deleteState', 'getStateByRange', 'getStateByPartialCompositeKey', 'createCompositeKey', 'splitCompositeKey',
    'getPrivateData', 'putPrivateData', 'deletePrivateData', 'getPrivateDataByPartialCompositeKey', 'getTransient', 'getTxID',
    'getTxTimestamp', 'setEvent', 'getChannelID',
  ]);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith('.ts')) files.push(path.join(dir, e.name));
    }
  };
  walk(path.join(ccDir, 'src'));
  for (const file of files) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/\bstub\.(\w+)\(/g)) assert.ok(allowed.has(m[1]), `${file} uses stub.${m[1]}`);
    for (const m of src.matchAll(/clientIdentity\.(\w+)\(/g)) assert.ok(['getMSPID', 'getID'].includes(m[1]), `${file} uses clientIdentity.${m[1]}`);
    assert.doesNotMatch(src, /Date\.now\(|Math\.random|new Date\(\)|performance\.now|process\.env|from 'node:fs'|require\('fs'\)/, file);
  }
});

test('engine variants: a numeric timestamp and an iterator resolved as {iterator} work too', async () => {
  const w = new World();
  const { ctx, commit, stub } = w.context('Org1MSP');
  stub.getTxTimestamp.returns({ seconds: 1_790_000_000, nanos: 500_000_000 });
  const node = JSON.parse(await w.contracts.NodeRegistryContract.join(ctx, JSON.stringify({ nodeId: 'n1', actorUrl: 'n1', cluster: 'eu', organisation: 'Org1MSP' })));
  commit();
  assert.equal(node.joinedAt, new Date(1_790_000_000_500).toISOString());
  const read = w.context('Org1MSP');
  read.stub.getStateByPartialCompositeKey.callsFake(() => {
    const rows = [...w.state.entries()].filter(([k]) => k.startsWith('\u0000node\u0000'));
    let i = 0;
    return Promise.resolve({
      iterator: {
        next: async () => (i < rows.length ? { value: { key: rows[i][0], value: Buffer.from(rows[i++][1]) }, done: false } : { value: undefined, done: true }),
        close: async () => {},
      },
    });
  });
  const list = JSON.parse(await w.contracts.NodeRegistryContract.list(read.ctx));
  assert.deepEqual(list.map((n: { nodeId: string }) => n.nodeId), ['n1']);
});
