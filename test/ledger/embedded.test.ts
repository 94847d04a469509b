// The embedded engine against real PostgreSQL, running the fixture contract through
// the same dispatch the chaincode uses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../server/config/index.js';
import { buildFixture, createDatabase } from './helpers.js';
import { EmbeddedLedger, ledgerPool } from '../../server/ledger/embedded.js';
import { loadContracts } from '../../server/ledger/contracts.js';
import { LedgerError } from '../../server/ledger/types.js';

let db: Awaited<ReturnType<typeof createDatabase>>;
let ledger: EmbeddedLedger;
const identity = { mspId: 'Org1MSP', nodeId: 'http://node-a.test/ap/actor' };

before(async () => {
  db = await createDatabase('embedded');
  const pool = ledgerPool(db.url);
  await EmbeddedLedger.ensureSchema(pool);
  ledger = new EmbeddedLedger({ pool, contracts: loadContracts(buildFixture()), identity });
});
after(async () => {
  await ledger?.close();
  await db?.drop();
});

const blocks = async () => Number((await ledger.pool.query('SELECT count(*) AS n FROM ledger_transactions')).rows[0].n);

test('submit writes state and a block; evaluate reads it without writing', async () => {
  const before = await blocks();
  const r = await ledger.submit('FixtureContract:put', ['greeting', 'hello']);
  assert.match(r.txId, /^[0-9a-f]{64}$/);
  assert.equal(r.result, r.txId, 'the contract returned its own tx id');
  assert.equal(await blocks(), before + 1);
  assert.equal(await ledger.evaluate('FixtureContract:get', ['greeting']), 'hello');
  const tx = await ledger.getTransaction(r.txId);
  assert.equal(tx?.fn, 'FixtureContract:put');
  assert.equal(tx?.creator_msp, 'Org1MSP');
  assert.equal(tx?.creator_id, identity.nodeId);
  assert.deepEqual(JSON.parse(tx!.events), [{ name: 'put', payload: Buffer.from('greeting').toString('base64') }]);
  assert.deepEqual(JSON.parse(tx!.rwset).writes, [{ c: '', k: 'greeting', value: 'hello' }]);

  // Evaluating a writing function returns its result but changes nothing.
  await ledger.evaluate('FixtureContract:put', ['greeting', 'changed']);
  assert.equal(await ledger.evaluate('FixtureContract:get', ['greeting']), 'hello');
  assert.equal(await blocks(), before + 1);

  const who = (await ledger.evaluate('FixtureContract:whoAmI', [])) as { msp: string; id: string; channel: string; seconds: number };
  assert.equal(who.msp, 'Org1MSP');
  assert.match(who.id, /CN=http:\/\/node-a\.test\/ap\/actor/);
  assert.ok(Math.abs(who.seconds - Date.now() / 1000) < 60);
});

test('read-only functions do not write, even when submitted', async () => {
  const before = await blocks();
  await assert.rejects(ledger.submit('FixtureContract:sneakyWrite', ['sneaky']), (e: LedgerError) => e.code === 'read_only_write');
  const read = await ledger.submit('FixtureContract:get', ['greeting']);
  assert.equal(read.result, 'hello');
  assert.equal(read.blockNumber, undefined);
  assert.equal(await blocks(), before, 'no block for read-only calls');
  assert.equal(await ledger.evaluate('FixtureContract:get', ['sneaky']), null);
});

