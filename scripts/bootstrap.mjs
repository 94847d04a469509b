// Shared by `npm start` and `npm test`: install dependencies when they are missing,
// then run the given command with the project's pinned Node 24 (node_modules/.bin/node).
// Plain JavaScript on purpose: it may run on an older system Node before the install.
import { existsSync } from 'node:fs';
import { spawnSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules/.bin', name);

export function ensureInstalled() {
  const marker = path.join(root, 'node_modules/.package-lock.json');
  if (existsSync(bin('tsx')) && existsSync(bin('node')) && existsSync(marker)) return;
  console.log('[9ten] installing dependencies (npm ci) ...');
  const lock = existsSync(path.join(root, 'package-lock.json'));
  const r = spawnSync('npm', [lock ? 'ci' : 'install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('[9ten] npm install failed; see the output above.');
    process.exit(r.status ?? 1);
  }
}

/** Runs `tsx <script> ...args` on the pinned Node, forwarding signals and the exit code. */
export function runTs(script, args = [], env = process.env) {
  const node = existsSync(bin('node')) ? bin('node') : process.execPath;
  const tsxCli = path.join(root, 'node_modules/tsx/dist/cli.mjs');
  const child = spawn(node, [tsxCli, script, ...args], { cwd: root, stdio: 'inherit', env });
  const forward = (sig) => () => child.kill(sig);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
