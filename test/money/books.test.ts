// The books: balanced, idempotent, integer-only, overdraft-proof — in the service and in
// the database itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { execute, select, selectOne } from '../../server/db/index.js';
import { accounts } from '../../server/money/index.js';
import { assertBooksBalanced, balanceOf, money } from './helpers.js';

let node: TestNode;
let admin: { token: string; user: { id: string } };
before(async () => {
  node = await startTestNode({ name: 'money-books' });
  admin = await node.user('admin');
});
after(async () => {
  await node?.stop();
});

test('admin credit: same Idempotency-Key twice credits once and returns the first result', async () => {
  const l = await node.user('listener');
  const first = await node.api('POST', `/api/v1/admin/wallets/${l.user.id}/credit`, { token: admin.token, body: { amount: 2500, reference: 'cash' }, headers: { 'idempotency-key': 'credit-1' } });
  assert.equal(first.status, 201);
  assert.equal(first.body.balance, 2500);
  assert.equal(first.body.transaction.amount, 2500);
  assert.equal(first.body.transaction.provider, 'admin');
  const again = await node.api('POST', `/api/v1/admin/wallets/${l.user.id}/credit`, { token: admin.token, body: { amount: 2500, reference: 'cash' }, headers: { 'idempotency-key': 'credit-1' } });
  assert.equal(again.status, 200);
  assert.equal(again.body.transaction.id, first.body.transaction.id);
  assert.equal(again.body.transaction.replayed, true);
  assert.equal(again.body.balance, 2500, 'moved once');
  const reused = await node.api('POST', `/api/v1/admin/wallets/${l.user.id}/credit`, { token: admin.token, body: { amount: 999 }, headers: { 'idempotency-key': 'credit-1' } });
  assert.equal(reused.status, 409);
  assert.equal(reused.body.code, 'idempotency_key_reused');
  const wallet = await node.api('GET', '/api/v1/me/wallet', { token: l.token });
  assert.equal(wallet.status, 200);
  assert.equal(wallet.body.balance, 2500);
  assert.equal(wallet.body.currency, 'USD');
  assert.equal(wallet.body.entries.total, 1);
  assert.equal(wallet.body.entries.data[0].amount, 2500);
  await assertBooksBalanced(node, admin.token);
});

test('bad amounts and currencies are refused with clear errors and nothing moves', async () => {
  const l = await node.user('listener');
  const cases: [unknown, string][] = [
    [{ amount: -100 }, 'greater than zero'],
    [{ amount: 0 }, 'greater than zero'],
    [{ amount: 10.5 }, 'whole number'],
    [{ amount: '1000' }, 'amount'],
    [{ amount: 1e15 }, 'at most'],
    [{}, 'amount'],
  ];
  for (const [body, message] of cases) {
    const res = await node.api('POST', `/api/v1/admin/wallets/${l.user.id}/credit`, { token: admin.token, body });
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.code, 'invalid_input');
    assert.match(res.body.detail, new RegExp(message));
  }
  const eur = await node.api('POST', `/api/v1/admin/wallets/${l.user.id}/credit`, { token: admin.token, body: { amount: 100, currency: 'EUR' } });
  assert.equal(eur.status, 400);
  assert.equal(eur.body.code, 'unknown_currency');
  assert.match(eur.body.detail, /USD/);
  // The service refuses the same without HTTP in front of it.
  await assert.rejects(money(node).adminCredit.topUp({ userId: l.user.id, amount: 1.25, idempotencyKey: 'frac' }), { code: 'invalid_amount' });
  await assert.rejects(money(node).adminCredit.topUp({ userId: l.user.id, amount: -5, idempotencyKey: 'neg' }), { code: 'invalid_amount' });
  await assert.rejects(money(node).adminCredit.topUp({ userId: l.user.id, amount: 5, currency: 'XBT', idempotencyKey: 'xbt' }), { code: 'unknown_currency' });
  const notAdmin = await node.api('POST', `/api/v1/admin/wallets/${l.user.id}/credit`, { token: l.token, body: { amount: 100 } });
  assert.equal(notAdmin.status, 403);
  assert.equal(await balanceOf(node, accounts.wallet(l.user.id).key), 0);
  await assertBooksBalanced(node);
});

