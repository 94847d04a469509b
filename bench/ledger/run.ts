// Ledger benchmark: embedded-engine throughput for daily-report submits, and month close
// through the real chaincode for N synthetic subscriptions (about 20 artists each), against
// one plain SQL aggregation pass over the same data in the same Postgres.
//   npx tsx bench/ledger/run.ts
// Sized by environment (defaults in brackets):
//   BENCH_REPORTS [200]            daily reports to submit            BENCH_REPORT_ROWS [100] rows each
//   BENCH_SUBSCRIPTIONS [100000,1000000]                              BENCH_ARTISTS [5000]
//   BENCH_CLOSE_MAX [1000000]      run the chaincode close only up to this many subscriptions
//   BENCH_DATABASE_URL [postgres://postgres@127.0.0.1:5432/postgres]  (a scratch database is created and dropped)
import { randomBytes } from 'node:crypto';
import { EmbeddedLedger, ledgerPool } from '../../server/ledger/embedded.js';
import { loadContracts } from '../../server/ledger/contracts.js';
import { artistTotalsOf, canonicalJson, reportRowsHash, type ReportRow } from '../../shared/money/index.js';
import { adminQuery } from '../../test/helpers/database.js';
import { inFlight, prng } from './support.js';

const env = (k: string, d: string) => process.env[k] ?? d;
const REPORTS = Number(env('BENCH_REPORTS', '200'));
const REPORT_ROWS = Number(env('BENCH_REPORT_ROWS', '100'));
const SIZES = env('BENCH_SUBSCRIPTIONS', '100000,1000000').split(',').map(Number).filter((n) => n > 0);
const ARTISTS = Number(env('BENCH_ARTISTS', '5000'));
const CLOSE_MAX = Number(env('BENCH_CLOSE_MAX', '1000000'));
const ADMIN_URL = env('BENCH_DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/postgres');
const MSP = 'Org1MSP';
const COLLECTION = `private:reportRows_${MSP}`;

