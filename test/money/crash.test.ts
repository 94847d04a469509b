// A month close killed with SIGKILL mid-way (inside a listener's open transaction, twice)
// resumes on the next run: nothing paid twice, nothing missed, every cent as recomputed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select, selectOne } from '../../server/db/index.js';
import { accounts, type QualifiedSecondsRow } from '../../server/money/index.js';
import { assertBooksBalanced, balanceOf, credit, money, TestSecondsSource } from './helpers.js';
import { dueByArtist, recompute } from './recompute.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const runner = path.join(here, 'close-runner.ts');

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'money-crash' });
});
after(async () => {
  await node?.stop();
});

/** Runs the close in a child; with pauseAt, kills it with SIGKILL once it pauses there. */
function runClose(month: string, file: string, pauseAt?: number): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', runner, node.databaseUrl, month, file, ...(pauseAt === undefined ? [] : [String(pauseAt)])];
    const child = spawn(process.execPath, args, { cwd: path.join(here, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let err = '';
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line === `paused ${pauseAt}`) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`close runner exited ${code}: ${err}`));
      else resolve({ lines, signal });
    });
  });
}

test('kill -9 mid-close, twice, then run again: pays nothing twice and misses nothing', async () => {
  const month = '2024-09';
  const artists = Array.from({ length: 11 }, (_, i) => `https://far.example/ap/actors/a${i}`);
  const listeners: { userId: string; listening: { artist: string; seconds: number; held?: boolean }[] }[] = [];
  for (let i = 0; i < 6; i++) {
    const l = await node.user('listener');
    await credit(node, l.user.id, 1000);
    await money(node).subscriptions.subscribe(l.user.id, new Date('2024-09-10T00:00:00Z'));
    // Varied listening: listener 5 has none (rolled over), listener 2 has held seconds.
    const listening = i === 5 ? [] : artists.slice(i, i + 6 + i).map((artist, j) => ({ artist, seconds: 37 * (j + 1) + i, held: i === 2 && j === 0 }));
    listeners.push({ userId: l.user.id, listening });
  }
  const rows: QualifiedSecondsRow[] = listeners.flatMap((l) => l.listening.map((x) => ({ userId: l.userId, artist: x.artist, artistUserId: null, seconds: x.seconds, held: !!x.held })));
  const file = path.join(node.dataDir, 'seconds.json');
  writeFileSync(file, JSON.stringify(rows));
  const feeBefore = await balanceOf(node, accounts.nodeFee().key);

  // First run: killed inside the second listener's transaction.
  const first = await runClose(month, file, 1);
  assert.equal(first.signal, 'SIGKILL');
  assert.deepEqual(first.lines, ['unit 1', 'paused 1']);
  let state = await money(node).closeState(month);
  assert.equal(state?.status, 'running');
  assert.equal(state?.unitsDone, 1, 'the killed transaction left nothing behind');
  assert.equal(await balanceOf(node, accounts.nodeFee().key), feeBefore + 100);
  await assertBooksBalanced(node);

  // Second run: resumes, killed again inside the fourth listener's (index 2 of what is left).
  const second = await runClose(month, file, 2);
  assert.equal(second.signal, 'SIGKILL');
  state = await money(node).closeState(month);
  assert.equal(state?.unitsDone, 3);
  await assertBooksBalanced(node);

  // Third run completes; a fourth changes nothing.
  const third = await runClose(month, file);
  assert.ok(third.lines.includes('closed'));
  const txs = Number((await selectOne<{ n: string }>(node.ctx.db, "SELECT count(*) AS n FROM money_transactions WHERE idempotency_key LIKE :k", { k: `close:${month}:%` }))!.n);
  const fourth = await runClose(month, file);
  assert.ok(fourth.lines.includes('closed'));
  const txsAfter = Number((await selectOne<{ n: string }>(node.ctx.db, "SELECT count(*) AS n FROM money_transactions WHERE idempotency_key LIKE :k", { k: `close:${month}:%` }))!.n);
  assert.equal(txsAfter, txs);
  assert.equal(txs, 6 + 6, 'a node-fee movement and a split (or roll-over) per listener, once');

  state = await money(node).closeState(month);
  assert.equal(state?.status, 'closed');
  assert.equal(state?.unitsDone, 6);
  assert.equal(await balanceOf(node, accounts.nodeFee().key), feeBefore + 600, 'each node fee once');
  assert.equal(await balanceOf(node, accounts.pool(month).key), 0, 'nothing missed');
  // Every cent as the independent recomputation says.
  const expected = listeners.map((l) => recompute(1000, 100, 0, l.listening));
  const due = dueByArtist(expected);
  const payouts = await select<{ artist: string; amount: string }>(node.ctx.db, 'SELECT artist, amount FROM money_payouts WHERE month = :month', { month });
  assert.deepEqual(new Map(payouts.map((p) => [p.artist, Number(p.amount)])), new Map([...due].filter(([, x]) => x.paid > 0).map(([a, x]) => [a, x.paid])));
  for (const [i, l] of listeners.entries()) {
    const alloc = await money(node).allocation(l.userId, month);
    assert.equal(alloc.status, 'closed');
    assert.deepEqual(new Map(alloc.artists.map((a) => [a.artist, { paid: a.amount, held: a.held, seconds: a.seconds }])), expected[i].artists, `listener ${i}`);
  }
  assert.equal(await balanceOf(node, accounts.rollover(listeners[5].userId).key), 900);
  // Payouts of the recovered close: obligations to the remote artists, once.
  await money(node).payMonth(month);
  await money(node).payMonth(month);
  for (const [artist, x] of due) assert.equal(await balanceOf(node, accounts.remotePayable(artist).key), x.paid);
  await assertBooksBalanced(node);
});
