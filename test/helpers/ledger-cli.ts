// The ledger CLI (scripts/ledger-cli.ts) in a child process, configured by a config file written
// into `dir`: what an auditor runs, for the tests of the Fabric engine (stand-in and real).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../server/config/index.js';

export function runLedgerCli(dir: string, config: unknown, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, 'scripts/ledger-cli.ts'), ...args],
      { cwd: projectRoot, env: { ...process.env, NINETEN_CONFIG: file, LOG_LEVEL: 'silent' }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