test('composite keys, ranges, deletes, private data via the transient map, argument types', async () => {
  await ledger.submit('FixtureContract:putItem', ['ana', 'b', '{"n":2}']);
  await ledger.submit('FixtureContract:putItem', ['ana', 'a', '{"n":1}']);
  await ledger.submit('FixtureContract:putItem', ['bob', 'a', '{"n":3}']);
  assert.deepEqual(await ledger.evaluate('FixtureContract:listItems', ['ana']), [
    { attributes: ['ana', 'a'], value: { n: 1 } },
    { attributes: ['ana', 'b'], value: { n: 2 } },
  ]);
  await ledger.submit('FixtureContract:put', ['r1', 'x']);
  await ledger.submit('FixtureContract:put', ['r2', 'x']);
  await ledger.submit('FixtureContract:put', ['r3', 'x']);
  assert.deepEqual(await ledger.evaluate('FixtureContract:range', ['r1', 'r3']), ['r1', 'r2'], 'end is exclusive; composite keys are not in plain ranges');
  await ledger.submit('FixtureContract:remove', ['r2']);
  assert.deepEqual(await ledger.evaluate('FixtureContract:range', ['r', 's']), ['r1', 'r3']);

  const rows = JSON.stringify([{ listener: 'h1', seconds: 120 }]);
  const p = await ledger.submit('FixtureContract:putPrivate', ['day1'], { transient: { rows } });
  assert.deepEqual(await ledger.evaluate('FixtureContract:getPrivate', ['day1']), JSON.parse(rows));
  const tx = await ledger.getTransaction(p.txId);
  assert.ok(!tx!.rwset.includes('h1'), 'private rows never appear in the log, only their hash');
  assert.ok(!tx!.args.includes('h1'));

  const n = await ledger.submit('FixtureContract:increment', ['typed', '0']);
  assert.equal(n.result, 1, 'number parameters are converted from their string argument');
  await assert.rejects(ledger.submit('FixtureContract:increment', ['typed', 'soon']), (e: LedgerError) => e.code === 'chaincode');
  await assert.rejects(ledger.submit('FixtureContract:fail', ['no such artist']), (e: LedgerError) => e.code === 'chaincode' && /no such artist/.test(e.message));
  await assert.rejects(ledger.submit('FixtureContract:nope', []), (e: LedgerError) => e.code === 'unknown_function');
  await assert.rejects(ledger.submit('Nope:put', ['a', 'b']), (e: LedgerError) => e.code === 'unknown_function');
});

test('concurrent transactions on the same key: MVCC fails one at commit, a retry succeeds', async () => {
  const results = await Promise.allSettled([
    ledger.submit('FixtureContract:increment', ['mvcc', '400']),
    ledger.submit('FixtureContract:increment', ['mvcc', '400']),
  ]);
  const ok = results.filter((r) => r.status === 'fulfilled');
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(ok.length, 1);
  assert.equal(failed.length, 1);
  assert.ok(failed[0].reason instanceof LedgerError);
  assert.equal(failed[0].reason.code, 'mvcc_conflict');
  assert.equal(failed[0].reason.retryable, true);
  const retry = await ledger.submit('FixtureContract:increment', ['mvcc', '0']);
  assert.equal(retry.result, 2, 'the retry read the committed value');
  assert.equal(await ledger.evaluate('FixtureContract:get', ['counter~mvcc']), 2);
});

test('a range read that gains a key before commit is a phantom conflict', async () => {
  const sim = await ledger.simulate('FixtureContract:listItems', ['ana']);
  // listItems is read-only, but its read set still validates: commit it after a change.
  await ledger.submit('FixtureContract:putItem', ['ana', 'c', '{"n":9}']);
  await assert.rejects(ledger.commit({ ...sim, readOnly: false }), (e: LedgerError) => e.code === 'mvcc_conflict');
});

