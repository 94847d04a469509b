// A lease in Redis: at most one process of a node holds `key` at a time. The holder renews it
// each time it asks; when the holder stops asking (stopped, crashed), the lease lapses after
// `ttlMs` and the next process that asks gets it.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const TAKE_OR_RENEW = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export interface Lease {
  /** True while this process holds the lease (taking or renewing it). */
  held(): Promise<boolean>;
  release(): Promise<void>;
}

export function redisLease(redis: Redis, key: string, ttlMs: number): Lease {
  const token = randomUUID();
  return {
    async held() {
      return (await redis.eval(TAKE_OR_RENEW, 1, key, token, String(ttlMs))) === 1;
    },
    async release() {
      await redis.eval(RELEASE, 1, key, token);
    },
  };
}
