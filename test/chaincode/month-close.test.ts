// MonthCloseContract: reconciliation, the top-9 split, no-listening policies, held seconds, idempotency.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { chaincode, monthDays, nextPseudonyms, ORG1, ORG2, submitDay, World, type Row } from './world.js';

const N1 = 'https://one.example/actor';
const MONTH = '2026-10';
const art = (i: number) => `https://music.example/artists/a${String(i).padStart(2, '0')}`;

async function setup(): Promise<World> {
  const w = new World();
  await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 });
  return w;
}

async function subscribe(w: World, pseudonym: string, month = MONTH, amount = 1000): Promise<void> {
  await w.submit(ORG1, 'SubscriptionContract:record', { nodeId: N1, month, pseudonym, amount, currency: 'USD', kind: 'new' });
}

/** Reports the given days and lists every other day of the month as missing. */
async function report(w: World, byDay: Record<string, Row[]>, month = MONTH): Promise<string[]> {
  for (const [day, rows] of Object.entries(byDay)) await submitDay(w, ORG1, N1, day, rows);
  return monthDays(month).filter((d) => !(d in byDay));
}

/** The test pseudonyms, each mapped to `<p>~next` for a rolled-over credit. */
const TEST_PSEUDONYMS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p9', 'pa', 'pb', 'pc', 'pd'];

function close(w: World, extra: Record<string, unknown>, month = MONTH, transient = nextPseudonyms(TEST_PSEUDONYMS)) {
  return w.submit(ORG1, 'MonthCloseContract:close', { nodeId: N1, month, nodeFee: 100, policy: 'rollover', ...extra }, transient);
}

const detail = (w: World, pseudonym: string, month = MONTH) => w.invoke(ORG1, 'MonthCloseContract:getSubscriptionDetail', [N1, month, pseudonym]);

test('top-9 cut-off with a tie at the boundary broken by artist id; fewer than 9 artists; statement and payouts', async () => {
  const w = await setup();
  // p1: 11 artists; a09 and a10 tie at 100 s for 9th place (a09 wins by id), a11 is below.
  const secondsOf = [0, 900, 800, 700, 600, 500, 400, 300, 200, 100, 100, 50];
  const day1: Row[] = [];
  const day2: Row[] = [];
  for (let i = 1; i <= 11; i++) {
    const half = Math.floor(secondsOf[i] / 2);
    day1.push({ pseudonym: 'p1', artist: art(i), seconds: half, plays: 1 });
    day2.push({ pseudonym: 'p1', artist: art(i), seconds: secondsOf[i] - half, plays: 1 });
  }
  // p2: two artists only; p-free listens but has no subscription (not paid from anyone's money).
  day1.push({ pseudonym: 'p2', artist: art(1), seconds: 200, plays: 3 }, { pseudonym: 'p2', artist: art(2), seconds: 100, plays: 1 });
  day2.push({ pseudonym: 'p-free', artist: art(3), seconds: 5000, plays: 9 });
  await subscribe(w, 'p1');
  await subscribe(w, 'p2');
  const missingDays = await report(w, { '2026-10-05': day1, '2026-10-20': day2 });

  const statement = await close(w, { missingDays });
  assert.equal(statement.subscriptions, 2);
  assert.equal(statement.grossTotal, 2000);
  assert.equal(statement.nodeFeeTotal, 200);
  assert.equal(statement.payoutTotal, 1800);
  assert.deepEqual(statement.days.map((d: { day: string }) => d.day), ['2026-10-05', '2026-10-20']);
  assert.equal(statement.missingDays.length, 29);

  const d1 = await detail(w, 'p1');
  assert.deepEqual(d1.artists.map((a: { artist: string }) => a.artist), [1, 2, 3, 4, 5, 6, 7, 8, 9].map(art));
  // weights 900..100 (sum 4500) over 900: exactly 180, 160, ..., 20
  assert.deepEqual(d1.artists.map((a: { amount: number }) => a.amount), [180, 160, 140, 120, 100, 80, 60, 40, 20]);
  assert.equal(d1.nodeFee, 100);
  const d2 = await detail(w, 'p2');
  assert.deepEqual(d2.artists, [
    { artist: art(1), seconds: 200, amount: 600 },
    { artist: art(2), seconds: 100, amount: 300 },
  ]);
  assert.equal(await detail(w, 'p-free'), null);

  const payouts = Object.fromEntries(statement.payouts.map((p: { artist: string; amount: number }) => [p.artist, p.amount]));
  assert.deepEqual(payouts, { [art(1)]: 780, [art(2)]: 460, [art(3)]: 140, [art(4)]: 120, [art(5)]: 100, [art(6)]: 80, [art(7)]: 60, [art(8)]: 40, [art(9)]: 20 });
  assert.equal(payouts[art(10)], undefined);
  // public statement carries the hash of the private per-subscription detail
  assert.equal(statement.hash, chaincode.sha256Hex(chaincode.canonicalJson([d1, d2])));
  // subscriptions are public by pseudonym; listening and split detail per pseudonym are not
  for (const [k, v] of w.state) {
    if (!k.startsWith('\u0000subscription\u0000')) assert.ok(!Buffer.from(v).toString().includes('"p1"'), `pseudonym in public ${JSON.stringify(k)}`);
  }

  const forA1 = await w.invoke(ORG2, 'MonthCloseContract:payoutsForArtist', [art(1)]);
  assert.deepEqual(forA1.map((p: { amount: number; month: string; nodeId: string; dueBy: string }) => [p.nodeId, p.month, p.amount, p.dueBy]), [[N1, MONTH, 780, '2026-10-25']]);
  assert.deepEqual(await w.invoke(ORG2, 'MonthCloseContract:getStatement', [N1, MONTH]), statement);
  await assert.rejects(w.invoke(ORG2, 'MonthCloseContract:getSubscriptionDetail', [N1, MONTH, 'p1']), /does not match node/);
});

