// Fabric's own commands (peer, orderer, configtxgen, cryptogen, osnadmin), built by the go
// command from Fabric's Go module into the cache folder on first use and reused after.
// Nothing here is Fabric's code: a scratch module requires Fabric at the release's commit.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FABRIC_COMMANDS, FABRIC_RELEASE, binDirOf } from './layout.js';

export class FabricPrerequisiteError extends Error {
  override name = 'FabricPrerequisiteError';
}

const MODULE = 'github.com/hyperledger/fabric';

/** The go command's version line, or null when there is no go command. */
export function goVersion(): string | null {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export const GO_MISSING =
  'the go command is missing: install Go 1.22 or newer (Debian: apt install golang-go; or https://go.dev/dl) to build Fabric\'s commands';

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new FabricPrerequisiteError(`${cmd} ${args.join(' ')} exited with ${code} (in ${cwd})`))));
  });
}

/** Whether the release's commands are already in the cache (then the go command is not needed). */
export function fabricCommandsBuilt(home: string): boolean {
  const binDir = binDirOf(home);
  return FABRIC_COMMANDS.every((c) => existsSync(path.join(binDir, c))) && existsSync(path.join(path.dirname(binDir), 'sampleconfig', 'core.yaml'));
}

export interface FabricCommands {
  binDir: string;
  /** Fabric's sample configuration (core.yaml, orderer.yaml) of the same release. */
  sampleConfigDir: string;
  /** Seconds the build took, or null when the commands were already there. */
  builtInSeconds: number | null;
}

/** Builds the commands when any is missing; returns where they are. */
export async function ensureFabricCommands(home: string, log: (line: string) => void = console.log): Promise<FabricCommands> {
  const binDir = binDirOf(home);
  const releaseDir = path.dirname(binDir);
  const sampleConfigDir = path.join(releaseDir, 'sampleconfig');
  if (fabricCommandsBuilt(home)) return { binDir, sampleConfigDir, builtInSeconds: null };

  if (!goVersion()) throw new FabricPrerequisiteError(GO_MISSING);
  const started = Date.now();
  log(`building Fabric ${FABRIC_RELEASE.tag} commands (${FABRIC_COMMANDS.join(', ')}) with ${goVersion()} into ${binDir}; the first time takes a few minutes`);
  const work = path.join(releaseDir, 'build');
  mkdirSync(work, { recursive: true });
  mkdirSync(binDir, { recursive: true });
  writeFileSync(path.join(work, 'go.mod'), `module fabriccommands\n\ngo 1.22\n\nrequire ${MODULE} ${FABRIC_RELEASE.pseudoVersion}\n`);
  writeFileSync(
    path.join(work, 'tools.go'),
    `//go:build tools\n\npackage tools\n\nimport (\n${FABRIC_COMMANDS.map((c) => `\t_ "${MODULE}/cmd/${c}"`).join('\n')}\n)\n`,
  );
  const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: process.env.CGO_ENABLED ?? '0' };
  await run('go', ['mod', 'tidy'], work, env);
  const commit = FABRIC_RELEASE.pseudoVersion.slice(-12);
  const ldflags = `-X ${MODULE}/common/metadata.Version=${FABRIC_RELEASE.tag.slice(1)} -X ${MODULE}/common/metadata.CommitSHA=${commit}`;
  await run('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', binDir + path.sep, ...FABRIC_COMMANDS.map((c) => `${MODULE}/cmd/${c}`)], work, env);

  const moduleDir = spawnSync('go', ['list', '-m', '-f', '{{.Dir}}', MODULE], { cwd: work, env, encoding: 'utf8' }).stdout.trim();
  if (!moduleDir || !existsSync(path.join(moduleDir, 'sampleconfig', 'core.yaml'))) {
    throw new FabricPrerequisiteError(`Fabric's sampleconfig was not found in the Go module cache (${moduleDir || 'go list gave nothing'})`);
  }
  cpSync(path.join(moduleDir, 'sampleconfig'), sampleConfigDir, { recursive: true });
  const builtInSeconds = Math.round((Date.now() - started) / 1000);
  log(`built Fabric ${FABRIC_RELEASE.tag} commands in ${builtInSeconds} s`);
  return { binDir, sampleConfigDir, builtInSeconds };
}
