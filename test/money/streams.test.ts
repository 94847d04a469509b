// Payment streams over real HTTP and PostgreSQL: the deposit sits in the stream's escrow,
// the recipient withdraws what has streamed, a cancel returns the rest at once; bad input and
// the wrong person change nothing; retries and races move money once; rate streams top up
// from the wallet and stop where it ran dry. After each scenario the books balance and the
// escrow equals what the streams still owe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { accounts } from '../../server/money/index.js';
import { streamEscrow } from '../../server/money/streams.js';
import { select } from '../../server/db/index.js';
import { assertBooksBalanced, balanceOf, credit, money } from './helpers.js';

let node: TestNode;
let T = Date.UTC(2027, 0, 4, 12, 0, 0);
const at = (seconds: number) => T / 1000 + seconds;
before(async () => {
  node = await startTestNode({ name: 'money-streams' });
  money(node).streams.clock = () => T;
});
after(async () => {
  await node?.stop();
});

const wallet = (id: string) => balanceOf(node, accounts.wallet(id).key);
const advance = (seconds: number) => {
  T += seconds * 1000;
};

async function people(funds = 10_000) {
  const sender = await node.user('listener');
  const recipient = await node.user('artist');
  if (funds) await credit(node, sender.user.id, funds);
  return { sender, recipient };
}

async function assertEscrowIdentity(): Promise<void> {
  const { escrow, outstanding } = await money(node).streams.escrowIdentity();
  assert.equal(escrow, outstanding, 'stream escrow equals deposited − withdrawn − refunded over all streams');
  await assertBooksBalanced(node);
}

test('a linear stream with a cliff: the deposit waits in escrow, the recipient withdraws what streamed, a cancel returns the rest', async () => {
  const { sender, recipient } = await people();
  const created = await node.api('POST', '/api/v1/streams', {
    token: sender.token,
    body: { recipient: recipient.user.username, amount: 1000, durationSeconds: 100, cliffSeconds: 25 },
  });
  assert.equal(created.status, 201, created.text);
  const id = created.body.id;
  assert.equal(created.body.kind, 'linear');
  assert.equal(created.body.status, 'streaming');
  assert.equal(created.body.cliffAt, new Date(at(25) * 1000).toISOString());
  assert.equal(await wallet(sender.user.id), 9000);
  assert.equal(await balanceOf(node, streamEscrow(id).key), 1000);

  advance(24);
  let seen = await node.api('GET', `/api/v1/streams/${id}`, { token: recipient.token });
  assert.deepEqual([seen.body.streamed, seen.body.withdrawable], [0, 0], 'nothing before the cliff');
  const early = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: {} });
  assert.equal(early.status, 409);
  assert.equal(early.body.code, 'nothing_to_withdraw');

  advance(16); // 40 s: 400 streamed
  seen = await node.api('GET', `/api/v1/streams/${id}`, { token: sender.token });
  assert.equal(seen.body.streamed, 400);
  const tooMuch = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: { amount: 401 } });
  assert.equal(tooMuch.status, 409);
  assert.equal(tooMuch.body.code, 'exceeds_withdrawable');
  assert.equal(tooMuch.body.details?.withdrawable ?? tooMuch.body.withdrawable, 400);
  const part = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: { amount: 150 } });
  assert.equal(part.status, 200, part.text);
  assert.equal(part.body.stream.withdrawn, 150);
  assert.equal(part.body.stream.withdrawable, 250);
  assert.equal(await wallet(recipient.user.id), 150);

  // Wrong people: the sender cannot withdraw, the recipient cannot cancel, others see nothing.
  assert.equal((await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: sender.token, body: {} })).status, 403);
  assert.equal((await node.api('POST', `/api/v1/streams/${id}/cancel`, { token: recipient.token })).status, 403);
  const stranger = await node.user('listener');
  assert.equal((await node.api('GET', `/api/v1/streams/${id}`, { token: stranger.token })).status, 404);
  assert.equal((await node.api('POST', `/api/v1/streams/${id}/cancel`, { token: stranger.token })).status, 404);

  advance(20); // 60 s: 600 streamed
  const cancel = await node.api('POST', `/api/v1/streams/${id}/cancel`, { token: sender.token });
  assert.equal(cancel.status, 200, cancel.text);
  assert.equal(cancel.body.stream.status, 'canceled');
  assert.equal(cancel.body.stream.refunded, 400);
  assert.equal(cancel.body.transaction.amount, 400);
  assert.equal(await wallet(sender.user.id), 9400, 'the part not streamed is back at once');
  const again = await node.api('POST', `/api/v1/streams/${id}/cancel`, { token: sender.token });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'stream_canceled');

  advance(1000); // what streamed before the cancel stays the recipient's; nothing more streams
  const rest = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: {} });
  assert.equal(rest.status, 200);
  assert.equal(rest.body.transaction.amount, 450);
  assert.equal(rest.body.stream.status, 'depleted');
  assert.equal(await wallet(recipient.user.id), 600);
  assert.equal(await balanceOf(node, streamEscrow(id).key), 0);
  await assertEscrowIdentity();
});

