// The inbox refuses forged, unsigned, replayed, oversized and malformed posts with the
// right status and changes nothing; 1,000 malformed activities leave the node up, no 5xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TestNode } from '../helpers/node.js';
import { startNodes, signedRequest, post, count } from './support.js';
import { federationService } from '../../server/federation/index.js';

let a: TestNode, b: TestNode;
let inbox: string;
let bea: string;
let target: string;

const follow = (id: string, actor = bea) => JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', id, type: 'Follow', actor, object: target });

before(async () => {
  [a, b] = await startNodes(['safe-a', 'safe-b'], {
    // This file's fuzz posts many refusals from one address; the per-address limit has its own test (inbox-limits.test.ts).
    overrides: { federation: { maxInboxBytes: 16_384, signatureWindowSeconds: 300, inboxFailuresPerMinutePerAddress: 1_000_000 } },
  });
  await a.user('listener', 'ana');
  await b.user('listener', 'bea');
  await b.user('listener', 'bob');
  inbox = `${a.url}/ap/inbox`;
  bea = `${b.ctx.config.publicUrl}/ap/users/bea`;
  target = `${a.ctx.config.publicUrl}/ap/users/ana`;
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
});

test('a correctly signed Follow is accepted (the baseline the refusals differ from)', async () => {
  const res = await post(await signedRequest(b, bea, inbox, follow(`${b.ctx.config.publicUrl}/ap/activities/ok-1`)));
  assert.equal(res.status, 202, res.text);
  await a.waitJobs();
  assert.equal(await count(a, 'federation_follows', `follower_uri = '${bea}' AND state = 'accepted'`), 1);
});

test('unsigned, forged, tampered, replayed, stale, oversized and malformed posts are refused and change nothing', async () => {
  const base = `${b.ctx.config.publicUrl}/ap/activities`;
  const itemsBefore = await count(a, 'federation_inbox_items');
  const followsBefore = await count(a, 'federation_follows');

  // Unsigned.
  const unsigned = await fetch(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: follow(`${base}/unsigned`) });
  assert.equal(unsigned.status, 401);

  // Forged: signed by bob's key, claiming to be bea.
  const bob = `${b.ctx.config.publicUrl}/ap/users/bob`;
  assert.equal((await post(await signedRequest(b, bob, inbox, follow(`${base}/forged`)))).status, 401);

  // Tampered: signed body differs from the body sent (Digest mismatch).
  const tampered = await post(await signedRequest(b, bea, inbox, follow(`${base}/signed`), { sendBody: follow(`${base}/tampered`) }));
  assert.equal(tampered.status, 401);

  // Replayed: the same signed request twice.
  const once = await signedRequest(b, bea, inbox, JSON.stringify({ id: `${base}/replay`, type: 'Like', actor: bea, object: `${a.ctx.config.publicUrl}/ap/tracks/none` }));
  const twice = once.clone();
  assert.equal((await post(once)).status, 202);
  assert.equal((await post(twice)).status, 409);

  // Stale: a Date outside the signature window.
  const stale = await post(await signedRequest(b, bea, inbox, follow(`${base}/stale`), { date: new Date(Date.now() - 3600_000) }));
  assert.equal(stale.status, 401);

  // Oversized.
  const big = JSON.stringify({ id: `${base}/big`, type: 'Follow', actor: bea, object: target, padding: 'x'.repeat(20_000) });
  assert.equal((await post(await signedRequest(b, bea, inbox, big))).status, 413);

  // Malformed: not JSON, no id, unknown type, object from another server.
  assert.equal((await post(await signedRequest(b, bea, inbox, '{"type": "Follow",'))).status, 400);
  assert.equal((await post(await signedRequest(b, bea, inbox, JSON.stringify({ type: 'Follow', actor: bea, object: target })))).status, 400);
  assert.equal((await post(await signedRequest(b, bea, inbox, JSON.stringify({ id: `${base}/x`, type: 'Frobnicate', actor: bea, object: target })))).status, 400);
  const foreign = JSON.stringify({ id: `${base}/c`, type: 'Create', actor: bea, object: { id: 'https://elsewhere.example/notes/1', type: 'Note' } });
  assert.equal((await post(await signedRequest(b, bea, inbox, foreign))).status, 403);

  await a.waitJobs();
  // Only the replay's first (legitimate) copy was stored; nothing else changed.
  assert.equal(await count(a, 'federation_inbox_items'), itemsBefore + 1);
  assert.equal(await count(a, 'federation_follows'), followsBefore);
});

