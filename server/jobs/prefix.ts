// The Redis prefix a node's queues and keys live under. Nodes may share one Redis, so the
// default names the node: a hash of the random id made once in its database (migration
// 0002-node-identity), which a node's web and worker processes share and two nodes never do.
// REDIS_PREFIX, when set, wins.
import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../logger.js';

/** The prefix every node used before it had one of its own. */
export const legacyRedisPrefix = '9ten';

/** The configured prefix, or `9ten:` and a short hash of the node's id. */
export async function resolveRedisPrefix(config: { redisPrefix: string | null }, db: Sequelize): Promise<string> {
  if (config.redisPrefix) return config.redisPrefix;
  const [row] = await db.query<{ id: string }>('SELECT id::text AS id FROM node_identity', { type: QueryTypes.SELECT });
  if (!row) throw new Error('node_identity has no row (migration 0002-node-identity not applied?)');
  return `${legacyRedisPrefix}:${createHash('sha256').update(row.id).digest('hex').slice(0, 12)}`;
}

/**
 * Jobs still queued under the old shared prefix (`9ten`) when this node now uses another: they
 * were queued before an upgrade and nobody consumes them any more, so the operator is told how
 * to run them (see docs/operations.md, "Sharing one Redis").
 */
export async function warnAboutLegacyQueues(connection: ConnectionOptions, prefix: string, queueNames: readonly string[], logger: Logger): Promise<void> {
  if (prefix === legacyRedisPrefix) return;
  const queues = queueNames.map((name) => new Queue(name, { connection, prefix: legacyRedisPrefix }));
  try {
    // count(): waiting (paused included), delayed, prioritized and waiting-children.
    const waiting = (await Promise.all(queues.map((q) => q.count()))).reduce((a, b) => a + b, 0);
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
    await Promise.all(queues.map((q) => q.close().catch(() => {})));
  }
}