test('non-cancelable streams, finished streams, and the lists of sent and received streams', async () => {
  const { sender, recipient } = await people();
  const fixed = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: recipient.user.id, amount: 300, durationSeconds: 30, cancelable: false } });
  assert.equal(fixed.status, 201);
  const refused = await node.api('POST', `/api/v1/streams/${fixed.body.id}/cancel`, { token: sender.token });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.code, 'not_cancelable');
  const later = await node.api('POST', '/api/v1/streams', {
    token: sender.token,
    body: { recipient: recipient.user.id, amount: 200, startAt: new Date(at(60) * 1000).toISOString(), endAt: at(120) },
  });
  assert.equal(later.status, 201, later.text);
  assert.equal(later.body.status, 'pending');
  advance(30);
  const done = await node.api('GET', `/api/v1/streams/${fixed.body.id}`, { token: recipient.token });
  assert.equal(done.body.status, 'settled');
  assert.equal(done.body.withdrawable, 300);
  advance(100);
  const finished = await node.api('POST', `/api/v1/streams/${later.body.id}/cancel`, { token: sender.token });
  assert.equal(finished.status, 409);
  assert.equal(finished.body.code, 'stream_settled');
  const sent = await node.api('GET', '/api/v1/streams?role=sent', { token: sender.token });
  assert.deepEqual(sent.body.data.map((s: { id: string }) => s.id), [later.body.id, fixed.body.id]);
  const received = await node.api('GET', '/api/v1/streams?role=received', { token: recipient.token });
  assert.equal(received.body.data.length, 2);
  assert.equal((await node.api('GET', '/api/v1/streams?role=sent', { token: recipient.token })).body.data.length, 0);
  await assertEscrowIdentity();
});

test('bad input gets a clear error and moves nothing', async () => {
  const { sender, recipient } = await people(500);
  const before = await wallet(sender.user.id);
  const streamsBefore = (await select(node.ctx.db, 'SELECT id FROM money_streams')).length;
  const cases: [Record<string, unknown>, number, string][] = [
    [{ recipient: recipient.user.id, amount: -5, durationSeconds: 10 }, 400, 'invalid_input'],
    [{ recipient: recipient.user.id, amount: 0, durationSeconds: 10 }, 400, 'invalid_input'],
    [{ recipient: recipient.user.id, amount: 1.5, durationSeconds: 10 }, 400, 'invalid_input'],
    [{ recipient: recipient.user.id, amount: 1e15, durationSeconds: 10 }, 400, 'invalid_input'],
    [{ recipient: 'nobody-by-that-name', amount: 100, durationSeconds: 10 }, 404, 'not_found'],
    [{ recipient: sender.user.id, amount: 100, durationSeconds: 10 }, 400, 'invalid_recipient'],
    [{ recipient: recipient.user.id, amount: 100, startAt: at(100), endAt: at(50) }, 400, 'invalid_stream_times'],
    [{ recipient: recipient.user.id, amount: 100, startAt: at(-3600), durationSeconds: 10 }, 400, 'invalid_stream_times'],
    [{ recipient: recipient.user.id, amount: 100, durationSeconds: 10, cliffSeconds: 11 }, 400, 'invalid_stream_times'],
    [{ recipient: recipient.user.id, amount: 100 }, 400, 'invalid_stream_times'],
    [{ recipient: recipient.user.id, amount: 100, endAt: 'next tuesday' }, 400, 'invalid_input'],
    [{ recipient: recipient.user.id, amount: 100, durationSeconds: 10, currency: 'XTS' }, 400, 'unknown_currency'],
    [{ recipient: recipient.user.id, amount: 600, durationSeconds: 10 }, 402, 'insufficient_funds'],
    [{ recipient: recipient.user.id, rate: { amount: 10, periodSeconds: 0 } }, 400, 'invalid_input'],
  ];
  for (const [body, status, code] of cases) {
    const r = await node.api('POST', '/api/v1/streams', { token: sender.token, body });
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.code, code, JSON.stringify(body));
    assert.ok(r.body.detail ?? r.body.message ?? r.body.title, 'a message a person can act on');
  }
  assert.equal(await wallet(sender.user.id), before, 'nothing left the wallet');
  assert.equal((await select(node.ctx.db, 'SELECT id FROM money_streams')).length, streamsBefore, 'no stream was stored');
  assert.equal((await node.api('GET', '/api/v1/streams/not-a-uuid', { token: sender.token })).status, 404);
  assert.equal((await node.api('POST', '/api/v1/streams', { body: { recipient: recipient.user.id, amount: 1, durationSeconds: 1 } })).status, 401);
  await assertEscrowIdentity();
});

