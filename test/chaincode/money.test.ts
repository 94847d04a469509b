// Property tests of the one money split (shared/money), the same code the chaincode bundles.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';

import { allocate, canonicalArrayChunks, canonicalHash, canonicalJson, reportRowsHash, splitSubscription, topArtists, writeCanonicalJson } from '../../shared/money/index.js';

const RUNS = { numRuns: 300 };

const keyArb = fc.string({ minLength: 1, maxLength: 6 });
const weightsArb = fc
  .uniqueArray(fc.record({ key: keyArb, weight: fc.integer({ min: 0, max: 1_000_000 }) }), { minLength: 1, maxLength: 15, selector: (w) => w.key })
  .filter((ws) => ws.some((w) => w.weight > 0));
const totalArb = fc.integer({ min: 0, max: 10_000_000 });

function withinOneUnit(total: number, weights: { key: string; weight: number | bigint }[], parts: { key: string; amount: number }[]): boolean {
  const sum = weights.reduce((acc, w) => acc + BigInt(w.weight), 0n);
  return parts.every((p, i) => {
    const diff = BigInt(p.amount) * sum - BigInt(total) * BigInt(weights[i].weight);
    return (diff < 0n ? -diff : diff) < sum;
  });
}

test('allocate: parts sum exactly to the total', () => {
  fc.assert(
    fc.property(totalArb, weightsArb, (total, weights) => {
      const parts = allocate(total, weights);
      assert.equal(parts.reduce((a, p) => a + p.amount, 0), total);
      assert.deepEqual(parts.map((p) => p.key), weights.map((w) => w.key));
      assert.ok(parts.every((p) => Number.isSafeInteger(p.amount) && p.amount >= 0));
    }),
    RUNS,
  );
});

test('allocate: each part is within one unit of its exact share', () => {
  fc.assert(
    fc.property(totalArb, weightsArb, (total, weights) => withinOneUnit(total, weights, allocate(total, weights))),
    RUNS,
  );
});

test('allocate: the order of input rows does not change any amount, and it is deterministic', () => {
  fc.assert(
    fc.property(totalArb, weightsArb, fc.infiniteStream(fc.nat()), (total, weights, seeds) => {
      const shuffled = [...weights];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = seeds.next().value % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const byKey = (parts: { key: string; amount: number }[]) => Object.fromEntries(parts.map((p) => [p.key, p.amount]));
      assert.deepEqual(byKey(allocate(total, shuffled)), byKey(allocate(total, weights)));
      assert.deepEqual(allocate(total, weights), allocate(total, weights));
    }),
    RUNS,
  );
});

test('allocate: exact with totals and weights whose products exceed 2^53 (BigInt)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2 ** 40, max: Number.MAX_SAFE_INTEGER }),
      fc.uniqueArray(fc.record({ key: keyArb, weight: fc.bigInt({ min: 1n, max: 2n ** 70n }) }), { minLength: 1, maxLength: 8, selector: (w) => w.key }),
      (total, weights) => {
        const parts = allocate(total, weights);
        assert.equal(parts.reduce((a, p) => a + BigInt(p.amount), 0n), BigInt(total));
        assert.ok(withinOneUnit(total, weights, parts));
      },
    ),
    { numRuns: 100 },
  );
});

/** Largest remainder written out plainly in BigInt, to check allocate's Number fast path against. */
function referenceAllocate(total: number, weights: { key: string; weight: number }[]): { key: string; amount: number }[] {
  const sum = weights.reduce((acc, w) => acc + BigInt(w.weight), 0n);
  const parts = weights.map((w) => ({ key: w.key, floor: (BigInt(total) * BigInt(w.weight)) / sum, rem: (BigInt(total) * BigInt(w.weight)) % sum }));
  let left = BigInt(total) - parts.reduce((acc, p) => acc + p.floor, 0n);
  for (const p of [...parts].sort((a, b) => (a.rem === b.rem ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.rem > b.rem ? -1 : 1))) {
    if (left === 0n) break;
    p.floor += 1n;
    left -= 1n;
  }
  return parts.map((p) => ({ key: p.key, amount: Number(p.floor) }));
}

