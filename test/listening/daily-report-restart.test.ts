// A node that was down when days ended reports them when it comes back: the start-up tick
// queues the daily report job, which catches up every missed day in order.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select, selectOne } from '../../server/db/index.js';
import { createSession, serve, progress, setListening, lenientRules, moveListenToDay } from './helpers.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), '9ten-listentick-'));
let node: TestNode | undefined;
after(async () => {
  await node?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('missed days are reported after a restart, in order', async () => {
  const first = await startTestNode({ name: 'listentick', keepDatabase: true, dataDir });
  let databaseName: string;
  let port: number;
  let days: string[];
  try {
    setListening(first, lenientRules());
    const listener = await first.user('listener');
    const { sessionId, trackId } = await createSession(first, { userId: listener.user.id });
    serve(first, sessionId, trackId, 0, 10);
    const r = await progress(first, listener.token, sessionId, 35, 35);
    assert.equal(r.body.qualified, true);
    const d = await selectOne<{ d3: string; d2: string; d1: string }>(
      first.ctx.db,
      'SELECT (timezone(:tz, now())::date - 3)::text AS d3, (timezone(:tz, now())::date - 2)::text AS d2, (timezone(:tz, now())::date - 1)::text AS d1',
      { tz: first.ctx.config.money.timeZone },
    );
    days = [d!.d3, d!.d2, d!.d1];
    await moveListenToDay(first, r.body.listen.id, d!.d3);
    databaseName = new URL(first.databaseUrl).pathname.slice(1);
    port = Number(new URL(first.url).port);
  } finally {
    await first.stop();
  }

  const restartedAt = Date.now();
  node = await startTestNode({ name: 'listentick', databaseName, dataDir, port });
  const until = Date.now() + 30_000;
  let reported: { day: string; created_at: Date }[] = [];
  while (Date.now() < until) {
    reported = await select<{ day: string; created_at: Date }>(node.ctx.db, 'SELECT day::text AS day, created_at FROM daily_reports ORDER BY created_at, day');
    if (reported.length >= 3) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(reported.map((r) => r.day), days);
  assert.ok(reported.every((r) => new Date(r.created_at).getTime() >= restartedAt - 1000), 'reported by the restarted node');
  await node.waitJobs();
  // On the ledger in order, each once (the auditors' transaction log lists what the chaincode accepted).
  const auditor = await node.user('auditor');
  const log = await node.api('GET', '/api/v1/ledger/transactions?fn=ReportContract:submit', { token: auditor.token });
  assert.equal(log.status, 200, log.text);
  assert.deepEqual((log.body.data as { args: string[] }[]).map((tx) => JSON.parse(tx.args[0]).day), days);
});