test('closing a closed month returns the identical statement and writes nothing; later writes to the month are refused', async () => {
  const w = await setup();
  await subscribe(w, 'p1');
  const missingDays = await report(w, { '2026-10-01': [{ pseudonym: 'p1', artist: art(1), seconds: 300, plays: 2 }] });
  const args = JSON.stringify({ nodeId: N1, month: MONTH, nodeFee: 100, policy: 'rollover', missingDays });
  const committed = await w.invoke(ORG1, 'MonthCloseContract:close', [args]);
  assert.deepEqual(committed.payouts, [{ artist: art(1), amount: 900 }]);
  const writes = w.writes.length;
  const { ctx, stub } = w.context(ORG1);
  const again: string = await w.contracts.MonthCloseContract.close(ctx, JSON.stringify({ nodeId: N1, month: MONTH, nodeFee: 50, policy: 'refund' }));
  assert.equal(again, chaincode.canonicalJson(committed));
  assert.equal(stub.putState.callCount + stub.putPrivateData.callCount + stub.deleteState.callCount, 0, 'a re-close writes nothing');
  assert.equal(w.writes.length, writes);

  await assert.rejects(subscribe(w, 'p9'), /already closed/);
  await assert.rejects(submitDay(w, ORG1, N1, '2026-10-02', [{ pseudonym: 'p1', artist: art(1), seconds: 1, plays: 1 }]), /already closed/);
  await assert.rejects(w.submit(ORG1, 'SubscriptionContract:cancel', { nodeId: N1, month: MONTH, pseudonym: 'p1' }), /already closed/);
});