test('allocate: the Number fast path (totals and weights below 2^26) gives exactly the BigInt parts, on both sides of the switch', () => {
  fc.assert(
    fc.property(totalArb, weightsArb, (total, weights) => {
      assert.deepEqual(allocate(total, weights), referenceAllocate(total, weights));
    }),
    RUNS,
  );
  // totals and weights on either side of 2^26, where allocate switches between Number and BigInt
  for (const total of [2 ** 26 - 1, 2 ** 26, 2 ** 26 + 1]) {
    for (const weights of [
      [{ key: 'a', weight: 2 ** 26 - 1 }, { key: 'b', weight: 3 }],
      [{ key: 'a', weight: 2 ** 25 }, { key: 'b', weight: 2 ** 25 - 1 }, { key: 'c', weight: 1 }],
      [{ key: 'a', weight: 2 ** 26 }, { key: 'b', weight: 7 }],
    ]) {
      assert.deepEqual(allocate(total, weights), referenceAllocate(total, weights), `${total} ${JSON.stringify(weights)}`);
    }
  }
  assert.deepEqual(allocate(0, [{ key: 'a', weight: 0 }]), [{ key: 'a', amount: 0 }]);
});

test('allocate: ties on the remainder go to the smaller key, known values', () => {
  assert.deepEqual(allocate(100, [{ key: 'b', weight: 1 }, { key: 'a', weight: 1 }, { key: 'c', weight: 1 }]), [
    { key: 'b', amount: 33 },
    { key: 'a', amount: 34 },
    { key: 'c', amount: 33 },
  ]);
  assert.deepEqual(allocate(900, [{ key: 'x', weight: 2 }, { key: 'y', weight: 1 }]), [
    { key: 'x', amount: 600 },
    { key: 'y', amount: 300 },
  ]);
  assert.deepEqual(allocate(0, []), []);
  assert.throws(() => allocate(10, [{ key: 'a', weight: 0 }]), /sum to zero/);
  assert.throws(() => allocate(10, [{ key: 'a', weight: 1 }, { key: 'a', weight: 2 }]), /duplicate key/);
  assert.throws(() => allocate(1.5, [{ key: 'a', weight: 1 }]), /safe integer/);
  assert.throws(() => allocate(10, [{ key: 'a', weight: -1 }]), /non-negative/);
});

test('topArtists: top 9 by seconds, ties by artist id, zero seconds never count', () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ artist: `artist-${String.fromCharCode(108 - i)}`, seconds: i < 4 ? 100 : 50 + i }));
  rows.push({ artist: 'artist-zero', seconds: 0 }, { artist: 'artist-l', seconds: 1 });
  const top = topArtists(rows);
  assert.equal(top.length, 9);
  assert.deepEqual(top.slice(0, 4).map((t) => t.artist), ['artist-l', 'artist-i', 'artist-j', 'artist-k']);
  assert.equal(top[0].seconds, 101);
  assert.deepEqual(top.slice(4).map((t) => t.artist), ['artist-a', 'artist-b', 'artist-c', 'artist-d', 'artist-e']);
  assert.ok(!top.some((t) => t.artist === 'artist-zero'));
  assert.deepEqual(topArtists({ b: 5, a: 5, c: 0 }), [{ artist: 'a', seconds: 5 }, { artist: 'b', seconds: 5 }]);
});

const listeningArb = fc.uniqueArray(fc.record({ artist: keyArb, seconds: fc.integer({ min: 0, max: 200_000 }) }), { maxLength: 14, selector: (r) => r.artist });

test('splitSubscription: fee + artists + held + unallocated always equals amount + credit', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: 0, max: 2_000 }),
      fc.integer({ min: 0, max: 5_000 }),
      listeningArb,
      fc.nat(),
      (amount, nodeFee, credit, artistSeconds, heldSeed) => {
        const held = artistSeconds.filter((_, i) => (heldSeed >> i) & 1).map((r) => ({ artist: r.artist, seconds: Math.floor(r.seconds / 2) }));
        const split = splitSubscription({ amount, nodeFee, credit, artistSeconds, held });
        const artistsTotal = split.artists.reduce((a, x) => a + x.amount, 0);
        assert.equal(split.nodeFee + artistsTotal + split.heldTotal + split.unallocated, amount + credit);
        assert.equal(split.nodeFee, Math.min(nodeFee, amount));
        assert.ok(split.artists.length <= 9);
        const top = topArtists(artistSeconds);
        assert.deepEqual(split.artists.map((a) => a.artist), top.map((t) => t.artist));
        if (top.length === 0) assert.equal(split.unallocated, split.pool);
        else assert.equal(split.unallocated, 0);
        // each artist (paid + held) gets within one unit of its exact share of the pool
        const W = top.reduce((a, t) => a + t.seconds, 0);
        for (const a of split.artists) {
          const h = split.held.find((x) => x.artist === a.artist);
          const got = a.amount + (h?.amount ?? 0);
          const exact = (split.pool * (a.seconds + (h?.seconds ?? 0))) / W;
          assert.ok(Math.abs(got - exact) < 2, `${got} vs ${exact}`);
        }
      },
    ),
    RUNS,
  );
});

