// The fabric engine's transaction log: Fabric's block hashes, and the peer's blocks read
// through qscc over real gRPC (TLS, signed proposals) from the STAND-IN PEER of
// test/ledger/stand-in-peer.ts, a test gateway server that cuts Fabric blocks for what it
// commits (no Fabric peer can run here).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildFixture } from './helpers.js';
import { startStandInFabric, type StandInFabric } from './stand-in-fabric.js';
import type { StandInPeer } from './stand-in-peer.js';
import { FabricLedger } from '../../server/ledger/fabric.js';
import { blockDataHash, blockHeaderBytes, blockHeaderHash } from '../../server/ledger/fabric-block-hash.js';
import type { ReadWriteSetView } from '../../server/ledger/fabric-block-decode.js';

let standIn: StandInFabric;
let peer: StandInPeer;
let fabric: FabricLedger;

before(async () => {
  standIn = await startStandInFabric({ contracts: buildFixture(), dbPrefix: 'fabric_blocks' });
  peer = standIn.peer;
  fabric = new FabricLedger(standIn.fabricConfig);
});
after(async () => {
  await fabric?.close();
  await standIn?.stop();
});

test('block header hash: DER of SEQUENCE {INTEGER, OCTET STRING, OCTET STRING}, as protoutil.BlockHeaderBytes', () => {
  const empty = new Uint8Array();
  assert.equal(blockHeaderBytes({ number: 0, previousHash: empty, dataHash: empty }).toString('hex'), '300702010004000400');
  // 128 has its top bit set: a leading zero keeps the INTEGER positive.
  assert.equal(blockHeaderBytes({ number: 128, previousHash: empty, dataHash: empty }).toString('hex'), '30080202008004000400');
  // Contents of 128 bytes and more take the long length form.
  const long = blockHeaderBytes({ number: 1, previousHash: Buffer.alloc(200, 1), dataHash: Buffer.alloc(32, 2) });
  // 3 (INTEGER 1) + 3 + 200 (OCTET STRING) + 2 + 32 (OCTET STRING) = 240 content bytes.
  assert.equal(long.subarray(0, 9).toString('hex'), '3081f00201010481c8');
  assert.equal(long.length, 3 + 240);
  // A real Fabric 2.5 peer: GetChainInfo's currentBlockHash at height 29 is the hash of block 28's header.
  const header = {
    number: 28,
    previousHash: Buffer.from('003ef1053b17f9cf286bd087f03dbd72cddb7c1fb8f2e680128c32e5c6db6b8d', 'hex'),
    dataHash: Buffer.from('9cd1500e262501b40b0c9c7dba2dc17fd7282d3b9f91c04f26f6564d774d3655', 'hex'),
  };
  assert.equal(blockHeaderHash(header).toString('hex'), '5f896f60ee4a5a755dacd92ba162a707299621442683754c2469de8a123c43da');
  assert.equal(blockDataHash([Buffer.from('ab'), Buffer.from('c')]).toString('hex'), blockDataHash([Buffer.from('abc')]).toString('hex'));
});

