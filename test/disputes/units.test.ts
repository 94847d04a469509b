// The pieces of disputes that need no network: config defaults and validation, the
// evidence hash reviewers check against the ledger, and the Flag's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disputesConfigSchema } from '../../server/disputes/config.js';
import { evidenceHash } from '../../server/disputes/evidence.js';
import { flagActivity } from '../../server/disputes/send-flag.js';
import { incomingFlagSchema, isDisputeFlag } from '../../server/disputes/process-flag.js';

test('config: defaults, and invalid values are refused', () => {
  const c = disputesConfigSchema.parse({});
  assert.deepEqual(c, { autoOpen: true, autoOpenAmount: 500, reviewDeadlineDays: 7, voidPolicy: 'refund', tickSeconds: 60, voteWaitMs: 15_000, maxReasonLength: 2000 });
  assert.equal(disputesConfigSchema.safeParse({ autoOpenAmount: 2.5 }).success, false, 'amounts are integer minor units');
  assert.equal(disputesConfigSchema.safeParse({ reviewDeadlineDays: 0 }).success, false);
  assert.equal(disputesConfigSchema.safeParse({ voidPolicy: 'keep' }).success, false);
});

test('evidence hash: canonical (key order does not matter), and any change shows', () => {
  const a = { month: '2026-11', rows: [{ pseudonym: 'p', heldAmount: 300 }], amount: 300 };
  const b = { amount: 300, rows: [{ heldAmount: 300, pseudonym: 'p' }], month: '2026-11' };
  assert.equal(evidenceHash(a), evidenceHash(b));
  assert.match(evidenceHash(a), /^[0-9a-f]{64}$/);
  assert.notEqual(evidenceHash(a), evidenceHash({ ...a, amount: 301 }));
});

test('the Flag carries the dispute reference and passes its own incoming validation', () => {
  const evidence = { version: 1, node: 'http://a/ap/actor', month: '2026-11', subject: { type: 'reportRow' as const, ref: '2026-11:http://a/ap/channels/band' }, artist: null, currency: 'USD', amount: 300, openedBy: 'auto' as const, reason: '', rows: [] };
  const flag = flagActivity({
    disputeId: '8350ac91-1783-434a-adfb-085b7342cf88', disputeUri: 'http://a/ap/disputes/8350ac91-1783-434a-adfb-085b7342cf88', reviewer: 'http://b/ap/actor',
    month: '2026-11', subject: evidence.subject, amount: 300, currency: 'USD', evidenceHash: evidenceHash(evidence), deadline: '2026-11-28T00:00:00.000Z', evidence,
  });
  assert.equal(flag.type, 'Flag');
  assert.deepEqual(flag.to, ['http://b/ap/actor']);
  assert.ok(isDisputeFlag(flag));
  assert.ok(!isDisputeFlag({ type: 'Flag', object: ['http://x/users/spam'] }), 'a moderation report is not a dispute');
  assert.equal(incomingFlagSchema.safeParse(flag).success, true);
  assert.equal(incomingFlagSchema.safeParse({ ...flag, disputeRef: { ...(flag.disputeRef as object), evidenceHash: 'nope' } }).success, false);
});
