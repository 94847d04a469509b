// `npm run ledger -- <command>`: the auditors' and operators' view of the embedded ledger,
// read straight from the ledger database. Commands:
//   verify                                  recompute the hash chain; exit 1 at the first broken link
//   transactions [--fn F] [--creator N] [--page P] [--limit L] [--format json|csv]
//   tx <txId>                               one transaction with its read/write set
//   statement <nodeId> <month> [--format json|csv]
//   payouts <artistActorUri> [--format json|csv]
//   dispute <disputeId>                     the dispute and its history
//   recompute <nodeId> <month>              recompute a month's payouts from the ledger; exit 1 on mismatch
//   outbox                                  this node's pending/rejected outbox rows (node database)
// Options: --ledger-db URL (else LEDGER_DATABASE_URL, else the node's DATABASE_URL / config),
//          --msp ID (identity for reads of private data; default: the node's organisation).
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../server/config/index.js';
import { ledgerConfigOf } from '../server/ledger/config.js';
import { EmbeddedLedger, ledgerPool } from '../server/ledger/embedded.js';
import { loadContracts } from '../server/ledger/contracts.js';
import { getTransactionDetail, listTransactions, recomputeMonth, toCsv } from '../server/ledger/audit.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'ledger-db': { type: 'string' },
    msp: { type: 'string' },
    fn: { type: 'string' },
    creator: { type: 'string' },
    page: { type: 'string', default: '1' },
    limit: { type: 'string', default: '100' },
    format: { type: 'string', default: 'json' },
    help: { type: 'boolean', short: 'h' },
  },
});

const [command, ...rest] = positionals;
const usage = () => {
  process.stderr.write('usage: npm run ledger -- <verify|transactions|tx|statement|payouts|dispute|recompute|outbox> [args] [--ledger-db URL] [--format json|csv]\n');
  process.exit(2);
};
if (!command || values.help) usage();

const config = loadConfig();
const ledgerConfig = ledgerConfigOf(config);
const url = values['ledger-db'] ?? ledgerConfig.databaseUrl ?? config.databaseUrl;
if (!url) {
  process.stderr.write('No ledger database: pass --ledger-db postgres://..., or set LEDGER_DATABASE_URL or DATABASE_URL.\n');
  process.exit(2);
}
const pool = ledgerPool(url, 2);
const ledger = new EmbeddedLedger({
  pool,
  contracts: () => loadContracts(),
  identity: { mspId: values.msp ?? ledgerConfig.mspId, nodeId: `${config.publicUrl}/ap/actor` },
  channel: ledgerConfig.channel,
});

const out = (v: unknown) => process.stdout.write(JSON.stringify(v, null, 2) + '\n');
const csvOrJson = (json: unknown, rows: Record<string, unknown>[], columns?: string[]) =>
  values.format === 'csv' ? process.stdout.write(toCsv(rows, columns)) : out(json);
const need = (n: number) => {
  if (rest.length < n) usage();
};

let exitCode = 0;
try {
  switch (command) {
    case 'verify': {
      const r = await ledger.verify();
      out(r);
      if (!r.ok) {
        process.stderr.write(`chain broken at block ${r.brokenAt} (tx ${r.txId}): ${r.reason}\n`);
        exitCode = 1;
      }
      break;
    }
    case 'transactions': {
      const limit = Number(values.limit);
      const r = await listTransactions(pool, { fn: values.fn, creator: values.creator, limit, offset: (Number(values.page) - 1) * limit });
      csvOrJson(r, r.data as unknown as Record<string, unknown>[], ['blockNumber', 'txId', 'fn', 'creatorMsp', 'creatorId', 'timestamp', 'args', 'hash', 'prevHash']);
      break;
    }
    case 'tx': {
      need(1);
      const tx = await getTransactionDetail(pool, rest[0]);
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
    case 'outbox': {
      const db = new pg.Client({ connectionString: config.databaseUrl ?? url });
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
      usage();
  }
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  exitCode = 1;
} finally {
  await pool.end();
}
process.exit(exitCode);
