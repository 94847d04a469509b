// Investment campaigns in tests: a fan with money in their wallet, the deadline sweep run as if
// the deadline had passed (the campaigns' clock moved, then put back), and a payment stream
// streamed in full and withdrawn by its recipient (income that repays campaigns).
import assert from 'node:assert/strict';
import type { TestNode } from './node.js';
import { credit, money } from '../money/helpers.js';

/** A listener whose wallet holds `amount`. */
export async function fan(node: TestNode, amount: number) {
  const f = await node.user('listener');
  await credit(node, f.user.id, amount);
  return f;
}

/** Runs the campaigns' sweep `days` ahead: open campaigns whose deadline passed settle (funded or refunded). */
export async function sweepPastDeadline(node: TestNode, days = 31): Promise<{ settled: number; refunded: number }> {
  const campaigns = money(node).campaigns;
  campaigns.clock = () => Date.now() + days * 86_400_000;
  try {
    return await campaigns.sweep();
  } finally {
    campaigns.clock = Date.now;
  }
}

/** `amount` streamed from `sender` to `recipient` over 10 s, then withdrawn by the recipient a minute on. */
export async function streamAndWithdraw(node: TestNode, sender: { token: string }, recipient: { token: string; user: { username: string } }, amount: number): Promise<void> {
  const sent = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: recipient.user.username, amount, durationSeconds: 10 } });
  assert.equal(sent.status, 201, sent.text);
  money(node).streams.clock = () => Date.now() + 60_000;
  try {
    const w = await node.api('POST', `/api/v1/streams/${sent.body.id}/withdraw`, { token: recipient.token, body: {} });
    assert.equal(w.status, 200, w.text);
  } finally {
    money(node).streams.clock = Date.now;
  }
}
