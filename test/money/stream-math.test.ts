// The stream math at its edges and as properties: never more than the deposit, never
// decreasing, exactly floor(deposit × elapsed / span) against a BigInt reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rateExhaustedAt, streamedLinear, streamedRate } from '../../server/money/stream-math.js';

const start = 1_800_000_000;

test('linear: nothing before the start or the cliff; the part since the start unlocks at the cliff; everything from the end on', () => {
  const terms = { deposit: 1000, start, cliff: start + 25, end: start + 100 };
  assert.equal(streamedLinear(terms, start - 1), 0);
  assert.equal(streamedLinear(terms, start), 0);
  assert.equal(streamedLinear(terms, start + 24), 0, 'before the cliff');
  assert.equal(streamedLinear(terms, start + 25), 250, 'at the cliff: counted from the start');
  assert.equal(streamedLinear(terms, start + 33), 330);
  assert.equal(streamedLinear(terms, start + 99), 990);
  assert.equal(streamedLinear(terms, start + 100), 1000, 'at the end');
  assert.equal(streamedLinear(terms, start + 10_000), 1000, 'after the end');
  const noCliff = { ...terms, cliff: null };
  assert.equal(streamedLinear(noCliff, start + 1), 10);
});

test('linear: a one-unit deposit streams nothing until the end; floors, never rounds up', () => {
  const one = { deposit: 1, start, cliff: null, end: start + 3 };
  assert.deepEqual([0, 1, 2, 3, 4].map((s) => streamedLinear(one, start + s)), [0, 0, 0, 1, 1]);
  const thirds = { deposit: 10, start, cliff: null, end: start + 3 };
  assert.deepEqual([1, 2, 3].map((s) => streamedLinear(thirds, start + s)), [3, 6, 10]);
});

test('linear: huge deposits over ten years stay exact (no floating point)', () => {
  const span = 10 * 365 * 86_400;
  const terms = { deposit: 1_000_000_000_000, start, cliff: null, end: start + span };
  for (const elapsed of [1, 7, 86_399, span / 3, span - 1]) {
    const exact = (BigInt(terms.deposit) * BigInt(Math.floor(elapsed))) / BigInt(span);
    assert.equal(streamedLinear(terms, start + Math.floor(elapsed)), Number(exact));
  }
  // A float product would be off here: 1e12 × 315359999 exceeds 2^53.
  assert.equal(streamedLinear(terms, start + span - 1), 999_999_996_829);
});

test('linear properties: 0 ≤ streamed ≤ deposit, never decreasing, equal to the BigInt formula', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000_000_000 }),
      fc.integer({ min: 1, max: 315_360_000 }),
      fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      fc.integer({ min: -1000, max: 400_000_000 }),
      fc.integer({ min: 0, max: 100_000 }),
      (deposit, span, cliffAt, t, dt) => {
        const cliff = cliffAt === null ? null : start + Math.floor(cliffAt * span);
        const terms = { deposit, start, cliff, end: start + span };
        const a = streamedLinear(terms, start + t);
        const b = streamedLinear(terms, start + t + dt);
        assert.ok(a >= 0 && a <= deposit && b >= a);
        const expected = t < 0 || (cliff !== null && start + t < cliff) ? 0 : t >= span ? deposit : Number((BigInt(deposit) * BigInt(t)) / BigInt(span));
        assert.equal(a, expected);
      },
    ),
    { numRuns: 2000 },
  );
});

test('rate: amount per period, capped by what was deposited; the escrow runs dry at an exact second', () => {
  const terms = { amount: 60, periodSeconds: 3600, start }; // 60 per hour: one a minute
  assert.equal(streamedRate(terms, 100, start), 0);
  assert.equal(streamedRate(terms, 100, start + 59), 0);
  assert.equal(streamedRate(terms, 100, start + 60), 1);
  assert.equal(streamedRate(terms, 100, start + 3600), 60);
  assert.equal(streamedRate(terms, 10, start + 3600), 10, 'never more than deposited');
  assert.equal(rateExhaustedAt(terms, 10), start + 600);
  assert.equal(streamedRate(terms, 10, start + 599), 9);
  assert.equal(streamedRate(terms, 10, start + 600), 10);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 1, max: 1_000_000_000 }), (amount, period, deposited) => {
      const r = { amount, periodSeconds: period, start };
      const at = rateExhaustedAt(r, deposited);
      assert.equal(streamedRate(r, deposited, at), deposited);
      assert.ok(streamedRate(r, deposited, at - 1) < deposited);
    }),
    { numRuns: 1000 },
  );
});