test('retries and races move money once: the same Idempotency-Key, and parallel withdrawals', async () => {
  const { sender, recipient } = await people();
  const body = { recipient: recipient.user.id, amount: 1000, durationSeconds: 10 };
  const first = await node.api('POST', '/api/v1/streams', { token: sender.token, body, headers: { 'idempotency-key': 'stream-retry-1' } });
  const second = await node.api('POST', '/api/v1/streams', { token: sender.token, body, headers: { 'idempotency-key': 'stream-retry-1' } });
  assert.equal(first.status, 201);
  assert.equal(second.status, 200);
  assert.equal(second.body.replayed, true);
  assert.equal(second.body.id, first.body.id);
  assert.equal(await wallet(sender.user.id), 9000, 'debited once');
  const racing = await Promise.all(Array.from({ length: 4 }, () => node.api('POST', '/api/v1/streams', { token: sender.token, body, headers: { 'idempotency-key': 'stream-race-2' } })));
  assert.equal(new Set(racing.map((r) => r.body.id)).size, 1, 'one stream for one key, whatever runs at once');
  assert.equal(await wallet(sender.user.id), 8000);

  advance(5); // 500 streamed on the first stream
  const id = first.body.id;
  const w1 = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: { amount: 100 }, headers: { 'idempotency-key': 'w-1' } });
  const w2 = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: { amount: 100 }, headers: { 'idempotency-key': 'w-1' } });
  assert.equal(w1.status, 200);
  assert.equal(w2.status, 200);
  assert.equal(w2.body.transaction.replayed, true);
  assert.equal(w2.body.stream.withdrawn, 100, 'the retry moved nothing');
  // A keyed withdrawal and an unkeyed one never share a books key (a key "100" after 100 was withdrawn once did).
  const keyed = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: { amount: 100 }, headers: { 'idempotency-key': '200' } });
  assert.equal(keyed.status, 200, keyed.text);
  const unkeyed = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: { amount: 100 } });
  assert.equal(unkeyed.status, 200, unkeyed.text);
  assert.equal(unkeyed.body.transaction.replayed, false);
  assert.equal(unkeyed.body.stream.withdrawn, 300);
  assert.equal(await wallet(recipient.user.id), 300, 'both moved money');
  await assertEscrowIdentity();
  const otherBody = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { ...body, amount: 999 }, headers: { 'idempotency-key': 'stream-retry-1' } });
  assert.equal(otherBody.status, 409);
  assert.equal(otherBody.body.code, 'idempotency_key_reused');
  const parallel = await Promise.all(Array.from({ length: 6 }, () => node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: {} })));
  const ok = parallel.filter((r) => r.status === 200);
  assert.ok(ok.length >= 1);
  assert.ok(parallel.every((r) => r.status === 200 || (r.status === 409 && r.body.code === 'nothing_to_withdraw')), parallel.map((r) => r.text).join('\n'));
  assert.equal(ok.reduce((a, r) => a + r.body.transaction.amount, 0), 200, 'together they took exactly what had streamed');
  assert.equal(await wallet(recipient.user.id), 500);
  await assertEscrowIdentity();
});