test('parallel top-ups all land exactly once; parallel retries of one key land once', async () => {
  const l = await node.user('listener');
  const distinct = await Promise.all(
    Array.from({ length: 12 }, (_, i) => money(node).adminCredit.topUp({ userId: l.user.id, amount: 100 + i, idempotencyKey: `par-${l.user.id}-${i}` })),
  );
  assert.equal(new Set(distinct.map((t) => t.id)).size, 12);
  const sameKey = await Promise.all(
    Array.from({ length: 8 }, () => money(node).adminCredit.topUp({ userId: l.user.id, amount: 700, idempotencyKey: `same-${l.user.id}` })),
  );
  assert.equal(new Set(sameKey.map((t) => t.id)).size, 1, 'one transaction for one key');
  assert.equal(sameKey.filter((t) => !t.replayed).length, 1);
  const expected = Array.from({ length: 12 }, (_, i) => 100 + i).reduce((a, b) => a + b, 0) + 700;
  assert.equal(await balanceOf(node, accounts.wallet(l.user.id).key), expected);
  await assertBooksBalanced(node);
});

test('the database itself refuses unbalanced transactions, overdrafts and edits', async () => {
  const l = await node.user('listener');
  await money(node).adminCredit.topUp({ userId: l.user.id, amount: 300, idempotencyKey: `db-${l.user.id}` });
  const wallet = (await selectOne<{ id: string }>(node.ctx.db, 'SELECT id FROM money_accounts WHERE key = :k', { k: accounts.wallet(l.user.id).key }))!.id;
  const fee = await money(node).books.ensureAccount(accounts.nodeFee());
  // Straight SQL, as any buggy code path could write it (a plain client: no ORM in between).
  const client = new pg.Client({ connectionString: node.databaseUrl });
  await client.connect();
  const inTx = async (fn: () => Promise<unknown>) => {
    await client.query('BEGIN');
    try {
      await fn();
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
  };
  try {
    // One-sided entry: the balance trigger refuses it.
    await assert.rejects(
      inTx(async () => {
        const tx = await client.query("INSERT INTO money_transactions (idempotency_key, request_hash, kind, currency, amount) VALUES ('raw-1', 'x', 'raw', 'USD', 50) RETURNING id");
        await client.query('INSERT INTO money_entries (transaction_id, account_id, amount) VALUES ($1, $2, 50)', [tx.rows[0].id, fee]);
      }),
      /not balanced/,
    );
    // A balanced transaction, then one more entry to it in a later statement: refused too (the
    // check is per statement, over all of the transaction's entries).
    await assert.rejects(
      inTx(async () => {
        const tx = await client.query("INSERT INTO money_transactions (idempotency_key, request_hash, kind, currency, amount) VALUES ('raw-3', 'x', 'raw', 'USD', 50) RETURNING id");
        await client.query('INSERT INTO money_entries (transaction_id, account_id, amount) VALUES ($1, $2, -50), ($1, $3, 50)', [tx.rows[0].id, fee, fee]);
        await client.query('INSERT INTO money_entries (transaction_id, account_id, amount) VALUES ($1, $2, 10)', [tx.rows[0].id, fee]);
      }),
      /not balanced/,
    );
    // Balanced but overdrawing the wallet: the account CHECK refuses it.
    await assert.rejects(
      inTx(async () => {
        const tx = await client.query("INSERT INTO money_transactions (idempotency_key, request_hash, kind, currency, amount) VALUES ('raw-2', 'x', 'raw', 'USD', 500) RETURNING id");
        await client.query('INSERT INTO money_entries (transaction_id, account_id, amount) VALUES ($1, $2, -500), ($1, $3, 500)', [tx.rows[0].id, wallet, fee]);
      }),
      /money_accounts_non_negative/,
    );
  } finally {
    await client.end();
  }
  await assert.rejects(execute(node.ctx.db, 'UPDATE money_entries SET amount = amount * 2'), /immutable/);
  await assert.rejects(execute(node.ctx.db, 'DELETE FROM money_transactions'), /immutable/);
  // The service refuses an overdraft before the database has to.
  await assert.rejects(
    money(node).books.move({ key: `over-${l.user.id}`, kind: 'test', amount: 301, from: accounts.wallet(l.user.id), to: accounts.nodeFee() }),
    { code: 'insufficient_funds' },
  );
  assert.equal(await balanceOf(node, accounts.wallet(l.user.id).key), 300);
  const raw = await select(node.ctx.db, "SELECT 1 FROM money_transactions WHERE idempotency_key LIKE 'raw-%'");
  assert.equal(raw.length, 0);
  await assertBooksBalanced(node, admin.token);
});

test('health endpoint is for admins only and reports the account count', async () => {
  const l = await node.user('listener');
  assert.equal((await node.api('GET', '/api/v1/admin/money/health', { token: l.token })).status, 403);
  const res = await node.api('GET', '/api/v1/admin/money/health', { token: admin.token });
  assert.equal(res.status, 200);
  assert.deepEqual({ balanced: res.body.balanced, sum: res.body.sum }, { balanced: true, sum: 0 });
  assert.ok(res.body.accounts >= 3);
});
