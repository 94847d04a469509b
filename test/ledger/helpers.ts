// Shared setup for the ledger tests: a fresh database on the test PostgreSQL, the
// fixture contract built with tsc (decorator metadata), and the real chaincode when built.
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { projectRoot } from '../../server/config/index.js';
import { adminQuery, databaseUrlFor } from '../helpers/database.js';
import { defaultContractsPath } from '../../server/ledger/contracts.js';
import { artistTotalsOf, reportRowsHash, type ReportRow } from '../../shared/money/index.js';
import { ledgerService } from '../../server/ledger/index.js';
import type { TestNode } from '../helpers/node.js';

export const fixtureDir = path.join(projectRoot, 'test/ledger/fixtures');
export const fixtureContractsPath = path.join(fixtureDir, 'dist/index.js');

/** Builds the fixture contract with tsc when its output is missing or older than its source.
 * Test files run in parallel: each builds into its own folder and renames the result into place. */
export function buildFixture(): string {
  const src = path.join(fixtureDir, 'src/index.ts');
  if (!existsSync(fixtureContractsPath) || statSync(fixtureContractsPath).mtimeMs < statSync(src).mtimeMs) {
    const out = path.join(fixtureDir, 'dist', `.build-${process.pid}-${randomBytes(3).toString('hex')}`);
    const tsc = path.join(projectRoot, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(fixtureDir, 'tsconfig.json'), '--outDir', out], { cwd: projectRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fixture build failed: ${r.stdout}${r.stderr}`);
    renameSync(path.join(out, 'index.js'), fixtureContractsPath);
    rmSync(out, { recursive: true, force: true });
  }
  return fixtureContractsPath;
}

/** Whether the real chaincode is built and loads (its contracts are then used too). */
export function realChaincode(): string | undefined {
  if (!existsSync(defaultContractsPath)) return undefined;
  try {
    const mod = createRequire(import.meta.url)(defaultContractsPath) as { contracts?: unknown[] };
    return Array.isArray(mod.contracts) && mod.contracts.length ? defaultContractsPath : undefined;
  } catch {
    return undefined;
  }
}


/** A new empty database; `drop` removes it. */
export async function createDatabase(prefix = 'ledger'): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `t9_${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  return { name, url: databaseUrlFor(name), drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {}) };
}

/** The arguments of ReportContract:submit for a day's rows: their per-artist totals and hash
 * (the rows themselves go in the transient map). */
export function reportArgs(nodeId: string, day: string, rows: ReportRow[]): string[] {
  return [JSON.stringify({ nodeId, day, artistTotals: artistTotalsOf(rows), hash: reportRowsHash(rows) })];
}

/** Every day of a month of `days` days but the one reported: a close's `missingDays`. */
export const daysExcept = (month: string, days: number, reported: number) =>
  Array.from({ length: days }, (_, i) => i + 1).filter((d) => d !== reported).map((d) => `${month}-${String(d).padStart(2, '0')}`);

/** Writes through a node's outbox, in one database transaction, and waits until each is on the ledger. */
export async function throughOutbox(node: TestNode, writes: [string, string[], Record<string, string>?][], timeoutMs?: number): Promise<unknown[]> {
  const svc = ledgerService(node.ctx);
  const ids = await node.ctx.db.transaction(async (t) => {
    const out: string[] = [];
    for (const [fn, args, transient] of writes) out.push(await svc.enqueueSubmit(t, fn, args, transient));
    return out;
  });
  const results: unknown[] = [];
  for (const id of ids) results.push((await svc.waitForOutbox(id, timeoutMs)).result);
  return results;
}
