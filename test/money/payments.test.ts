// Top-ups through the payment providers: gift links (escrowed, redeemable once), signed
// processor webhooks (fail closed) and artist withdrawals settled by an admin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { accounts, signWebhook } from '../../server/money/index.js';
import { assertBooksBalanced, balanceOf, credit } from './helpers.js';

const secret = 'whsec_test_0123456789abcdef';

let node: TestNode;
let admin: { token: string; user: { id: string } };
before(async () => {
  node = await startTestNode({ name: 'money-payments', overrides: { money: { webhookSecret: secret } } });
  admin = await node.user('admin');
});
after(async () => {
  await node?.stop();
});

const wallet = (id: string) => balanceOf(node, accounts.wallet(id).key);
const escrow = () => balanceOf(node, accounts.giftEscrow().key);

test('a listener funds a gift link from their wallet; a newcomer redeems it once, by its code', async () => {
  const giver = await node.user('listener');
  await credit(node, giver.user.id, 3000);
  const escrowBefore = await escrow();
  const created = await node.api('POST', '/api/v1/gift-links', { token: giver.token, body: { amount: 1000, message: 'Enjoy!' } });
  assert.equal(created.status, 201);
  assert.equal(created.body.amount, 1000);
  assert.equal(created.body.status, 'open');
  assert.equal(created.body.fundedFrom, 'wallet');
  assert.match(created.body.url, new RegExp(`/gift/${created.body.code}$`));
  assert.match(created.body.qr.svg, /^<svg[\s\S]*<\/svg>\s*$/);
  assert.match(created.body.qr.png, /^data:image\/png;base64,/);
  assert.equal(await wallet(giver.user.id), 2000, 'the amount left the creator');
  assert.equal(await escrow(), escrowBefore + 1000, 'and sits in escrow');

  const preview = await node.api('GET', `/api/v1/gift-links/${created.body.code}`);
  assert.equal(preview.status, 200);
  assert.equal(preview.body.amount, 1000);
  assert.equal(preview.body.message, 'Enjoy!');
  assert.equal(preview.body.creator_id, undefined);

  const newcomer = await node.user('listener');
  const before = await node.api('GET', '/api/v1/me/wallet', { token: newcomer.token });
  assert.equal(before.body.balance, 0);
  const redeemed = await node.api('POST', `/api/v1/gift-links/${created.body.code}/redeem`, { token: newcomer.token });
  assert.equal(redeemed.status, 200);
  assert.equal(redeemed.body.balance, 1000);
  assert.equal(redeemed.body.link.status, 'redeemed');
  assert.equal(redeemed.body.transaction.provider, 'gift-link');
  assert.equal(await escrow(), escrowBefore);

  const again = await node.api('POST', `/api/v1/gift-links/${created.body.code}/redeem`, { token: giver.token });
  assert.equal(again.status, 410);
  assert.equal(again.body.code, 'gift_link_redeemed');
  assert.equal(await wallet(giver.user.id), 2000, 'a reused link moves nothing');
  assert.equal(await wallet(newcomer.user.id), 1000);
  const unknown = await node.api('POST', '/api/v1/gift-links/nosuchcode1234/redeem', { token: giver.token });
  assert.equal(unknown.status, 404);
  await assertBooksBalanced(node, admin.token);
});

test('parallel redemptions of one gift link: exactly one succeeds', async () => {
  const link = await node.api('POST', '/api/v1/gift-links', { token: admin.token, body: { amount: 750 } });
  assert.equal(link.status, 201);
  assert.equal(link.body.fundedFrom, 'node', 'an admin funds from the node by default');
  const takers = await Promise.all(Array.from({ length: 6 }, () => node.user('listener')));
  const results = await Promise.all(takers.map((u) => node.api('POST', `/api/v1/gift-links/${link.body.code}/redeem`, { token: u.token })));
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 410, 410, 410, 410, 410]);
  const balances = await Promise.all(takers.map((u) => wallet(u.user.id)));
  assert.deepEqual(balances.sort((a, b) => b - a), [750, 0, 0, 0, 0, 0]);
  await assertBooksBalanced(node);
});

