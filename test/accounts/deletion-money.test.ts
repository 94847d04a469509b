// Deleting an artist stops the streams still paying them: the unstreamed part returns to each
// sender at once (through money's cancel path), what streamed is withdrawn into the deleted
// account's wallet, the books balance, and running the deletion's part again moves nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { accounts } from '../../server/money/index.js';
import { streamEscrow } from '../../server/money/streams.js';
import { accountsService } from '../../server/accounts/index.js';
import { assertBooksBalanced, balanceOf, credit, money } from '../money/helpers.js';

let node: TestNode;
let T = Date.UTC(2027, 0, 4, 12, 0, 0);
before(async () => {
  node = await startTestNode({ name: 'deletion-money' });
  money(node).streams.clock = () => T;
});
after(async () => {
  await node?.stop();
});

test("a deleted artist's incoming streams stop and give the rest back to their senders, once", async () => {
  const sender = await node.user('listener');
  const artist = await node.user('artist');
  await credit(node, sender.user.id, 10_000);
  const linear = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: artist.user.username, amount: 1000, durationSeconds: 100 } });
  assert.equal(linear.status, 201, linear.text);
  const other = await node.api('POST', '/api/v1/streams', { token: sender.token, body: { recipient: artist.user.username, amount: 500, durationSeconds: 50 } });
  assert.equal(other.status, 201, other.text);
  assert.equal(await balanceOf(node, accounts.wallet(sender.user.id).key), 8500);
  T += 40_000; // 400 of the first stream and 400 of the second have streamed

  const user = (await accountsService(node.ctx).byId(artist.user.id))!;
  const deleting = async () => {
    for (const hook of accountsService(node.ctx).deletingHooks) await hook(user);
  };
  await deleting();
  assert.equal(await balanceOf(node, accounts.wallet(sender.user.id).key), 8500 + 600 + 100, 'the unstreamed parts came back');
  assert.equal(await balanceOf(node, accounts.wallet(artist.user.id).key), 800, 'what streamed is in the wallet');
  for (const id of [linear.body.id, other.body.id]) assert.equal(await balanceOf(node, streamEscrow(id).key), 0);
  await assertBooksBalanced(node);

  T += 60_000;
  await deleting();
  assert.equal(await balanceOf(node, accounts.wallet(sender.user.id).key), 9200, 'nothing refunded twice');
  assert.equal(await balanceOf(node, accounts.wallet(artist.user.id).key), 800, 'nothing more streamed');
  const { escrow, outstanding } = await money(node).streams.escrowIdentity();
  assert.equal(escrow, outstanding);
  await assertBooksBalanced(node);
});
