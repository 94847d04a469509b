// The Redis prefix a node's queues and keys live under. Nodes may share one Redis, so the
// default names the node's database: a node's web and worker processes (one database) share
// it, two nodes (two databases) never do. REDIS_PREFIX, when set, wins.
import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** The prefix every node used before it had one of its own. */
export const legacyRedisPrefix = '9ten';

/**
 * The configured prefix, or `9ten:` and a short hash of the database's identity: the cluster's
 * system identifier (set once by initdb, kept by its replicas and when the host is renamed) and the
 * database's name. Asking the database, not hashing DATABASE_URL, keeps a web process and a
 * worker that reach the same database by different host names on the same queues.
 */
export async function resolveRedisPrefix(config: { redisPrefix: string | null }, db: Sequelize, logger?: Logger): Promise<string> {
  if (config.redisPrefix) return config.redisPrefix;
  const one = async (sql: string) => (await db.query<{ id: string | null }>(sql, { type: QueryTypes.SELECT }))[0]?.id ?? null;
  let cluster: string | null;
  try {
    cluster = await one('SELECT system_identifier::text AS id FROM pg_control_system()');
  } catch (err) {
    // A hosted PostgreSQL may not let its users read the control data: the server's own
    // address (not the name a client used for it) is the next best identity.
    logger?.warn({ err }, 'cannot read the database cluster identity; naming it by its address (set REDIS_PREFIX to be sure)');
    cluster = await one("SELECT coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port(), 0) AS id");
  }
  const database = await one('SELECT current_database() AS id');
  const hash = createHash('sha256').update(`${cluster}/${database}`).digest('hex').slice(0, 12);
  return `${legacyRedisPrefix}:${hash}`;
}

/**
 * Jobs still queued under the old shared prefix (`9ten`) when this node now uses another: they
 * were queued before an upgrade and nobody consumes them any more, so the operator is told how
 * to run them (see docs/operations.md, "Sharing one Redis").
 */
export async function warnAboutLegacyQueues(redisUrl: string, prefix: string, queueNames: readonly string[], logger: Logger): Promise<void> {
  if (prefix === legacyRedisPrefix) return;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let waiting = 0;
    for (const q of queueNames) {
      const key = `${legacyRedisPrefix}:${q}`;
      const [wait, delayed, prioritized] = await Promise.all([redis.llen(`${key}:wait`), redis.zcard(`${key}:delayed`), redis.zcard(`${key}:prioritized`)]);
      waiting += wait + delayed + prioritized;
    }
    if (waiting > 0) {
      logger.warn(
        { legacyPrefix: legacyRedisPrefix, prefix, waiting },
        `${waiting} jobs wait under the old shared Redis prefix "${legacyRedisPrefix}" and will not run under "${prefix}"; ` +
          `if this is the only node on this Redis, start it once with REDIS_PREFIX=${legacyRedisPrefix} until they are done`,
      );
    }
  } catch (err) {
    logger.debug({ err }, 'could not look for jobs under the old Redis prefix');
  } finally {
    redis.disconnect();
  }
}