test('no listening, policy rollover: the credit moves to the same listener\'s next-month pseudonym, privately, and next month pays it', async () => {
  const w = await setup();
  await subscribe(w, 'p3');
  await subscribe(w, 'p4');
  const missingDays = await report(w, { '2026-10-02': [{ pseudonym: 'p4', artist: art(2), seconds: 60, plays: 1 }] });
  // Pseudonyms change every month: without the private mapping the credit has nowhere to go.
  await assert.rejects(close(w, { missingDays, policy: 'rollover' }, MONTH, {}), /transient map must carry "nextPseudonyms"/);
  await assert.rejects(close(w, { missingDays, policy: 'rollover' }, MONTH, nextPseudonyms(['p4'])), /no next-month pseudonym/);
  const oct = await close(w, { missingDays, policy: 'rollover' }, MONTH, nextPseudonyms(['p3', 'p4'], (p) => `nov-${p}`));
  assert.equal(oct.rolledOver, 900);
  assert.equal(oct.payoutTotal, 900);
  assert.equal((await detail(w, 'p3')).rolledOver, 900);
  const { stub } = w.context(ORG1);
  const creditKey = stub.createCompositeKey('credit', [N1, '2026-11', 'nov-p3']);
  const credit = JSON.parse(Buffer.from(w.privateState.get('reportRows_Org1MSP')!.get(creditKey)!).toString());
  assert.deepEqual({ pseudonym: credit.pseudonym, amount: credit.amount, fromMonth: credit.fromMonth }, { pseudonym: 'nov-p3', amount: 900, fromMonth: MONTH });
  assert.ok(![...w.state.keys()].some((k) => k.includes('nov-p3')), 'the next-month pseudonym of a rolled-over credit is not public');
  assert.ok(![...w.state.values()].some((v) => Buffer.from(v).toString().includes('nov-p3')));
  assert.ok(!JSON.stringify(w.writes.filter((x) => !x.collection)).includes('nov-p3'));

  await subscribe(w, 'nov-p3', '2026-11');
  const novMissing = await report(w, { '2026-11-03': [{ pseudonym: 'nov-p3', artist: art(5), seconds: 40, plays: 1 }] }, '2026-11');
  const nov = await close(w, { missingDays: novMissing }, '2026-11');
  assert.equal(nov.creditsIn, 900);
  assert.deepEqual(nov.payouts, [{ artist: art(5), amount: 1800 }]);
  assert.equal((await detail(w, 'nov-p3', '2026-11')).creditIn, 900);
});

test('no listening, policy node or refund: the pool goes to the node or back to the listener', async () => {
  for (const policy of ['node', 'refund'] as const) {
    const w = await setup();
    await subscribe(w, 'p3');
    const statement = await close(w, { missingDays: monthDays(MONTH), policy });
    assert.equal(statement.payoutTotal, 0);
    assert.equal(statement.nodeFeeTotal, 100);
    assert.equal(statement.toNodeTotal, policy === 'node' ? 900 : 0);
    assert.equal(statement.refundedTotal, policy === 'refund' ? 900 : 0);
    assert.equal(statement.rolledOver, 0);
    const d = await detail(w, 'p3');
    assert.deepEqual({ toNode: d.toNode, refunded: d.refunded }, policy === 'node' ? { toNode: 900, refunded: 0 } : { toNode: 0, refunded: 900 });
  }
});