test('gift links: bad amounts, unknown currency, short balance and non-admin node funding are refused', async () => {
  const u = await node.user('listener');
  await credit(node, u.user.id, 500);
  const escrowBefore = await escrow();
  for (const body of [{ amount: -1 }, { amount: 2.5 }, { amount: 0 }]) {
    const res = await node.api('POST', '/api/v1/gift-links', { token: u.token, body });
    assert.equal(res.status, 400);
  }
  const eur = await node.api('POST', '/api/v1/gift-links', { token: u.token, body: { amount: 100, currency: 'EUR' } });
  assert.equal(eur.body.code, 'unknown_currency');
  const short = await node.api('POST', '/api/v1/gift-links', { token: u.token, body: { amount: 501 } });
  assert.equal(short.status, 402);
  assert.equal(short.body.code, 'insufficient_funds');
  const minted = await node.api('POST', '/api/v1/gift-links', { token: u.token, body: { amount: 100, fundFrom: 'node' } });
  assert.equal(minted.status, 403);
  assert.equal(await wallet(u.user.id), 500);
  assert.equal(await escrow(), escrowBefore);
  // A retried create with the same Idempotency-Key returns the same link and funds it once.
  const a = await node.api('POST', '/api/v1/gift-links', { token: u.token, body: { amount: 200 }, headers: { 'idempotency-key': 'gift-a' } });
  const b = await node.api('POST', '/api/v1/gift-links', { token: u.token, body: { amount: 200 }, headers: { 'idempotency-key': 'gift-a' } });
  assert.equal(a.status, 201);
  assert.equal(b.status, 200);
  assert.equal(a.body.code, b.body.code);
  assert.equal(await wallet(u.user.id), 300);
  await assertBooksBalanced(node);
});

async function sendWebhook(body: unknown, opts: { ts?: number; sign?: string; contentType?: string } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  return node.api('POST', '/api/v1/payments/webhook', {
    body: raw,
    headers: {
      'content-type': opts.contentType ?? 'application/webhook+json',
      'x-payment-timestamp': String(ts),
      'x-payment-signature': opts.sign ?? signWebhook(secret, ts, raw),
    },
  });
}

test('webhook top-up: a signed notification credits the opened top-up once', async () => {
  const u = await node.user('listener');
  const intent = await node.api('POST', '/api/v1/me/top-ups', { token: u.token, body: { amount: 2000 } });
  assert.equal(intent.status, 201);
  assert.equal(intent.body.status, 'pending');
  const event = { id: `evt_${intent.body.id}`, type: 'payment.succeeded', data: { topUpId: intent.body.id, amount: 2000, currency: 'USD', fee: 88, rate: '1', reference: 'ch_123' } };
  const ok = await sendWebhook(event);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.status, 'credited');
  assert.equal(ok.body.transaction.fee, 88, 'fee stored at charge time');
  assert.equal(ok.body.transaction.rate, '1');
  assert.equal(ok.body.transaction.amount, 2000);
  assert.equal(await wallet(u.user.id), 2000);
  // Same event again: refused by its id.
  const replay = await sendWebhook(event);
  assert.equal(replay.status, 409);
  assert.equal(replay.body.code, 'replayed_event');
  // A second event for the same top-up (processor retry with a new id): credited once only.
  const second = await sendWebhook({ ...event, id: `evt2_${intent.body.id}` });
  assert.equal(second.status, 200);
  assert.equal(second.body.status, 'already_credited');
  assert.equal(await wallet(u.user.id), 2000);
  // octet-stream works as well.
  const intent2 = await node.api('POST', '/api/v1/me/top-ups', { token: u.token, body: { amount: 300 } });
  const viaOctet = await sendWebhook({ id: `evt_${intent2.body.id}`, type: 'payment.succeeded', data: { topUpId: intent2.body.id, amount: 300, currency: 'USD' } }, { contentType: 'application/octet-stream' });
  assert.equal(viaOctet.status, 200, viaOctet.text);
  assert.equal(await wallet(u.user.id), 2300);
  await assertBooksBalanced(node);
});