test('splitSubscription: the 1000/100 default, fewer than 9 artists, no listening', () => {
  const s = splitSubscription({ artistSeconds: [{ artist: 'a', seconds: 300 }, { artist: 'b', seconds: 600 }] });
  assert.equal(s.nodeFee, 100);
  assert.deepEqual(s.artists, [{ artist: 'b', seconds: 600, amount: 600 }, { artist: 'a', seconds: 300, amount: 300 }]);
  const none = splitSubscription({ amount: 1000, nodeFee: 100, artistSeconds: [] });
  assert.deepEqual({ fee: none.nodeFee, unallocated: none.unallocated, artists: none.artists }, { fee: 100, unallocated: 900, artists: [] });
  assert.throws(() => splitSubscription({ artistSeconds: [{ artist: 'a', seconds: 10 }], held: [{ artist: 'a', seconds: 11 }] }), /exceed/);
});

test('splitSubscription: order of listening rows is irrelevant', () => {
  fc.assert(
    fc.property(listeningArb, (rows) => {
      const a = splitSubscription({ artistSeconds: rows });
      const b = splitSubscription({ artistSeconds: [...rows].reverse() });
      assert.deepEqual(a, b);
    }),
    RUNS,
  );
});

test('canonicalJson sorts keys at every depth; the report hash ignores row order and extra fields', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined }), '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  assert.throws(() => canonicalJson({ a: Number.NaN }), /non-finite/);
  const rows = [
    { pseudonym: 'p2', artist: 'a1', seconds: 40, plays: 1 },
    { pseudonym: 'p1', artist: 'a2', seconds: 30, plays: 1 },
    { pseudonym: 'p1', artist: 'a1', seconds: 31, plays: 2 },
  ];
  const hash = reportRowsHash(rows);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(reportRowsHash([...rows].reverse().map((r) => ({ ...r, extra: 1 }))), hash);
  // the documented canonical form, hashed independently
  const canonical =
    '[{"artist":"a1","plays":2,"pseudonym":"p1","seconds":31},{"artist":"a2","plays":1,"pseudonym":"p1","seconds":30},{"artist":"a1","plays":1,"pseudonym":"p2","seconds":40}]';
  assert.equal(hash, createHash('sha256').update(canonical).digest('hex'));
});

test('streamed hashing: canonicalHash, canonicalArrayChunks and writeCanonicalJson give the bytes and digest of canonicalJson', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  fc.assert(
    fc.property(fc.array(fc.jsonValue(), { maxLength: 40 }), (items) => {
      const whole = canonicalJson(items);
      const pieces: string[] = [];
      writeCanonicalJson(items, (p) => pieces.push(p));
      assert.equal(pieces.join(''), whole);
      assert.equal(canonicalHash(items), sha(whole));
      assert.equal(canonicalArrayChunks(items.map((i) => canonicalJson(i)), 7).hash, sha(whole));
    }),
    { numRuns: 200 },
  );
  // Large enough to be written in several 64 KiB pieces, with a unicode key to sort.
  const big = Array.from({ length: 5000 }, (_, i) => ({ pseudonym: `p${i}`, 'é': i, artists: [{ artist: `a${i % 7}`, amount: i }], note: undefined }));
  const pieces: string[] = [];
  writeCanonicalJson(big, (p) => pieces.push(p));
  assert.ok(pieces.length > 1);
  assert.equal(pieces.join(''), canonicalJson(big));
  assert.equal(canonicalHash(big), sha(canonicalJson(big)));
  assert.equal(canonicalArrayChunks([], 1).hash, sha('[]'));
  // Stored in chunks: every chunk is a JSON array of its items, the hash is the whole array's.
  const texts = big.map((b) => canonicalJson(b));
  for (const size of [1, 7, 1000, 5000, 9999]) {
    const { chunks, hash } = canonicalArrayChunks(texts, size);
    assert.equal(chunks.length, Math.ceil(texts.length / size));
    assert.equal(hash, sha(canonicalJson(big)));
    assert.deepEqual(chunks.flatMap((c) => JSON.parse(c.toString('utf8'))), JSON.parse(canonicalJson(big)));
  }
  assert.deepEqual(canonicalArrayChunks([], 10), { chunks: [], hash: sha('[]') });
  assert.throws(() => canonicalArrayChunks(texts, 0), /chunkSize must be a positive integer/);
  // The report hash is unchanged by streaming it.
  const rows = [{ pseudonym: 'b', artist: 'x', seconds: 3, plays: 1 }, { pseudonym: 'a', artist: 'y', seconds: 5, plays: 2 }];
  assert.equal(reportRowsHash(rows), sha('[{"artist":"y","plays":2,"pseudonym":"a","seconds":5},{"artist":"x","plays":1,"pseudonym":"b","seconds":3}]'));
});
