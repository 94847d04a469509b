// Ledger benchmark, fabric engine against embedded engine in the same run: daily-report
// submits per second, and one month close of N subscriptions (about 20 artists each), each
// engine fed the same inputs through the same chaincode functions. The Fabric side is a local
// network of its own (npm run fabric's code: one Raft orderer, two peers with TLS, the
// chaincode as a service), started fresh and deleted after.
//   npm run bench:ledger:fabric
// Sized by environment (defaults in brackets):
//   BENCH_REPORTS [40]  daily reports per engine      BENCH_REPORT_ROWS [100] rows each
//   BENCH_SUBSCRIPTIONS [100000]                        BENCH_ARTISTS [5000]
//   BENCH_IN_FLIGHT [128] concurrent subscription records while loading
//   BENCH_DATABASE_URL [postgres://postgres@127.0.0.1:5432/postgres]  (a scratch database is created and dropped)
import { randomBytes } from 'node:crypto';
import { EmbeddedLedger, ledgerPool } from '../../server/ledger/embedded.js';
import { loadContracts } from '../../server/ledger/contracts.js';
import { FabricLedger } from '../../server/ledger/fabric.js';
import type { Ledger } from '../../server/ledger/types.js';
import { projectRoot } from '../../server/config/index.js';
import { artistTotalsOf, reportRowsHash, type ReportRow } from '../../shared/money/index.js';
import { adminQuery } from '../../test/helpers/database.js';
import { inFlight, prng } from './support.js';
import { networkLayout } from '../../scripts/fabric/layout.js';
import { FabricNetwork } from '../../scripts/fabric/network.js';

const env = (k: string, d: string) => process.env[k] ?? d;
const REPORTS = Number(env('BENCH_REPORTS', '40'));
const REPORT_ROWS = Number(env('BENCH_REPORT_ROWS', '100'));
const SUBSCRIPTIONS = Number(env('BENCH_SUBSCRIPTIONS', '100000'));
const ARTISTS = Number(env('BENCH_ARTISTS', '5000'));
const IN_FLIGHT = Number(env('BENCH_IN_FLIGHT', '128'));
const ADMIN_URL = env('BENCH_DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/postgres');
const MSP = 'Org1MSP';

const log = (msg: string) => process.stdout.write(`${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (n: number, ms: number) => n / (ms / 1000);

const dayOf = (i: number) => new Date(Date.UTC(2001, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);

function reportOf(nodeId: string, day: string, rows: ReportRow[]) {
  return { args: [JSON.stringify({ nodeId, day, artistTotals: artistTotalsOf(rows), hash: reportRowsHash(rows) })], transient: { rows: JSON.stringify(rows) } };
}

/** Daily reports of REPORT_ROWS rows: half one at a time, half 4 in flight. */
async function reportSubmits(ledger: Ledger, nodeId: string) {
  const rnd = prng(42);
  const reports = Array.from({ length: REPORTS }, (_, i) => {
    const rows: ReportRow[] = [];
    for (let r = 0; r < REPORT_ROWS; r++) rows.push({ pseudonym: `p${r}`, artist: `https://artists.test/a${Math.floor(rnd() * ARTISTS)}`, seconds: 30 + Math.floor(rnd() * 600), plays: 1 });
    return reportOf(nodeId, dayOf(i), rows);
  });
  const serial = reports.slice(0, Math.ceil(REPORTS / 2));
  let t = performance.now();
  for (const p of serial) await ledger.submit('ReportContract:submit', p.args, { transient: p.transient });
  const serialRate = rate(serial.length, performance.now() - t);
  const rest = reports.slice(serial.length);
  t = performance.now();
  const conflicts = await inFlight(rest, 4, (p) => ledger.submit('ReportContract:submit', p.args, { transient: p.transient }));
  return { serialRate, concurrentRate: rate(rest.length, performance.now() - t), conflicts };
}

/** One month of N subscriptions: the records, the daily reports (each listener on one day, 10..30 artists), then the close. */
async function monthClose(ledger: Ledger, nodeId: string) {
  const month = '2030-01';
  const days = 31;
  const pseudonym = (i: number) => `p${String(i).padStart(8, '0')}`;
  let t = performance.now();
  await inFlight(Array.from({ length: SUBSCRIPTIONS }, (_, i) => i), IN_FLIGHT, (i) =>
    ledger.submit('SubscriptionContract:record', [JSON.stringify({ nodeId, month, pseudonym: pseudonym(i), amount: 1000, currency: 'USD', kind: 'new' })]),
  );
  const recordMs = performance.now() - t;
  const r = prng(SUBSCRIPTIONS);
  let rows = 0;
  t = performance.now();
  for (let d = 0; d < days; d++) {
    const dayRows: ReportRow[] = [];
    for (let i = d; i < SUBSCRIPTIONS; i += days) {
      const seen = new Set<number>();
      for (let j = 10 + Math.floor(r() * 21); j > 0; j--) {
        const a = Math.floor(r() * ARTISTS);
        if (seen.has(a)) continue;
        seen.add(a);
        dayRows.push({ pseudonym: pseudonym(i), artist: `https://artists.test/a${String(a).padStart(5, '0')}`, seconds: 30 + Math.floor(r() * 3000), plays: 1 });
      }
    }
    rows += dayRows.length;
    const p = reportOf(nodeId, `${month}-${String(d + 1).padStart(2, '0')}`, dayRows);
    await ledger.submit('ReportContract:submit', p.args, { transient: p.transient });
  }
  const reportMs = performance.now() - t;
  t = performance.now();
  const close = await ledger.submit('MonthCloseContract:close', [JSON.stringify({ nodeId, month, nodeFee: 100, policy: 'rollover' })]);
  const closeMs = performance.now() - t;
  const statement = close.result as { hash: string; payoutTotal: number; payouts: unknown[] };
  return { recordMs, reportMs, closeMs, rows, statement };
}

