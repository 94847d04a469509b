// Process entry: `tsx server/main.ts` (or node dist/server/main.js). Role from NODE_ROLE.
import { loadConfig, ConfigError } from './config/index.js';
import { createLogger } from './logger.js';
import { startNode } from './node.js';
import { RedisUnavailableError } from './jobs/local-redis.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, config.nodeName);
  try {
    const node = await startNode(config, { logger, startRedis: true });
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      await node.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    if (node.url) logger.info(`9ten node "${config.nodeName}" is up: ${config.publicUrl} (listening on ${node.url})`);
  } catch (err) {
    if (err instanceof RedisUnavailableError) {
      logger.fatal(err.message);
      console.error(err.message);
      process.exit(69);
    }
    logger.fatal({ err }, 'node failed to start');
    process.exit(1);
  }
}

void main();
