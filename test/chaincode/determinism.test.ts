// Determinism: the same inputs given in different orders (rows, totals, held lists, JSON keys,
// iterator order of the engine) produce byte-identical state writes, public and private.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { artistTotals, chaincode, monthDays, nextPseudonyms, World, type Row } from './world.js';

const ORG = 'Org1MSP';
const N1 = 'https://one.example/actor';
const MONTH = '2026-10';
const artists = ['https://x.example/Zed', 'https://x.example/alpha', 'https://x.example/Ångström', 'https://x.example/beta', 'https://x.example/😀'];

function rowsFor(day: number): Row[] {
  const out: Row[] = [];
  for (const p of ['pz', 'pa', 'pm']) {
    artists.forEach((artist, i) => {
      const seconds = ((day * 37 + i * 101 + p.charCodeAt(1)) % 400) + 31;
      out.push({ pseudonym: p, artist, seconds, plays: 1 + (seconds % 3) });
    });
  }
  return out;
}

/** Reverses arrays and the key order of every object: same meaning, different bytes. */
function scramble<T>(value: T): T {
  if (Array.isArray(value)) return value.map(scramble).reverse() as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, scramble(v)])) as T;
  return value;
}

async function run(shuffle: boolean): Promise<World> {
  const w = new World();
  if (shuffle) w.iteratorOrder = 'descending';
  const s = <T>(v: T): T => (shuffle ? scramble(v) : v);
  await w.submit(ORG, 'NodeRegistryContract:join', s({ nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG }));
  for (const p of ['pz', 'pa', 'pm', 'p-idle']) {
    await w.submit(ORG, 'SubscriptionContract:record', s({ nodeId: N1, month: MONTH, pseudonym: p, amount: 1000, currency: 'USD', kind: 'new' }));
  }
  const days = [3, 11, 27];
  for (const d of days) {
    const day = `${MONTH}-${String(d).padStart(2, '0')}`;
    const rows = rowsFor(d);
    await w.submit(
      ORG,
      'ReportContract:submit',
      s({ nodeId: N1, day, artistTotals: artistTotals(rows), hash: chaincode.reportRowsHash(rows) }),
      { rows: JSON.stringify(s(rows)) },
    );
  }
  const missingDays = monthDays(MONTH).filter((d) => !days.some((x) => d.endsWith(`-${String(x).padStart(2, '0')}`)));
  const held = [
    { pseudonym: 'pa', artist: artists[1], seconds: 20 },
    { pseudonym: 'pm', artist: artists[4], seconds: 31 },
  ];
  await w.submit(ORG, 'MonthCloseContract:close', s({ nodeId: N1, month: MONTH, nodeFee: 100, policy: 'rollover', held, missingDays }), nextPseudonyms(s(['pz', 'pa', 'pm', 'p-idle'])));
  return w;
}

test('the same inputs in different orders produce byte-identical writes', async () => {
  const plain = await run(false);
  const shuffled = await run(true);
  assert.ok(plain.writes.length > 20);
  assert.deepEqual(shuffled.writes, plain.writes);
  assert.equal(shuffled.dump(), plain.dump());
  // and the run is repeatable
  assert.equal((await run(false)).dump(), plain.dump());
});

test('state values are canonical JSON (sorted keys) and keys sort by code unit, not locale', async () => {
  const w = await run(false);
  for (const write of w.writes) {
    if (write.op !== 'put' || write.value === '\u0000') continue;
    assert.equal(write.value, chaincode.canonicalJson(JSON.parse(write.value)), `not canonical: ${write.key}`);
  }
  const statement = JSON.parse(Buffer.from(w.state.get(w.context(ORG).stub.createCompositeKey('statement', [N1, MONTH]))!).toString());
  const order = statement.payouts.map((p: { artist: string }) => p.artist);
  assert.deepEqual(order, [...artists].sort());
  assert.equal(statement.rolledOver, 900, 'the idle subscriber rolls over');
  assert.ok(statement.heldTotal > 0);
});