test('held seconds stay in the ranking but their share is set aside as held', async () => {
  const w = await setup();
  await subscribe(w, 'p2');
  const missingDays = await report(w, {
    '2026-10-07': [
      { pseudonym: 'p2', artist: art(1), seconds: 200, plays: 3 },
      { pseudonym: 'p2', artist: art(2), seconds: 100, plays: 1 },
    ],
  });
  await assert.rejects(close(w, { missingDays, held: [{ pseudonym: 'p2', artist: art(2), seconds: 101 }] }), /exceed that listener's 100 qualified seconds/);
  const statement = await close(w, { missingDays, held: [{ pseudonym: 'p2', artist: art(1), seconds: 100 }] });
  assert.equal(statement.heldTotal, 300);
  assert.deepEqual(statement.heldByArtist, [{ artist: art(1), amount: 300 }]);
  assert.deepEqual(statement.payouts, [{ artist: art(1), amount: 300 }, { artist: art(2), amount: 300 }]);
  const d = await detail(w, 'p2');
  assert.equal(d.held, 300);
  assert.deepEqual(d.heldArtists, [{ artist: art(1), seconds: 100, amount: 300 }]);
  assert.equal(d.nodeFee + d.artists.reduce((a: number, x: { amount: number }) => a + x.amount, 0) + d.held, 1000);
});

test('reconciliation: an unlisted missing day, tampered private rows and cancelled subscriptions', async () => {
  const w = await setup();
  await subscribe(w, 'p1');
  await subscribe(w, 'p2');
  await w.submit(ORG1, 'SubscriptionContract:cancel', { nodeId: N1, month: MONTH, pseudonym: 'p2' });
  const rows = [
    { pseudonym: 'p1', artist: art(1), seconds: 90, plays: 1 },
    { pseudonym: 'p2', artist: art(2), seconds: 90, plays: 1 },
  ];
  const missingDays = await report(w, { '2026-10-09': rows });
  await assert.rejects(close(w, { missingDays: missingDays.slice(1) }), /no report for 2026-10-01; submit it or list it in missingDays/);
  await assert.rejects(close(w, { missingDays, policy: 'keep' }), /"policy" must be one of rollover, node, refund/);
  await assert.rejects(w.submit(ORG2, 'MonthCloseContract:close', { nodeId: N1, month: MONTH, nodeFee: 100, policy: 'rollover', missingDays }), /does not match node/);

  // tamper with the private rows behind the report: the sums no longer match the public totals
  const collection = w.privateState.get('reportRows_Org1MSP')!;
  const [rowsKey] = [...collection.keys()];
  const original = collection.get(rowsKey)!;
  collection.set(rowsKey, Buffer.from(JSON.stringify([{ ...rows[0], seconds: 9000 }, rows[1]])));
  await assert.rejects(close(w, { missingDays }), /reconciliation of 2026-10-09: rows of artist ".*a01" sum to 9000s/);
  // same per-artist totals, but the listening moved to another listener: the stored hash catches it
  collection.set(rowsKey, Buffer.from(JSON.stringify([{ ...rows[0], pseudonym: 'p2' }, { ...rows[1], pseudonym: 'p1' }])));
  await assert.rejects(close(w, { missingDays }), /reconciliation of 2026-10-09: private rows do not match the report hash/);
  collection.delete(rowsKey);
  await assert.rejects(close(w, { missingDays }), /private rows of 2026-10-09 are not available/);
  collection.set(rowsKey, original);
  assert.equal(await w.invoke(ORG1, 'MonthCloseContract:getStatement', [N1, MONTH]), null, 'refused closes wrote nothing');

  // the same rows stored in another (non-canonical) form still reconcile, by re-canonicalising
  collection.set(rowsKey, Buffer.from(JSON.stringify([{ seconds: 90, pseudonym: 'p2', plays: 1, artist: art(2) }, { ...rows[0] }], null, 1)));
  const statement = await close(w, { missingDays });
  assert.equal(statement.subscriptions, 1, 'the cancelled subscription takes no part');
  assert.deepEqual(statement.payouts, [{ artist: art(1), amount: 900 }]);
});

test('property: for random months the statement balances and matches an independent recomputation', async () => {
  const { default: fc } = await import('fast-check');
  const { splitSubscription } = await import('../../shared/money/index.js');
  const rowArb = fc.record({
    pseudonym: fc.constantFrom('pa', 'pb', 'pc', 'pd'),
    artist: fc.integer({ min: 1, max: 12 }).map(art),
    seconds: fc.integer({ min: 0, max: 5000 }),
    plays: fc.integer({ min: 0, max: 20 }),
  });
  const dayArb = fc.uniqueArray(rowArb, { maxLength: 25, selector: (r) => `${r.pseudonym}|${r.artist}` });
  await fc.assert(
    fc.asyncProperty(
      fc.tuple(dayArb, dayArb),
      fc.subarray(['pa', 'pb', 'pc']),
      fc.constantFrom('rollover', 'node', 'refund'),
      fc.integer({ min: 0, max: 300 }),
      async ([r1, r2], subscribers, policy, nodeFee) => {
        const w = await setup();
        for (const p of subscribers) await subscribe(w, p, MONTH, 1000 + p.charCodeAt(1));
        const missingDays = await report(w, { '2026-10-04': r1, '2026-10-18': r2 });
        const statement = await close(w, { missingDays, policy, nodeFee });
        const gross = subscribers.reduce((a, p) => a + 1000 + p.charCodeAt(1), 0);
        assert.equal(statement.grossTotal, gross);
        assert.equal(
          statement.nodeFeeTotal + statement.payoutTotal + statement.rolledOver + statement.toNodeTotal + statement.refundedTotal + statement.heldTotal,
          gross,
        );
        const expected = new Map<string, number>();
        for (const p of [...subscribers].sort()) {
          const split = splitSubscription({ amount: 1000 + p.charCodeAt(1), nodeFee, artistSeconds: [...r1, ...r2].filter((r) => r.pseudonym === p) });
          for (const a of split.artists) if (a.amount > 0) expected.set(a.artist, (expected.get(a.artist) ?? 0) + a.amount);
        }
        assert.deepEqual(Object.fromEntries(statement.payouts.map((p: { artist: string; amount: number }) => [p.artist, p.amount])), Object.fromEntries(expected));
      },
    ),
    { numRuns: 15 },
  );
});

test('detail of 2,050 subscriptions is stored in chunks; each listener\'s detail is found across chunk boundaries, hashed as one array', async () => {
  const { DETAIL_CHUNK, detailSerializer } = createRequire(import.meta.url)('../../chaincode/dist/month-close-contract.js') as typeof import('../../chaincode/dist/month-close-contract.js');
  const { canonicalJson, sha256Hex } = await import('../../shared/money/index.js');
  const w = await setup();
  const pseudonyms = Array.from({ length: 2050 }, (_, i) => `q${String(i).padStart(5, '0')}`);
  for (const p of pseudonyms) await subscribe(w, p);
  const rows: Row[] = pseudonyms.filter((_, i) => i % 3 !== 0).map((p, i) => ({ pseudonym: p, artist: art((i % 11) + 1), seconds: 40 + i, plays: 1 }));
  const missingDays = await report(w, { '2026-10-05': rows });
  const statement = await close(w, { missingDays }, MONTH, nextPseudonyms(pseudonyms));
  assert.equal(statement.subscriptions, 2050);
  const chunks = [...w.privateState.get('reportRows_Org1MSP')!.entries()].filter(([k]) => k.includes('closeDetails')).sort(([a], [b]) => (a < b ? -1 : 1));
  assert.equal(chunks.length, Math.ceil(2050 / DETAIL_CHUNK), 'one private write per chunk, not per subscription');
  const all = chunks.flatMap(([, v]) => JSON.parse(Buffer.from(v).toString('utf8')));
  assert.deepEqual(all.map((d: { pseudonym: string }) => d.pseudonym), pseudonyms);
  assert.equal(statement.hash, sha256Hex(canonicalJson(all)), 'the statement hash is the whole array\'s, whatever the chunking');
  for (const i of [0, 1, DETAIL_CHUNK - 1, DETAIL_CHUNK, DETAIL_CHUNK + 1, 2 * DETAIL_CHUNK, 2049]) {
    const d = await detail(w, pseudonyms[i]);
    assert.equal(d.pseudonym, pseudonyms[i]);
    assert.deepEqual(d, all[i]);
    assert.equal(d.rolledOver > 0, i % 3 === 0, 'listeners without listening roll over, the others are paid');
  }
  for (const absent of ['a', 'q00000x', 'q99999', 'zz']) assert.equal(await detail(w, absent), null, absent);

  // The hand-written serializer is canonicalJson for every detail shape the close produces.
  const json = detailSerializer(N1, MONTH);
  for (const d of all) assert.equal(json(d), canonicalJson(d));
  const { default: fc } = await import('fast-check');
  const share = fc.record({ artist: fc.string({ minLength: 1, maxLength: 12 }), seconds: fc.nat(), amount: fc.nat() });
  fc.assert(
    fc.property(
      fc.record({
        nodeId: fc.constant(N1), month: fc.constant(MONTH), pseudonym: fc.string({ maxLength: 20 }), subscribed: fc.boolean(),
        amount: fc.nat(), creditIn: fc.nat(), nodeFee: fc.nat(), artists: fc.array(share, { maxLength: 9 }), held: fc.nat(),
        heldArtists: fc.array(share, { maxLength: 3 }), rolledOver: fc.nat(), toNode: fc.nat(), refunded: fc.nat(),
      }),
      (d) => assert.equal(json(d), canonicalJson(d)),
    ),
    { numRuns: 300 },
  );
  assert.throws(() => json({ ...all[0], month: '2026-11' }), /another node or month/);
});
