// `npm run ledger -- <command>`: the auditors' and operators' view of the ledger: with the
// embedded engine read straight from the ledger database, with the fabric engine from the
// organisation's peer (its blocks through qscc, its state through the chaincode). Commands:
//   verify                                  recompute the hash chain; exit 1 at the first broken block
//   transactions [--fn F] [--creator N] [--from-block B] [--page P] [--limit L] [--format json|csv]
//   tx <txId>                               one transaction with its read/write set
//   statement <nodeId> <month> [--format json|csv]
//   payouts <artistActorUri> [--format json|csv]
//   dispute <disputeId>                     the dispute and its history
//   recompute <nodeId> <month>              recompute a month's payouts from the ledger; exit 1 on mismatch
//   recompute-campaign <nodeId> <campaignId> replay an investment campaign's repayments from the ledger
//                                           (the ledger alone: the node's books are compared by the REST route); exit 1 on mismatch
//   outbox                                  this node's pending/rejected outbox rows (node database)
// Options: --engine embedded|fabric (default: the node's ledger.engine / LEDGER_ENGINE);
//          embedded: --ledger-db URL (else LEDGER_DATABASE_URL, else the node's DATABASE_URL / config,
//                    else the node's embedded PostgreSQL in DATA_DIR: the running one, or started
//                    for the command and stopped after it),
//                    --msp ID (identity for reads of private data; default: the node's organisation);
//          fabric: the peer, client certificate and channel of `ledger.fabric` in the node's config.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../server/config/index.js';
import { ledgerConfigOf } from '../server/ledger/config.js';
import { EmbeddedLedger, ledgerPool } from '../server/ledger/embedded.js';
import { FabricLedger } from '../server/ledger/fabric.js';
import { loadContracts } from '../server/ledger/contracts.js';
import { recomputeMonth, toCsv, transactionLogOf } from '../server/ledger/audit.js';
import { recomputeCampaign } from '../server/ledger/investment-audit.js';
import { instanceActorUri } from '../shared/actor-uris.js';
import { hasEmbeddedPostgres, runningEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedDatabase } from '../server/db/embedded.js';
import { createLogger } from '../server/logger.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    engine: { type: 'string' },
    'ledger-db': { type: 'string' },
    msp: { type: 'string' },
    fn: { type: 'string' },
    creator: { type: 'string' },
    'from-block': { type: 'string' },
    page: { type: 'string', default: '1' },
    limit: { type: 'string', default: '100' },
    format: { type: 'string', default: 'json' },
    help: { type: 'boolean', short: 'h' },
  },
});

const [command, ...rest] = positionals;
const usageText = 'usage: npm run ledger -- <verify|transactions|tx|statement|payouts|dispute|recompute|recompute-campaign|outbox> [args] [--engine embedded|fabric] [--ledger-db URL] [--format json|csv]\n';
const usage = () => {
  process.stderr.write(usageText);
  process.exit(2);
};
if (!command || values.help) usage();

const config = loadConfig();
const ledgerConfig = ledgerConfigOf(config);
const engine = values.engine ?? ledgerConfig.engine;
const fail = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(2);
};
if (engine !== 'embedded' && engine !== 'fabric') fail(`--engine must be embedded or fabric, not "${engine}"`);

/** The embedded cluster this command started (the node is not running): stopped when it is done. */
let startedHere: EmbeddedDatabase | undefined;

/**
 * A default node's database (no DATABASE_URL): the embedded PostgreSQL under DATA_DIR. A running
 * node's cluster is used as it is; otherwise the cluster is started for the command (a node
 * starting meanwhile waits for the data folder: docs/operations.md).
 */
async function embeddedNodeDatabase(): Promise<string | undefined> {
  if (!hasEmbeddedPostgres(config.dataDir)) return undefined;
  const running = await runningEmbeddedPostgres(config.dataDir);
  if (running) return running;
  startedHere = await startEmbeddedPostgres(config.dataDir, createLogger('silent', 'ledger-cli'));
  return startedHere.url;
}

const needsNodeDatabase = engine === 'embedded' || command === 'outbox';
const nodeDatabase = config.databaseUrl ?? (needsNodeDatabase && !values['ledger-db'] && !ledgerConfig.databaseUrl ? await embeddedNodeDatabase() : undefined);
const url = values['ledger-db'] ?? ledgerConfig.databaseUrl ?? nodeDatabase;

