// Finds Redis at REDIS_URL, or starts a redis-server of the node's own when the binary exists.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export class RedisUnavailableError extends Error {
  constructor(url: string) {
    super(
      `No Redis answers at ${url} and no redis-server binary was found.\n` +
        `Install one (Debian/Ubuntu: "sudo apt-get install redis-server", macOS: "brew install redis")\n` +
        `or point REDIS_URL at a running Redis.`,
    );
    this.name = 'RedisUnavailableError';
  }
}

export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1500 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function redisServerBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const found = spawnSync('/bin/sh', ['-c', 'command -v redis-server'], { encoding: 'utf8', env });
  const bin = (found.stdout ?? '').trim();
  return found.status === 0 && bin ? bin : undefined;
}

export interface LocalRedis {
  url: string;
  process?: ChildProcess;
  stop(): Promise<void>;
}

export async function ensureRedis(url: string, dataDir: string, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<LocalRedis> {
  if (await redisAnswers(url)) return { url, stop: async () => {} };
  const parsed = new URL(url);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  const bin = redisServerBinary(env);
  if (!local || !bin) throw new RedisUnavailableError(url);
  const port = parsed.port || '6379';
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  logger.info({ port, bin }, 'starting a redis-server of our own');
  const child = spawn(bin, ['--port', port, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url)) {
      return {
        url,
        process: child,
        stop: async () => {
          child.kill('SIGTERM');
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(url);
}
