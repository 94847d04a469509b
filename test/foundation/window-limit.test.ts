// The per-minute window counter behind the limits on payment challenges and offers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WindowLimit } from '../../server/http/window-limit.js';

test('a window limit counts per key and minute, and forgets when the minute turns', () => {
  const limit = new WindowLimit(2);
  const t = Date.UTC(2027, 0, 1, 12, 0, 10);
  assert.deepEqual([limit.take('a', t), limit.take('a', t + 1), limit.take('a', t + 2), limit.take('b', t + 3)], [true, true, false, true]);
  assert.equal(limit.retryAfterSeconds(t), 50);
  assert.equal(limit.take('a', t + 50_000), true, 'a new minute');
});
