// `npm run create-admin -- --username alice [--password secret] [--email a@b]`
// Creates an admin account; prints a generated password when none is given.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../server/config/index.js';
import { createLogger } from '../server/logger.js';
import { createRuntime } from '../server/node.js';

const { values } = parseArgs({ options: { username: { type: 'string' }, password: { type: 'string' }, email: { type: 'string' } } });
if (!values.username) {
  console.error('usage: npm run create-admin -- --username NAME [--password PASSWORD] [--email EMAIL]');
  process.exit(64);
}
const config = loadConfig();
// The full runtime, so the hooks other capabilities hang on a new user (actor keys,
// wallet) run as they do for a sign-up.
const runtime = await createRuntime(config, { logger: createLogger('warn', config.nodeName), startRedis: true, defaultMetrics: false });
try {
  const password = values.password ?? randomBytes(12).toString('base64url');
  const user = await runtime.ctx.services.accounts.create({ username: values.username, password, email: values.email, role: 'admin' });
  console.log(`admin "${user.username}" created (id ${user.id})`);
  if (!values.password) console.log(`password: ${password}`);
} catch (err) {
  console.error(`could not create the admin: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await runtime.stop();
}
