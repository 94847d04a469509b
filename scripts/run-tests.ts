// Runs the suite with node's test runner against real PostgreSQL and Redis.
// Uses what answers (TEST_DATABASE_URL or 127.0.0.1:5432; REDIS_URL or 127.0.0.1:6379);
// otherwise starts an embedded PostgreSQL and a local redis-server for the run.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from '../server/config/index.js';
import { createLogger } from '../server/logger.js';
import { startEmbeddedPostgres } from '../server/db/embedded.js';
import { ensureRedis } from '../server/jobs/local-redis.js';
import { GO_MISSING, fabricCommandsBuilt, goVersion } from './fabric/commands.js';
import { fabricHome, networkLayout } from './fabric/layout.js';
import { FabricNetwork } from './fabric/network.js';

const logger = createLogger('info', 'test-runner');

async function pgAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function testFiles(dir: string, filter: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p, filter));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.filter((f) => !filter.length || filter.some((x) => f.includes(x))).sort();
}

const filter = process.argv.slice(2).filter((a) => !a.startsWith('--'));
// `npm run test:fabric`: the suite of test-fabric/ against a local Fabric network (each file on a fresh one).
const fabricSuite = process.argv.includes('--fabric');
const stops: (() => Promise<void>)[] = [];

if (fabricSuite && !goVersion() && !fabricCommandsBuilt(fabricHome())) {
  // One line, and no failure: the machine cannot build Fabric's commands (README: what to install).
  console.log(`[fabric] suite skipped: ${GO_MISSING}`);
  process.exit(0);
}

let databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!(await pgAnswers(databaseUrl))) {
  logger.info('no PostgreSQL answers; starting an embedded one for the tests');
  const dir = path.join(projectRoot, '.data/test');
  mkdirSync(dir, { recursive: true });
  const embedded = await startEmbeddedPostgres(dir, logger, 'postgres');
  stops.push(embedded.stop);
  databaseUrl = embedded.url;
}
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = await ensureRedis(redisUrl, path.join(projectRoot, '.data/test'), logger);
stops.push(redis.stop);

// The chaincode's decorators need tsc's metadata (tsx does not emit it): build it first.
if (existsSync(path.join(projectRoot, 'chaincode/tsconfig.json'))) {
  const build = spawnSync(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'chaincode/tsconfig.json'], { cwd: projectRoot, stdio: 'inherit' });
  if (build.status !== 0) {
    logger.error('chaincode build failed');
    process.exit(1);
  }
}

// The contracts between capabilities are types (server/context.ts): the suite fails when one
// side drifts from the other, not only when a test happens to call the seam. After the
// chaincode's build: a test imports its types from chaincode/dist.
{
  const check = spawnSync(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], { cwd: projectRoot, stdio: 'inherit' });
  if (check.status !== 0) {
    logger.error('typecheck failed');
    process.exit(1);
  }
}

// The web client is built once here: browser test files running in parallel must not
// rebuild client/dist under each other or under a node that is serving it.
if (!fabricSuite) {
  const build = spawnSync(process.execPath, [path.join(projectRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], { cwd: projectRoot, stdio: 'inherit' });
  if (build.status !== 0) {
    logger.error('client build failed');
    process.exit(1);
  }
}

if (fabricSuite) process.exit(await runFabricSuite());

const files = testFiles(path.join(projectRoot, 'test'), filter);
logger.info({ files: files.length, databaseUrl: databaseUrl.replace(/:[^:@/]+@/, ':***@'), redisUrl }, 'running tests');
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  // A hung test fails after 5 minutes instead of stalling CI; --test-force-exit ends a file
  // whose tests are done even if a library left a handle open.
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', '--test-force-exit', '--test-reporter=spec', ...files],
  { cwd: projectRoot, stdio: 'inherit', env: { ...process.env, TEST_DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } },
);
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
for (const stop of stops) await stop().catch(() => {});
process.exit(code);

/**
 * Each file of test-fabric/ on a fresh local network (named `test`, ports from 29050, its
 * folder under the Fabric cache), one file at a time: the network's processes take the machine.
 * The network is deleted after a green run and kept, with its logs, after a red one.
 */
async function runFabricSuite(): Promise<number> {
  const network = new FabricNetwork(networkLayout({ name: 'test', basePort: Number(process.env.FABRIC_TEST_BASE_PORT ?? 29050) }));
  const fabricFiles = testFiles(path.join(projectRoot, 'test-fabric'), filter);
  const log = (line: string) => logger.info(line);
  let failed = 0;
  try {
    for (const file of fabricFiles) {
      await network.up({ projectRoot, fresh: true, log });
      const code: number = await new Promise((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--test', '--test-timeout=300000', '--test-force-exit', '--test-reporter=spec', file],
          {
            cwd: projectRoot,
            stdio: 'inherit',
            env: { ...process.env, TEST_DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, FABRIC_TEST_NETWORK: network.layout.name, FABRIC_TEST_BASE_PORT: String(network.layout.orderer.port), CORE_CHAINCODE_LOGGING_LEVEL: 'error' },
          },
        );
        child.on('exit', (c) => resolve(c ?? 1));
      });
      if (code !== 0) failed++;
    }
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'the Fabric network did not start');
    failed++;
  } finally {
    await network.down({ purge: failed === 0 });
    if (failed) logger.error({ logs: network.paths.logs }, 'Fabric suite failed; the network\'s logs are kept');
    for (const stop of stops) await stop().catch(() => {});
  }
  return failed ? 1 : 0;
}