test('forged webhooks are refused and move nothing', async () => {
  const u = await node.user('listener');
  const intent = await node.api('POST', '/api/v1/me/top-ups', { token: u.token, body: { amount: 1500 } });
  const event = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'payment.succeeded', data: { topUpId: intent.body.id, amount: 1500, currency: 'USD', ...extra } });
  const now = Math.floor(Date.now() / 1000);

  const badSig = await sendWebhook(event('f1'), { sign: signWebhook('wrong-secret-wrong-secret', now, JSON.stringify(event('f1'))) });
  assert.equal(badSig.status, 401);
  assert.equal(badSig.body.code, 'invalid_signature');
  const tampered = JSON.stringify(event('f2'));
  const tamperedRes = await node.api('POST', '/api/v1/payments/webhook', {
    body: tampered.replace('1500', '9500'),
    headers: { 'content-type': 'application/octet-stream', 'x-payment-timestamp': String(now), 'x-payment-signature': signWebhook(secret, now, tampered) },
  });
  assert.equal(tamperedRes.status, 401);
  const noSig = await node.api('POST', '/api/v1/payments/webhook', { body: JSON.stringify(event('f3')), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(noSig.status, 401);
  const old = await sendWebhook(event('f4'), { ts: now - 3600 });
  assert.equal(old.status, 401);
  assert.equal(old.body.code, 'stale_timestamp');
  const future = await sendWebhook(event('f5'), { ts: now + 3600 });
  assert.equal(future.body.code, 'stale_timestamp');
  const mismatch = await sendWebhook(event('f6', { amount: 15000 }));
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.body.code, 'amount_mismatch');
  const currency = await sendWebhook(event('f7', { currency: 'EUR' }));
  assert.equal(currency.status, 400);
  assert.equal(currency.body.code, 'unknown_currency');
  const fractional = await sendWebhook(event('f8', { amount: 15.5 }));
  assert.equal(fractional.status, 400);
  const unknownTopUp = await sendWebhook({ id: 'f9', type: 'payment.succeeded', data: { topUpId: '00000000-0000-4000-8000-000000000000', amount: 1500, currency: 'USD' } });
  assert.equal(unknownTopUp.status, 404);
  // application/json is verified over the exact bytes received: a signature over another
  // serialization of the same object does not pass.
  const asJson = await node.api('POST', '/api/v1/payments/webhook', {
    body: JSON.stringify(event('f10')),
    headers: { 'content-type': 'application/json', 'x-payment-timestamp': String(now), 'x-payment-signature': signWebhook(secret, now, JSON.stringify(event('f10'), null, 2)) },
  });
  assert.equal(asJson.status, 401, 'signature checked over the raw bytes, not the parsed object');
  assert.equal(await wallet(u.user.id), 0, 'nothing moved');
  // Fails closed without a secret.
  node.ctx.config.money.webhookSecret = null;
  try {
    const unconfigured = await sendWebhook(event('f11'));
    assert.equal(unconfigured.status, 503);
    assert.equal(unconfigured.body.code, 'webhook_not_configured');
  } finally {
    node.ctx.config.money.webhookSecret = secret;
  }
  assert.equal(await wallet(u.user.id), 0);
  // The genuine notification still works afterwards.
  const genuine = await sendWebhook(event('f12'));
  assert.equal(genuine.status, 200);
  assert.equal(await wallet(u.user.id), 1500);
  await assertBooksBalanced(node);
});

test('withdrawals: an artist requests, the admin settles with a reference', async () => {
  const artist = await node.user('artist');
  const listener = await node.user('listener');
  await credit(node, artist.user.id, 5000);
  const denied = await node.api('POST', '/api/v1/me/withdrawals', { token: listener.token, body: { amount: 100 } });
  assert.equal(denied.status, 403);
  const tooMuch = await node.api('POST', '/api/v1/me/withdrawals', { token: artist.token, body: { amount: 5001 } });
  assert.equal(tooMuch.status, 402);
  const neg = await node.api('POST', '/api/v1/me/withdrawals', { token: artist.token, body: { amount: -5 } });
  assert.equal(neg.status, 400);
  const payableBefore = await balanceOf(node, accounts.withdrawalsPayable().key);
  const req = await node.api('POST', '/api/v1/me/withdrawals', { token: artist.token, body: { amount: 4000, destination: 'IBAN DE00 1234' }, headers: { 'idempotency-key': 'w1' } });
  assert.equal(req.status, 201);
  const dup = await node.api('POST', '/api/v1/me/withdrawals', { token: artist.token, body: { amount: 4000, destination: 'IBAN DE00 1234' }, headers: { 'idempotency-key': 'w1' } });
  assert.equal(dup.status, 200);
  assert.equal(dup.body.id, req.body.id);
  assert.equal(await wallet(artist.user.id), 1000);
  assert.equal(await balanceOf(node, accounts.withdrawalsPayable().key), payableBefore + 4000);
  const list = await node.api('GET', '/api/v1/admin/withdrawals?status=requested', { token: admin.token });
  assert.ok(list.body.data.some((w: { id: string }) => w.id === req.body.id));
  const settled = await node.api('POST', `/api/v1/admin/withdrawals/${req.body.id}/settle`, { token: admin.token, body: { reference: 'SEPA-42' } });
  assert.equal(settled.status, 200);
  assert.equal(settled.body.status, 'settled');
  assert.equal(settled.body.reference, 'SEPA-42');
  const twice = await node.api('POST', `/api/v1/admin/withdrawals/${req.body.id}/settle`, { token: admin.token, body: { reference: 'SEPA-43' } });
  assert.equal(twice.status, 409);
  assert.equal(await balanceOf(node, accounts.withdrawalsPayable().key), payableBefore);
  await assertBooksBalanced(node, admin.token);
});