const network = new FabricNetwork(networkLayout({ name: 'bench', basePort: Number(env('BENCH_FABRIC_BASE_PORT', '28050')) }));
const dbName = `bench_ledger_fabric_${randomBytes(3).toString('hex')}`;
await adminQuery(`CREATE DATABASE "${dbName}"`, ADMIN_URL);
const url = new URL(ADMIN_URL);
url.pathname = `/${dbName}`;
const pool = ledgerPool(url.toString(), 4);
let fabric: FabricLedger | undefined;
try {
  log('starting a fresh local Fabric network (bench) ...');
  await network.up({ projectRoot, fresh: true, log: (line) => log(`  ${line}`) });
  fabric = new FabricLedger(network.profile(MSP).ledger.fabric);
  await EmbeddedLedger.ensureSchema(pool);
  const nodeId = (engine: string, what: string) => `http://bench-${engine}-${what}.test/ap/actor`;
  const embeddedFor = (id: string) => new EmbeddedLedger({ pool, contracts: loadContracts(), identity: { mspId: MSP, nodeId: id } });
  const engines: [string, (id: string) => Ledger][] = [
    ['embedded', embeddedFor],
    ['fabric', () => fabric!],
  ];
  const join = (ledger: Ledger, id: string) => ledger.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId: id, actorUrl: id, cluster: 'bench', organisation: MSP })]);

  log(`\ndaily-report submits (${REPORT_ROWS} rows each, ${REPORTS} per engine):`);
  const submits: Record<string, Awaited<ReturnType<typeof reportSubmits>>> = {};
  for (const [engine, ledgerFor] of engines) {
    const id = nodeId(engine, 'reports');
    const ledger = ledgerFor(id);
    await join(ledger, id);
    submits[engine] = await reportSubmits(ledger, id);
    log(`  ${engine.padEnd(8)} one at a time ${submits[engine].serialRate.toFixed(1)} tx/s, 4 in flight ${submits[engine].concurrentRate.toFixed(1)} tx/s (${submits[engine].conflicts} MVCC retries)`);
  }
  log(`  fabric / embedded: ${(submits.fabric.serialRate / submits.embedded.serialRate).toFixed(2)}x one at a time, ${(submits.fabric.concurrentRate / submits.embedded.concurrentRate).toFixed(2)}x with 4 in flight`);

  log(`\nmonth close, ${SUBSCRIPTIONS} subscriptions (31 daily reports, ~20 artists each of ${ARTISTS}):`);
  const closes: Record<string, Awaited<ReturnType<typeof monthClose>>> = {};
  for (const [engine, ledgerFor] of engines) {
    const id = nodeId('same', 'close'); // the same node id on both: the same statement hash
    const ledger = ledgerFor(id);
    await join(ledger, id);
    const c = (closes[engine] = await monthClose(ledger, id));
    log(`  ${engine.padEnd(8)} records ${secs(c.recordMs)} (${rate(SUBSCRIPTIONS, c.recordMs).toFixed(0)} tx/s, ${IN_FLIGHT} in flight), 31 reports of ${c.rows} rows ${secs(c.reportMs)}, close ${secs(c.closeMs)}: ${c.statement.payouts.length} artists paid ${c.statement.payoutTotal}`);
  }
  log(`  close fabric / embedded: ${(closes.fabric.closeMs / closes.embedded.closeMs).toFixed(2)}x; records ${(closes.fabric.recordMs / closes.embedded.recordMs).toFixed(2)}x; reports ${(closes.fabric.reportMs / closes.embedded.reportMs).toFixed(2)}x`);
  log(`  same statement hash on both engines: ${closes.fabric.statement.hash === closes.embedded.statement.hash ? 'yes' : `NO (${closes.fabric.statement.hash} vs ${closes.embedded.statement.hash})`}`);
  const verify = await fabric.blocks.verify();
  log(`\nfabric chain: ${verify.blocks} blocks, verify ${verify.ok ? 'ok' : `BROKEN at ${verify.brokenAt}`}`);
} finally {
  await fabric?.close();
  await network.down({ purge: true }).catch(() => {});
  await pool.end();
  await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`, ADMIN_URL);
}