test('an open-ended rate stream tops up from the wallet in chunks and stops where the wallet ran dry', async () => {
  const { sender, recipient } = await people(25);
  // 60 an hour (one a minute), 10 at a time.
  const created = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: recipient.user.id, rate: { amount: 60, periodSeconds: 3600 }, chunk: 10 } });
  assert.equal(created.status, 201, created.text);
  const id = created.body.id;
  assert.equal(created.body.deposited, 10);
  assert.equal(created.body.runsDryAt, new Date(at(600) * 1000).toISOString());
  assert.equal(await wallet(sender.user.id), 15);
  const cancelable = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: recipient.user.id, rate: { amount: 60, periodSeconds: 3600 }, cancelable: false } });
  assert.equal(cancelable.status, 400, 'a rate stream is always cancelable');
  const tiny = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: recipient.user.id, rate: { amount: 3600, periodSeconds: 3600 }, chunk: 100 } });
  assert.equal(tiny.status, 400, 'a chunk shorter than the sweep\'s lead would keep the stream short');
  assert.equal(tiny.body.code, 'invalid_rate');

  advance(500); // within two minutes of running dry: the sweep tops up
  await money(node).streams.tick();
  let s = (await node.api('GET', `/api/v1/streams/${id}`, { token: sender.token })).body;
  assert.equal(s.deposited, 20);
  assert.equal(await wallet(sender.user.id), 5);
  advance(500); // 1000 s: 200 s of runway left, no top-up yet
  await money(node).streams.tick();
  assert.equal((await node.api('GET', `/api/v1/streams/${id}`, { token: sender.token })).body.deposited, 20);
  advance(100); // 1100 s: 18 streamed; the next top-up takes what the wallet has left
  await money(node).streams.tick();
  s = (await node.api('GET', `/api/v1/streams/${id}`, { token: sender.token })).body;
  assert.equal(s.deposited, 25);
  assert.equal(await wallet(sender.user.id), 0);
  assert.equal(s.streamed, 18);
  advance(900); // 2000 s would be 33, but only 25 was ever there
  await money(node).streams.tick();
  s = (await node.api('GET', `/api/v1/streams/${id}`, { token: recipient.token })).body;
  assert.equal(s.status, 'settled');
  assert.equal(s.stopReason, 'wallet_empty');
  assert.equal(s.stoppedAt, new Date(Date.parse(created.body.startAt) + 1500_000).toISOString(), 'where 25 had streamed');
  assert.equal(s.streamed, 25);
  await credit(node, sender.user.id, 100);
  advance(600);
  await money(node).streams.tick();
  s = (await node.api('GET', `/api/v1/streams/${id}`, { token: recipient.token })).body;
  assert.equal(s.deposited, 25, 'a stopped stream does not start again');
  const all = await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: {} });
  assert.equal(all.body.transaction.amount, 25);
  assert.equal(all.body.stream.status, 'depleted');
  await assertEscrowIdentity();
});

test('property: random creates, withdrawals, cancels, top-ups and time keep withdrawn ≤ streamed ≤ deposited and the escrow identity', async () => {
  const { sender, recipient } = await people(1_000_000);
  const ids: string[] = [];
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('linear' as const), amount: fc.integer({ min: 1, max: 5000 }), span: fc.integer({ min: 1, max: 500 }), cliff: fc.integer({ min: 0, max: 100 }) }),
          fc.record({ op: fc.constant('rate' as const), amount: fc.integer({ min: 1, max: 500 }), period: fc.integer({ min: 1, max: 600 }) }),
          fc.record({ op: fc.constant('withdraw' as const), pick: fc.nat(), part: fc.option(fc.integer({ min: 1, max: 3000 })) }),
          fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
          fc.record({ op: fc.constant('time' as const), seconds: fc.integer({ min: 1, max: 400 }) }),
        ),
        { minLength: 5, maxLength: 25 },
      ),
      async (ops) => {
        for (const o of ops) {
          if (o.op === 'linear') {
            const r = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: recipient.user.id, amount: o.amount, durationSeconds: o.span, cliffSeconds: Math.min(o.cliff, o.span) } });
            if (r.status === 201) ids.push(r.body.id);
          } else if (o.op === 'rate') {
            const r = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: recipient.user.id, rate: { amount: o.amount, periodSeconds: o.period } } });
            if (r.status === 201) ids.push(r.body.id);
          } else if (o.op === 'time') {
            advance(o.seconds);
            await money(node).streams.tick();
          } else if (ids.length) {
            const id = ids[o.pick % ids.length];
            const r = o.op === 'withdraw'
              ? await node.api('POST', `/api/v1/streams/${id}/withdraw`, { token: recipient.token, body: o.part === null ? {} : { amount: o.part } })
              : await node.api('POST', `/api/v1/streams/${id}/cancel`, { token: sender.token });
            assert.ok([200, 409].includes(r.status), r.text);
          }
        }
        for (const id of ids) {
          const s = (await node.api('GET', `/api/v1/streams/${id}`, { token: sender.token })).body;
          assert.ok(s.withdrawn <= s.streamed && s.streamed <= s.deposited, JSON.stringify(s));
          assert.equal(await balanceOf(node, streamEscrow(id).key), s.deposited - s.withdrawn - s.refunded);
        }
        await assertEscrowIdentity();
      },
    ),
    { numRuns: 8, seed: 2027 },
  );
});
