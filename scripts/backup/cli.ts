// `npm run backup -- [--out DIR | --archive FILE.tar.gz]` and
// `npm run restore -- <DIR | FILE.tar.gz> [--replace] [--database-url URL] [--ledger-database-url URL] [--skip-ledger] [--config-to FILE]`.
// Both read the node's config as the node does (NINETEN_CONFIG, DATA_DIR, DATABASE_URL,
// LEDGER_DATABASE_URL...) and log JSON lines (progress included) on stdout. docs/backups.md.
// Exit codes: 0 done, 2 usage, 3 refused (nothing was changed), 1 failed.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../server/config/index.js';
import { createLogger } from '../../server/logger.js';
import { BackupRefused, createBackup } from './backup.js';
import { BackupInvalid } from './manifest.js';
import { RestoreRefused, restoreBackup } from './restore.js';

const usage = `usage: npm run backup -- [--out DIR | --archive FILE.tar.gz]
       npm run restore -- <DIR | FILE.tar.gz> [--replace] [--database-url URL] [--ledger-database-url URL] [--skip-ledger] [--config-to FILE]
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    archive: { type: 'string' },
    replace: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    'ledger-database-url': { type: 'string' },
    'skip-ledger': { type: 'boolean', default: false },
    'config-to': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const [command, ...rest] = positionals;
const fail = (message: string, code: number): never => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};
if (values.help || (command !== 'backup' && command !== 'restore')) fail(usage, 2);

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message, 78);
  throw err;
}
const log = createLogger(config.logLevel, config.nodeName).child({ component: command });

try {
  if (command === 'backup') {
    if (rest.length) fail(usage, 2);
    if (values.out && values.archive) fail('--out and --archive: choose one', 2);
    const r = await createBackup({ config, out: values.out, archive: values.archive, log });
    process.stderr.write(`backup of ${r.manifest.node.name} (${r.manifest.node.id}) written to ${r.archive ?? r.folder}\n`);
  } else {
    if (rest.length !== 1) fail(usage, 2);
    const r = await restoreBackup({
      config,
      from: rest[0],
      replace: values.replace,
      databaseUrl: values['database-url'],
      ledgerDatabaseUrl: values['ledger-database-url'],
      skipLedger: values['skip-ledger'],
      configTo: values['config-to'],
      log,
    });
    process.stderr.write(
      `restored ${r.manifest.node.name} (${r.manifest.node.id}, backed up ${r.manifest.createdAt}) into ${r.database === 'embedded' ? `the embedded PostgreSQL under ${config.dataDir}` : r.database}` +
        `${r.ledgerRestored ? ' with its ledger database' : ''}; start it with PUBLIC_URL=${r.manifest.node.publicUrl}\n` +
        r.warnings.map((w) => `warning: ${w}\n`).join(''),
    );
  }
} catch (err) {
  if (err instanceof RestoreRefused || err instanceof BackupRefused || err instanceof BackupInvalid) fail(`${command} refused: ${err.message}`, 3);
  log.error({ err }, `${command} failed`);
  fail(`${command} failed: ${(err as Error).message}`, 1);
}