test('values that are not UTF-8 text (invalid bytes, NUL) read back byte for byte, alone and in ranges', async () => {
  // The engine reads values as text when they are; these must fall back to bytea unchanged.
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO ledger_state (collection, key, value, version) VALUES ('', 'bin1', '\\xff00fe'::bytea, 1), ('', 'bin2', '\\x00'::bytea, 1), ('', 'bin3', convert_to('héllo', 'UTF8'), 1)`,
    );
  } finally {
    await c.end();
  }
  assert.equal(await ledger.evaluate('FixtureContract:getHex', ['bin1']), 'ff00fe');
  assert.equal(await ledger.evaluate('FixtureContract:getHex', ['bin2']), '00');
  assert.equal(await ledger.evaluate('FixtureContract:getHex', ['bin3']), Buffer.from('héllo').toString('hex'));
  assert.deepEqual(await ledger.evaluate('FixtureContract:rangeHex', ['bin', 'bio']), ['bin1=ff00fe', 'bin2=00', `bin3=${Buffer.from('héllo').toString('hex')}`]);
});

test('one transaction writing 25,000 keys (more than one write batch) commits every value exactly', async () => {
  const r = await ledger.submit('FixtureContract:putMany', ['many~', '25000', '37']);
  const rows = await ledger.pool.query<{ n: string; bad: string; version: string }>(
    `SELECT count(*) AS n, count(*) FILTER (WHERE length(value) <> 37 OR get_byte(value, 36) <> (substring(convert_from(key, 'UTF8') FROM 6)::int % 251)) AS bad, min(version) AS version
       FROM ledger_state WHERE collection = '' AND key >= 'many~' AND key < 'many~~'`,
  );
  assert.equal(Number(rows.rows[0].n), 25000);
  assert.equal(Number(rows.rows[0].bad), 0, 'every value landed under its own key');
  assert.equal(Number(rows.rows[0].version), r.blockNumber);
  // (bytes 0x0a and 0x8d: hex with letters, so the result is not read back as a JSON number)
  assert.equal(await ledger.evaluate('FixtureContract:getHex', ['many~000010']), Buffer.alloc(37, 10).toString('hex'));
  assert.equal(await ledger.evaluate('FixtureContract:getHex', ['many~024990']), Buffer.alloc(37, 24990 % 251).toString('hex'));
});

test('one transaction writing 40 MB of values (more than one write statement by size) commits every value exactly', async () => {
  await ledger.submit('FixtureContract:putMany', ['big~', '40', '1000000']);
  const r = await ledger.pool.query<{ n: string; bad: string }>(
    `SELECT count(*) AS n, count(*) FILTER (WHERE length(value) <> 1000000 OR get_byte(value, 999999) <> substring(convert_from(key, 'UTF8') FROM 5)::int) AS bad
       FROM ledger_state WHERE collection = '' AND key >= 'big~' AND key < 'big~~'`,
  );
  assert.deepEqual([Number(r.rows[0].n), Number(r.rows[0].bad)], [40, 0]);
});

test('a range read whose keys stay but one version changes is a conflict too', async () => {
  await ledger.submit('FixtureContract:putItem', ['cy', 'a', '{"n":1}']);
  await ledger.submit('FixtureContract:putItem', ['cy', 'b', '{"n":2}']);
  const sim = await ledger.simulate('FixtureContract:listItems', ['cy']);
  await ledger.submit('FixtureContract:putItem', ['cy', 'b', '{"n":2}']); // same value, new version
  await assert.rejects(ledger.commit({ ...sim, readOnly: false }), (e: LedgerError) => e.code === 'mvcc_conflict');
  const fresh = await ledger.simulate('FixtureContract:listItems', ['cy']);
  await ledger.commit({ ...fresh, readOnly: false });
});

test('replaying a committed tx id is refused at commit; submit with a known id returns the recorded result', async () => {
  const first = await ledger.submit('FixtureContract:put', ['replay', 'once']);
  const sim = await ledger.simulate('FixtureContract:put', ['replay', 'twice'], { txId: first.txId });
  await assert.rejects(ledger.commit(sim), (e: LedgerError) => e.code === 'tx_replay');
  const again = await ledger.submit('FixtureContract:put', ['replay', 'twice'], { txId: first.txId });
  assert.equal(again.replayed, true);
  assert.equal(again.blockNumber, first.blockNumber);
  assert.equal(await ledger.evaluate('FixtureContract:get', ['replay']), 'once');
});

test('the chain verifies after many transactions, and verify finds a tampered block', async () => {
  for (let i = 0; i < 60; i++) await ledger.submit('FixtureContract:put', [`many${i % 7}`, String(i)]);
  const good = await ledger.verify();
  assert.equal(good.ok, true, good.reason);
  assert.equal(good.blocks, await blocks());

  const victim = 20;
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(`UPDATE ledger_transactions SET args = '["many0","999999"]' WHERE block_number = $1`, [victim]);
    const bad = await ledger.verify();
    assert.equal(bad.ok, false);
    assert.equal(bad.brokenAt, victim);
    assert.match(bad.reason!, /arguments/);
    // A forger who also fixes the args hash and the block hash breaks the next link.
    const row = (await c.query('SELECT * FROM ledger_transactions WHERE block_number = $1', [victim])).rows[0];
    const { argsHashOf, blockHash } = await import('../../server/ledger/chain.js');
    row.args_hash = argsHashOf(row.args);
    const hash = blockHash(row);
    await c.query('UPDATE ledger_transactions SET args_hash = $2, hash = $3 WHERE block_number = $1', [victim, row.args_hash, hash]);
    const forged = await ledger.verify();
    assert.equal(forged.ok, false);
    assert.equal(forged.brokenAt, victim + 1);
    assert.match(forged.reason!, /previous hash/);

    // The operators' CLI reports the same block and exits non-zero.
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ledger-cli.ts', 'verify', '--ledger-db', db.url], { cwd: projectRoot, encoding: 'utf8' });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stderr, new RegExp(`chain broken at block ${victim + 1}`));
    assert.equal(JSON.parse(cli.stdout).brokenAt, victim + 1);
  } finally {
    await c.end();
  }
});