const log = (msg: string) => process.stdout.write(`${msg}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ck = (type: string, attrs: string[]) => Buffer.from(`\u0000${type}\u0000${attrs.map((a) => `${a}\u0000`).join('')}`, 'utf8');

const admin = (sql: string) => adminQuery(sql, ADMIN_URL);

const dbName = `bench_ledger_${randomBytes(3).toString('hex')}`;
await admin(`CREATE DATABASE "${dbName}"`);
const url = new URL(ADMIN_URL);
url.pathname = `/${dbName}`;
const pool = ledgerPool(url.toString(), 4);
const mem = () => `${Math.round(process.memoryUsage().rss / 1e6)} MB rss`;

try {
  await EmbeddedLedger.ensureSchema(pool);
  const nodeId = 'http://bench-a.test/ap/actor';
  const ledger = new EmbeddedLedger({ pool, contracts: loadContracts(), identity: { mspId: MSP, nodeId } });
  const join = (id: string) => ledger.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId: id, actorUrl: id, cluster: 'bench', organisation: MSP })]);
  await join(nodeId);

  // 1. Daily-report submits through the chaincode (transient rows, private data, hash checks).
  const rnd = prng(42);
  const reportArgs = (day: string) => {
    const rows: ReportRow[] = [];
    for (let i = 0; i < REPORT_ROWS; i++) rows.push({ pseudonym: `p${i}`, artist: `https://artists.test/a${Math.floor(rnd() * ARTISTS)}`, seconds: 30 + Math.floor(rnd() * 600), plays: 1 });
    return { args: [JSON.stringify({ nodeId, day, artistTotals: artistTotalsOf(rows), hash: reportRowsHash(rows) })], transient: { rows: JSON.stringify(rows) } };
  };
  const dayOf = (i: number) => new Date(Date.UTC(2001, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
  const prepared = Array.from({ length: REPORTS }, (_, i) => reportArgs(dayOf(i)));
  let t0 = performance.now();
  for (const p of prepared.slice(0, Math.ceil(REPORTS / 2))) await ledger.submit('ReportContract:submit', p.args, { transient: p.transient });
  const serialMs = performance.now() - t0;
  const serialN = Math.ceil(REPORTS / 2);
  const rest = prepared.slice(serialN);
  t0 = performance.now();
  const conflicts = await inFlight(rest, 4, (p) => ledger.submit('ReportContract:submit', p.args, { transient: p.transient }));
  const concurrentMs = performance.now() - t0;
  log(`daily-report submits (${REPORT_ROWS} rows each, embedded engine):`);
  log(`  serial:       ${serialN} tx in ${secs(serialMs)} = ${(serialN / (serialMs / 1000)).toFixed(1)} tx/s`);
  log(`  4 in flight:  ${rest.length} tx in ${secs(concurrentMs)} = ${(rest.length / (concurrentMs / 1000)).toFixed(1)} tx/s (${conflicts} MVCC retries)`);

  // 2. Month close at scale.
  await pool.query(`CREATE TABLE bench_subscriptions (node text, pseudonym text, amount int);
                    CREATE TABLE bench_listening (node text, pseudonym text, artist text, seconds int);`);
  for (const [sizeIndex, n] of SIZES.entries()) {
    const node = `http://bench-${n}.test/ap/actor`;
    const month = `2030-${String(sizeIndex + 1).padStart(2, '0')}`;
    const days = new Date(Date.UTC(2030, sizeIndex + 1, 0)).getUTCDate();
    await join(node);
    log(`\nmonth close, ${n} subscriptions (${days} daily reports, ~20 artists each of ${ARTISTS}):`);
    let tg = performance.now();
    // Subscriptions as the chaincode records them (public state) and as plain rows.
    await pool.query(
      `INSERT INTO ledger_state (collection, key, value, version)
       SELECT '', decode('00','hex') || convert_to('subscription', 'UTF8') || decode('00','hex') || convert_to($1, 'UTF8') || decode('00','hex')
                 || convert_to($2, 'UTF8') || decode('00','hex') || convert_to('p' || lpad(i::text, 8, '0'), 'UTF8') || decode('00','hex'),
              convert_to(json_build_object('amount', 1000, 'cancelTxId', null, 'cancelledAt', null, 'currency', 'USD', 'kind', 'new', 'month', $2::text,
                 'nodeId', $1::text, 'pseudonym', 'p' || lpad(i::text, 8, '0'), 'recordedAt', '2030-01-01T00:00:00.000Z', 'status', 'active', 'txId', 'bench')::text, 'UTF8'),
              1
         FROM generate_series(0, $3::int - 1) AS i`,
      [node, month, n],
    );
    await pool.query(`INSERT INTO bench_subscriptions SELECT $1, 'p' || lpad(i::text, 8, '0'), 1000 FROM generate_series(0, $2::int - 1) AS i`, [node, n]);
    // Listening: each subscription listens on one day of the month to 10..30 artists.
    const r = prng(n);
    let rowsTotal = 0;
    for (let d = 0; d < days; d++) {
      const day = `${month}-${String(d + 1).padStart(2, '0')}`;
      const rows: ReportRow[] = [];
      for (let i = d; i < n; i += days) {
        const k = 10 + Math.floor(r() * 21);
        const seen = new Set<number>();
        for (let j = 0; j < k; j++) {
          const a = Math.floor(r() * ARTISTS);
          if (seen.has(a)) continue;
          seen.add(a);
          rows.push({ pseudonym: `p${String(i).padStart(8, '0')}`, artist: `https://artists.test/a${String(a).padStart(5, '0')}`, seconds: 30 + Math.floor(r() * 3000), plays: 1 });
        }
      }
      rowsTotal += rows.length;
      rows.sort((x, y) => (x.pseudonym < y.pseudonym ? -1 : x.pseudonym > y.pseudonym ? 1 : x.artist < y.artist ? -1 : x.artist > y.artist ? 1 : 0));
      const artistTotals = artistTotalsOf(rows);
      const reportRecord = {
        nodeId: node, day, month, version: 1, reportKey: `${node}#${day}#1`, hash: reportRowsHash(rows), artistTotals, rowCount: rows.length,
        collection: COLLECTION.slice('private:'.length), correctionOf: null, reason: null, submittedAt: `${day}T23:00:00.000Z`, txId: 'bench',
      };
      const recordBytes = Buffer.from(canonicalJson(reportRecord));
      await pool.query('INSERT INTO ledger_state (collection, key, value, version) VALUES ($1, $2, $3, 1), ($4, $5, $6, 1), ($4, $7, $6, 1)', [
        COLLECTION, ck('reportRows', [node, day, 'v000001']), Buffer.from(canonicalJson(rows)),
        '', ck('report', [node, month, day]), recordBytes, ck('reportVersion', [node, month, day, 'v000001']),
      ]);
      for (let i = 0; i < rows.length; i += 20_000) {
        const part = rows.slice(i, i + 20_000);
        await pool.query('INSERT INTO bench_listening SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[])', [node, part.map((x) => x.pseudonym), part.map((x) => x.artist), part.map((x) => x.seconds)]);
      }
    }
    await pool.query('ANALYZE');
    log(`  generated ${rowsTotal} listening rows in ${secs(performance.now() - tg)} (${mem()})`);

    // The plain SQL pass: top 9 artists per subscription by seconds, 900 split by weight, summed per artist.
    const sqlPass = async () => {
      const t = performance.now();
      const res = await pool.query(
        `WITH per AS (SELECT pseudonym, artist, sum(seconds) AS s FROM bench_listening WHERE node = $1 GROUP BY 1, 2),
              ranked AS (SELECT pseudonym, artist, s, row_number() OVER (PARTITION BY pseudonym ORDER BY s DESC, artist) AS rn FROM per),
              top AS (SELECT pseudonym, artist, s, sum(s) OVER (PARTITION BY pseudonym) AS total FROM ranked WHERE rn <= 9)
         SELECT count(DISTINCT artist) AS artists, sum(amount) AS paid FROM (
           SELECT t.artist, sum(((b.amount - 100) * t.s) / t.total) AS amount FROM top t JOIN bench_subscriptions b ON b.node = $1 AND b.pseudonym = t.pseudonym GROUP BY t.artist) x`,
        [node],
      );
      return { ms: performance.now() - t, paid: Number(res.rows[0].paid) };
    };
    await sqlPass(); // warm the cache, as the close will find it
    const sql = await sqlPass();
    log(`  plain SQL aggregation pass:   ${secs(sql.ms)}  (splits ${sql.paid} of ${n * 900} as exact weighted shares)`);

    if (n > CLOSE_MAX) {
      log(`  chaincode close: skipped (BENCH_CLOSE_MAX=${CLOSE_MAX})`);
      continue;
    }
    try {
      tg = performance.now();
      const reads0 = { ...ledger.stats };
      const sim = await ledger.simulate('MonthCloseContract:close', [JSON.stringify({ nodeId: node, month, nodeFee: 100, policy: 'rollover' })], { forSubmit: true });
      const simMs = performance.now() - tg;
      const readMs = ledger.stats.stateReadMs - reads0.stateReadMs;
      const readN = ledger.stats.stateReads - reads0.stateReads;
      const tc = performance.now();
      const block = await ledger.commit(sim);
      const commitMs = performance.now() - tc;
      const statement = JSON.parse(sim.result.toString('utf8')) as { payoutTotal: number; payouts: unknown[] };
      const total = simMs + commitMs;
      log(`  chaincode close (embedded):   ${secs(total)}  = simulate ${secs(simMs)} + validate/commit ${secs(commitMs)}; block ${block}, ${sim.writes.length} writes, ${statement.payouts.length} artists paid ${statement.payoutTotal} (${mem()})`);
      log(`    ${readN} world-state queries took ${secs(readMs)} in all (the contract prefetches days, so they overlap its work)`);
      log(`  ratio close / SQL pass:       ${(total / sql.ms).toFixed(1)}x  (goal: within 2x)`);
    } catch (err) {
      log(`  chaincode close failed: ${(err as Error).message} (${mem()})`);
    }
  }
  const verify = await ledger.verify();
  log(`\nchain: ${verify.blocks} blocks, verify ${verify.ok ? 'ok' : `BROKEN at ${verify.brokenAt}`}`);
} finally {
  await pool.end();
  await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
}
