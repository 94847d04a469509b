// `npm run migrate [-- down]`: apply (or undo the last) migration without starting the node.
import { loadConfig } from '../config/index.js';
import { createLogger } from '../logger.js';
import { createDatabase } from './index.js';
import { createMigrator, migrate } from './migrate.js';
import { startEmbeddedPostgres } from './embedded.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, config.nodeName);
const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir, logger);
const db = createDatabase(config.databaseUrl ?? embedded!.url, logger);
try {
  if (process.argv[2] === 'down') {
    const undone = await createMigrator(db, logger).down();
    console.log(undone.length ? `undone: ${undone.map((m) => m.name).join(', ')}` : 'nothing to undo');
  } else {
    const applied = await migrate(db, logger);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  }
} finally {
  await db.close();
  await embedded?.stop();
}