test('the peer\'s blocks as the log: every submitted transaction, valid or not, with its validation code; filters and pages', async () => {
  const put = await fabric.submit('FixtureContract:put', ['blk-key', 'blk-value']);
  const priv = await fabric.submit('FixtureContract:putPrivate', ['blk-day'], { transient: { rows: '[{"pseudonym":"secret-p"}]' } });
  const raced = await Promise.allSettled([fabric.submit('FixtureContract:increment', ['blk', '300']), fabric.submit('FixtureContract:increment', ['blk', '300'])]);
  const failed = raced.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(failed?.reason.code, 'mvcc_conflict', 'one of two overlapping increments fails validation');

  const info = await fabric.blocks.chainInfo();
  assert.equal(info.height, peer.blocks.length);
  assert.equal(info.height, 5, 'genesis + one block per submitted transaction, the invalid one included');

  const all = await fabric.blocks.list({ limit: 100, offset: 0 });
  assert.equal(all.total, 4, 'the genesis config block is not a chaincode transaction');
  assert.deepEqual(all.data.map((t) => t.blockNumber), [1, 2, 3, 4]);
  assert.deepEqual(all.data.map((t) => t.fn), ['FixtureContract:put', 'FixtureContract:putPrivate', 'FixtureContract:increment', 'FixtureContract:increment']);
  assert.deepEqual(all.data.map((t) => t.validationCode).sort(), ['MVCC_READ_CONFLICT', 'VALID', 'VALID', 'VALID']);
  const invalid = all.data.find((t) => t.validationCode === 'MVCC_READ_CONFLICT')!;
  assert.equal(invalid.txId, failed!.reason.txId);
  assert.equal(all.data[0].txId, put.txId);
  assert.equal(all.data[0].blockNumber, put.blockNumber, 'the commit status names the block the transaction is in');
  assert.deepEqual(all.data[0].args, ['blk-key', 'blk-value']);
  assert.equal(all.data[0].creatorMsp, 'Org1MSP');
  assert.equal(all.data[0].creatorId, 'node-client.org1.test', 'the creator certificate\'s CN');
  assert.equal(all.data[1].prevHash, all.data[0].hash, 'each block names the hash of the one before');
  assert.ok(!JSON.stringify(all).includes('secret-p'), 'transient data never reaches a block');

  const increments = await fabric.blocks.list({ fn: 'FixtureContract:increment', limit: 1, offset: 1 });
  assert.equal(increments.total, 2);
  assert.deepEqual(increments.data.map((t) => t.blockNumber), [4]);
  const byContract = await fabric.blocks.list({ fn: 'FixtureContract', fromBlock: 2, limit: 100, offset: 0 });
  assert.deepEqual(byContract.data.map((t) => t.blockNumber), [2, 3, 4]);
  assert.equal((await fabric.blocks.list({ fn: 'FixtureContract:nope', limit: 10, offset: 0 })).total, 0);
  assert.equal((await fabric.blocks.list({ creator: 'someone-else', limit: 10, offset: 0 })).total, 0);
  assert.equal((await fabric.blocks.list({ creator: 'node-client.org1.test', limit: 10, offset: 0 })).total, 4);

  const one = await fabric.blocks.get(put.txId);
  assert.ok(one);
  assert.equal(one.channel, '9ten');
  assert.equal(one.validationCode, 'VALID');
  assert.equal(one.blockNumber, put.blockNumber);
  assert.equal(one.result, put.txId, 'the chaincode\'s response');
  assert.deepEqual(one.events, [{ name: 'put', payload: 'blk-key' }]);
  assert.deepEqual((one.rwset as ReadWriteSetView).writes, [{ c: '', k: 'blk-key', value: 'blk-value' }]);

  const priv1 = await fabric.blocks.get(priv.txId);
  const rw = priv1!.rwset as ReadWriteSetView;
  const privateWrite = rw.writes.find((w) => w.c === 'private:reports');
  assert.ok(privateWrite?.hash && privateWrite.k.startsWith('sha256:'), 'private keys and values are on the block only as hashes');
  assert.equal(privateWrite.value, undefined);
  assert.ok(rw.writes.some((w) => w.c === '' && w.k === 'hash~blk-day'));

  const rejected = await fabric.blocks.get(failed!.reason.txId);
  assert.equal(rejected?.validationCode, 'MVCC_READ_CONFLICT');
  assert.ok((rejected!.rwset as ReadWriteSetView).reads.some(([c, k]) => c === '' && k === 'counter~blk'), 'the stale read is recorded');
  assert.equal(await fabric.blocks.get('0'.repeat(64)), undefined);
});

test('verify follows Fabric\'s chain rules and names the first block that breaks them', async () => {
  await fabric.submit('FixtureContract:put', ['verify-a', '1']);
  await fabric.submit('FixtureContract:put', ['verify-b', '2']);
  const info = await fabric.blocks.chainInfo();
  const good = await fabric.blocks.verify();
  assert.deepEqual(good, { ok: true, blocks: info.height, lastHash: info.currentBlockHash.toString('hex') });

  // One byte of one stored envelope changes: that block's data hash no longer matches.
  const target = 2;
  const undo = peer.tamperEnvelope(target);
  const broken = await fabric.blocks.verify();
  assert.equal(broken.ok, false);
  assert.equal(broken.brokenAt, target);
  assert.equal(broken.blocks, target, 'the blocks before it were sound');
  assert.match(broken.reason!, /data hash/);
  const listed = await fabric.blocks.list({ fromBlock: target, limit: 1, offset: 0 });
  assert.equal(broken.txId, listed.data[0].txId);
  undo();
  assert.equal((await fabric.blocks.verify()).ok, true);

  // Rewriting the block's data hash to match hides nothing: the next block's link breaks.
  const header = peer.blocks[target].getHeader()!;
  const dataHash = header.getDataHash_asU8();
  peer.tamperEnvelope(target);
  header.setDataHash(blockDataHash(peer.blocks[target].getData()!.getDataList_asU8()));
  const relinked = await fabric.blocks.verify();
  assert.equal(relinked.brokenAt, target + 1);
  assert.match(relinked.reason!, /previous hash/);
  header.setDataHash(dataHash);
  const data = peer.blocks[target].getData()!;
  const restored = Buffer.from(data.getDataList_asU8()[0]);
  restored[restored.length - 1] ^= 0x01;
  data.setDataList([restored]);
  assert.equal((await fabric.blocks.verify()).ok, true);
});