test('fuzz: 1,000 malformed activities, no 5xx, the node stays up', async () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  const mutated = fc.record(
    {
      '@context': fc.oneof(fc.constant('https://www.w3.org/ns/activitystreams'), json),
      id: fc.oneof(fc.webUrl(), fc.string(), fc.integer(), fc.constant(`${b.ctx.config.publicUrl}/ap/activities/fz`)),
      type: fc.oneof(fc.constantFrom('Follow', 'Create', 'Listen', 'Stream', 'Subscription', 'Undo', 'Delete'), fc.array(fc.string(), { maxLength: 3 }), json),
      actor: fc.oneof(fc.constant(bea), fc.webUrl(), json),
      object: fc.oneof(fc.constant(target), fc.webUrl(), json, fc.record({ id: fc.webUrl(), type: fc.string() })),
      qualifiedSeconds: fc.oneof(fc.integer(), fc.double(), fc.string()),
      streamState: fc.oneof(fc.constantFrom('started', 'ended'), fc.string()),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.sample(
    fc.oneof(
      { weight: 3, arbitrary: mutated.map((o) => JSON.stringify(o)) },
      { weight: 1, arbitrary: json.map((j) => JSON.stringify(j)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    ),
    { numRuns: 1000, seed: 9010 },
  );
  assert.equal(bodies.length, 1000);
  const statuses = new Map<number, number>();
  const batch = 20;
  for (let i = 0; i < bodies.length; i += batch) {
    const results = await Promise.all(
      bodies.slice(i, i + batch).map(async (body, j) => {
        // Most are signed by a real actor (so they reach validation), some are not.
        const req = (i + j) % 4 === 3
          ? new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body })
          : await signedRequest(b, bea, inbox, body);
        return (await post(req)).status;
      }),
    );
    for (const s of results) statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  const fiveHundreds = [...statuses].filter(([s]) => s >= 500);
  assert.deepEqual(fiveHundreds, [], `statuses: ${JSON.stringify([...statuses])}`);
  assert.ok([...statuses.keys()].every((s) => s === 202 || (s >= 400 && s < 500)));
  await a.waitJobs();
  const health = await a.api('GET', '/healthz');
  assert.equal(health.status, 200);
  const stuck = await count(a, 'federation_inbox_items', `state IN ('received', 'failed')`);
  assert.equal(stuck, 0);
});

test('posts beyond the per-host rate limit get 429 and change nothing', async () => {
  const inboxSvc = federationService(a.ctx).inbox;
  assert.equal(inboxSvc.rateLimitPerMinute, a.ctx.config.federation.inboxRateLimitPerMinute, 'the limit comes from the config');
  const configured = inboxSvc.rateLimitPerMinute;
  const before = await count(a, 'federation_inbox_items');
  inboxSvc.rateLimitPerMinute = 0;
  try {
    const res = await post(await signedRequest(b, bea, inbox, follow(`${b.ctx.config.publicUrl}/ap/activities/limited`)));
    assert.equal(res.status, 429);
  } finally {
    inboxSvc.rateLimitPerMinute = configured;
  }
  assert.equal(await count(a, 'federation_inbox_items'), before);
});

test('after a key rotation the receiving node refetches the key and accepts the new signature', async () => {
  // A has bea's old key cached from the posts above.
  await federationService(b.ctx).rotateKeys(bea);
  const res = await post(await signedRequest(b, bea, inbox, JSON.stringify({ id: `${b.ctx.config.publicUrl}/ap/activities/rotated`, type: 'Like', actor: bea, object: `${a.ctx.config.publicUrl}/ap/tracks/none` })));
  assert.equal(res.status, 202, res.text);
});

test('a Listen without valid qualifiedSeconds is refused; a moderation Flag about a local account becomes a report; a dispute Flag the ledger does not know ends ignored (not retried)', async () => {
  const base = `${b.ctx.config.publicUrl}/ap/activities`;
  const trackUri = `${a.ctx.config.publicUrl}/ap/tracks/none`;
  for (const [i, qs] of [undefined, 'NaN', -1, 1.5].entries()) {
    const body = JSON.stringify({ id: `${base}/listen-bad-${i}`, type: 'Listen', actor: bea, object: trackUri, ...(qs === undefined ? {} : { qualifiedSeconds: qs }) });
    assert.equal((await post(await signedRequest(b, bea, inbox, body))).status, 400, `qualifiedSeconds ${String(qs)}`);
  }
  // A moderation report (no disputeRef) and a dispute Flag whose dispute the ledger does not know.
  const report = JSON.stringify({ id: `${base}/flag-report`, type: 'Flag', actor: bea, object: [target], content: 'spam' });
  assert.equal((await post(await signedRequest(b, bea, inbox, report))).status, 202);
  const dispute = JSON.stringify({
    id: `${base}/flag-dispute`,
    type: 'Flag',
    actor: bea,
    object: `${b.ctx.config.publicUrl}/ap/disputes/00000000-0000-4000-8000-000000000000`,
    disputeRef: {
      id: `${b.ctx.config.publicUrl}/ap/disputes/00000000-0000-4000-8000-000000000000`,
      disputeId: '00000000-0000-4000-8000-000000000000',
      month: '2026-01',
      subject: { type: 'payout', ref: 'x' },
      amount: 1,
      currency: 'USD',
      evidenceHash: '0'.repeat(64),
      evidence: {},
    },
  });
  assert.equal((await post(await signedRequest(b, bea, inbox, dispute))).status, 202);
  await a.waitJobs();
  const [rows] = await a.ctx.db.query(`SELECT body->>'id' AS id, state FROM federation_inbox_items WHERE body->>'type' = 'Flag' ORDER BY body->>'id'`);
  assert.deepEqual(rows, [
    { id: `${base}/flag-dispute`, state: 'ignored' },
    { id: `${base}/flag-report`, state: 'processed' },
  ]);
  assert.equal(await count(a, 'disputes'), 0);
  assert.equal(await count(a, 'moderation_reports', `flag_activity_id = '${base}/flag-report' AND reporter_actor_uri = '${bea}'`), 1);
});
