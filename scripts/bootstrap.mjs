// Shared by `npm start` and `npm test`: install dependencies when they are missing,
// then run the given command with the project's pinned Node 24 (node_modules/.bin/node).
// Plain JavaScript on purpose: it may run on an older system Node before the install.
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/** Newest modification time (ms) of the web client's sources: client/ without dist/. */
function newestClientSource(clientDir) {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (dir === clientDir && entry.name === 'dist') continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(clientDir);
  return newest;
}

/** True when client/dist is missing or older than a file of the client's sources. */
export function clientBuildIsStale(projectRoot = root) {
  const clientDir = path.join(projectRoot, 'client');
  const built = path.join(clientDir, 'dist/index.html');
  if (!existsSync(built)) return true;
  return newestClientSource(clientDir) > statSync(built).mtimeMs;
}

/** Builds the web client (served at /) when it is missing or older than its sources. */
export function ensureClientBuilt() {
  if (!clientBuildIsStale()) return;
  console.log('[9ten] building the web client (vite) ...');
  const node = existsSync(bin('node')) ? bin('node') : process.execPath;
  const r = spawnSync(node, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('[9ten] the web client did not build; the node starts without it (the API works).');
  }
}
