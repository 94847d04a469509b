// `npm run create-admin -- --username alice [--password secret] [--email a@b]`
// Creates an admin account; prints a generated password when none is given.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../server/config/index.js';
import { createLogger } from '../server/logger.js';
import { createDatabase } from '../server/db/index.js';
import { migrate } from '../server/db/migrate.js';
import { startEmbeddedPostgres } from '../server/db/embedded.js';
import { AccountsService } from '../server/accounts/service.js';

const { values } = parseArgs({ options: { username: { type: 'string' }, password: { type: 'string' }, email: { type: 'string' } } });
if (!values.username) {
  console.error('usage: npm run create-admin -- --username NAME [--password PASSWORD] [--email EMAIL]');
  process.exit(64);
}
const config = loadConfig();
const logger = createLogger('warn', config.nodeName);
const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir, logger);
const db = createDatabase(config.databaseUrl ?? embedded!.url, logger);
try {
  await migrate(db, logger);
  const password = values.password ?? randomBytes(12).toString('base64url');
  const user = await new AccountsService(db, config.auth.tokenTtlSeconds).create({ username: values.username, password, email: values.email, role: 'admin' });
  console.log(`admin "${user.username}" created (id ${user.id})`);
  if (!values.password) console.log(`password: ${password}`);
} catch (err) {
  console.error(`could not create the admin: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
  await embedded?.stop();
}
