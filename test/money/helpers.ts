// Shared bits of the money tests: the balance check run after every scenario, and a
// qualified-seconds source the tests fill (behind money's documented source interface).
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { moneyService, type QualifiedSecondsRow } from '../../server/money/index.js';
import { select } from '../../server/db/index.js';

export const money = (node: TestNode) => moneyService(node.ctx);

/** The books sum to zero, every stored balance matches its entries, no wallet is negative. */
export async function assertBooksBalanced(node: TestNode, adminToken?: string): Promise<void> {
  const health = await money(node).health();
  assert.equal(health.sum, 0, 'all accounts sum to zero');
  assert.equal(health.drifted, 0, 'balances match entries');
  assert.equal(health.unbalancedTransactions, 0, 'every transaction sums to zero');
  assert.equal(health.balanced, true);
  const negative = await select(node.ctx.db, "SELECT key FROM money_accounts WHERE balance < 0 AND kind <> 'external'");
  assert.deepEqual(negative, [], 'only external accounts may be negative');
  if (adminToken) {
    const res = await node.api('GET', '/api/v1/admin/money/health', { token: adminToken });
    assert.equal(res.status, 200);
    assert.equal(res.body.balanced, true);
    assert.equal(res.body.sum, 0);
  }
}

export async function balanceOf(node: TestNode, key: string): Promise<number> {
  return money(node).books.balance(key);
}

/** A source of qualified seconds the test controls (month → rows). */
export class TestSecondsSource {
  rows = new Map<string, QualifiedSecondsRow[]>();
  add(month: string, rows: QualifiedSecondsRow[]): void {
    this.rows.set(month, [...(this.rows.get(month) ?? []), ...rows]);
  }
  async qualifiedSeconds(month: string): Promise<QualifiedSecondsRow[]> {
    return this.rows.get(month) ?? [];
  }
}

export async function credit(node: TestNode, userId: string, amount: number): Promise<void> {
  await money(node).adminCredit.topUp({ userId, amount, idempotencyKey: `test-credit:${userId}:${Math.random()}` });
}
