// `npm run ledger -- verify` on a default node: no DATABASE_URL, the embedded PostgreSQL under
// DATA_DIR. The CLI finds the running node's cluster (its port is a new one at every start), and
// with the node stopped starts the cluster for the command and stops it after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, projectRoot } from '../../server/config/index.js';
import { startNode } from '../../server/node.js';
import { freePort } from '../../server/db/embedded.js';
import { testRedisUrl } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

/** The CLI as an operator runs it on the node's machine: only DATA_DIR says where the node is. */
function ledgerCli(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  for (const name of ['DATABASE_URL', 'LEDGER_DATABASE_URL', 'LEDGER_ENGINE', 'NINETEN_CONFIG']) delete env[name];
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'scripts/ledger-cli.ts'), ...args], { cwd: projectRoot, env, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('ledger verify finds the embedded database of a default node, running or stopped', { timeout: 240_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), '9ten-ledger-cli-'));
  const prefix = `t9:ledgercli${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const config = loadConfig({
    ignoreEnv: true,
    overrides: { port, host: '127.0.0.1', publicUrl: `http://127.0.0.1:${port}`, dataDir, databaseUrl: null, redisUrl: testRedisUrl, redisPrefix: prefix, logLevel: 'silent', nodeName: 'ledgercli' },
  });
  let node: Awaited<ReturnType<typeof startNode>> | undefined = await startNode(config, { defaultMetrics: false });
  try {
    // The node joins the registry at start: one block on its ledger.
    await waitFor('the registry join on the ledger', async () => {
      const [rows] = await node!.ctx.db.query('SELECT count(*)::int AS n FROM ledger_transactions');
      return (rows as { n: number }[])[0].n > 0;
    }, 60_000);

    const running = await ledgerCli(dataDir, ['verify']);
    assert.equal(running.code, 0, running.stderr);
    const report = JSON.parse(running.stdout) as { ok: boolean; blocks: number };
    assert.equal(report.ok, true);
    assert.ok(report.blocks >= 1, `${report.blocks} blocks`);
    assert.equal((await ledgerCli(dataDir, ['outbox'])).code, 0, 'the node database too (outbox)');

    await node.stop();
    node = undefined;
    const stopped = await ledgerCli(dataDir, ['verify']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(JSON.parse(stopped.stdout), report, 'the same chain, read from the cluster the CLI started');
    assert.equal(existsSync(path.join(dataDir, 'db/postgres/postmaster.pid')), false, 'and stopped again');

    // A folder where no node ever ran: the message says where it looked.
    const empty = mkdtempSync(path.join(os.tmpdir(), '9ten-ledger-cli-empty-'));
    try {
      const none = await ledgerCli(empty, ['verify']);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /No ledger database.*no embedded PostgreSQL under/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  } finally {
    await node?.stop();
    const redis = new Redis(testRedisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