function openLedger(): EmbeddedLedger | FabricLedger {
  if (engine === 'fabric') {
    if (!ledgerConfig.fabric) return fail('The fabric engine needs ledger.fabric (peer endpoint, TLS root certificate, MSP id, client certificate and key, channel, chaincode) in the config named by NINETEN_CONFIG.');
    if (values.msp && values.msp !== ledgerConfig.fabric.mspId) return fail(`With the fabric engine the MSP id is the client certificate's (${ledgerConfig.fabric.mspId}); --msp cannot change it.`);
    return new FabricLedger(ledgerConfig.fabric);
  }
  if (!url) return fail(`No ledger database: pass --ledger-db postgres://..., or set LEDGER_DATABASE_URL or DATABASE_URL (no embedded PostgreSQL under ${config.dataDir}/db either: is DATA_DIR the node's?).`);
  return new EmbeddedLedger({
    pool: ledgerPool(url, 2),
    contracts: () => loadContracts(),
    identity: { mspId: values.msp ?? ledgerConfig.mspId, nodeId: instanceActorUri(config.publicUrl) },
    channel: ledgerConfig.channel,
  });
}
let ledger: EmbeddedLedger | FabricLedger;
try {
  ledger = openLedger();
} catch (err) {
  await startedHere?.stop();
  ledger = fail(`Cannot open the ledger: ${(err as Error).message}`); // e.g. a certificate path that does not exist
}

/** A command's arguments are wrong: the usage (or the message) and exit code 2, after cleaning up. */
class UsageError extends Error {}

const out = (v: unknown) => process.stdout.write(JSON.stringify(v, null, 2) + '\n');
const csvOrJson = (json: unknown, rows: Record<string, unknown>[], columns?: string[]) =>
  values.format === 'csv' ? process.stdout.write(toCsv(rows, columns)) : out(json);
const need = (n: number) => {
  if (rest.length < n) throw new UsageError();
};

let exitCode = 0;
try {
  switch (command) {
    case 'verify': {
      const r = await transactionLogOf(ledger).verify();
      out(r);
      if (!r.ok) {
        process.stderr.write(`chain broken at block ${r.brokenAt} (tx ${r.txId}): ${r.reason}\n`);
        exitCode = 1;
      }
      break;
    }
    case 'transactions': {
      const limit = Number(values.limit);
      const fromBlock = values['from-block'] === undefined ? undefined : Number(values['from-block']);
      if (fromBlock !== undefined && !(Number.isInteger(fromBlock) && fromBlock >= 0)) throw new UsageError('--from-block must be a block number (0 or more)');
      const r = await transactionLogOf(ledger).list({ fn: values.fn, creator: values.creator, fromBlock, limit, offset: (Number(values.page) - 1) * limit });
      const columns = ['blockNumber', 'txId', 'fn', 'creatorMsp', 'creatorId', 'timestamp', 'args', 'hash', 'prevHash'];
      csvOrJson(r, r.data as unknown as Record<string, unknown>[], engine === 'fabric' ? [...columns, 'validationCode'] : columns);
      break;
    }
    case 'tx': {
      need(1);
      const tx = await transactionLogOf(ledger).get(rest[0]);
      if (!tx) throw new Error(`no transaction ${rest[0]}`);
      out(tx);
      break;
    }
    case 'statement': {
      need(2);
      const s = (await ledger.evaluate('MonthCloseContract:getStatement', [rest[0], rest[1]])) as { payouts?: Record<string, unknown>[] } | null;
      if (!s) throw new Error(`no statement for ${rest[0]} ${rest[1]}`);
      csvOrJson(s, s.payouts ?? []);
      break;
    }
    case 'payouts': {
      need(1);
      const p = ((await ledger.evaluate('MonthCloseContract:payoutsForArtist', [rest[0]])) ?? []) as Record<string, unknown>[];
      csvOrJson(p, p);
      break;
    }
    case 'dispute': {
      need(1);
      out({ dispute: await ledger.evaluate('DisputeContract:get', [rest[0]]), history: await ledger.evaluate('DisputeContract:history', [rest[0]]) });
      break;
    }
    case 'recompute': {
      need(2);
      const r = await recomputeMonth(ledger, rest[0], rest[1]);
      if (!r) throw new Error(`no statement for ${rest[0]} ${rest[1]}`);
      csvOrJson(r, r.artists);
      if (!r.matches) exitCode = 1;
      break;
    }
    case 'recompute-campaign': {
      need(2);
      const r = await recomputeCampaign(ledger, rest[0], rest[1]);
      if (!r) throw new Error(`no campaign ${rest[1]} of ${rest[0]} on the ledger`);
      csvOrJson(r, r.investors);
      if (!r.matches) exitCode = 1;
      break;
    }
    case 'outbox': {
      const nodeDb = nodeDatabase ?? url;
      if (!nodeDb) throw new Error('No node database: set DATABASE_URL.');
      const db = new pg.Client({ connectionString: nodeDb });
      await db.connect();
      try {
        const r = await db.query("SELECT id, fn, status, attempts, created_at, submitted_at, tx_id, last_error FROM ledger_outbox WHERE status <> 'done' ORDER BY id");
        csvOrJson(r.rows, r.rows);
      } finally {
        await db.end();
      }
      break;
    }
    default:
      throw new UsageError();
  }
} catch (err) {
  if (err instanceof UsageError && !err.message) {
    process.stderr.write(usageText);
    exitCode = 2;
  } else {
    process.stderr.write(`${(err as Error).message}\n`);
    exitCode = err instanceof UsageError ? 2 : 1;
  }
} finally {
  await ledger.close();
  await startedHere?.stop();
}
process.exit(exitCode);
