// The embedded engine: runs the chaincode's contract classes in-process against a
// Postgres world state, and appends every valid transaction to a hash-chained log.
// Simulation and commit are separate steps, as on a Fabric peer: a transaction is
// simulated against committed state (recording what it read), and at commit, under
// one lock per ledger, its reads are validated (MVCC) before its writes apply.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { ContractSet, convertArgs, encodeResult } from './contracts.js';
import { SimulationStub, ClientIdentity, sha256, PUBLIC, type StateReader, type VersionedValue, type RangeRead, type WriteEntry, type ChaincodeEvent } from './stub.js';
import { GENESIS_HASH, argsHashOf, blockHash, checkRow, type TxRow, type VerifyReport } from './chain.js';
import { ledgerSchemaSql } from './schema.js';
import { LedgerError, decodeResult, type Ledger, type LedgerIdentity, type SubmitOptions, type SubmitResult } from './types.js';

const COMMIT_LOCK = 9_010_300; // pg advisory lock id: one committer at a time per ledger database
// One write statement carries at most this many writes or bytes of values (a bytea parameter
// may not exceed 1 GB, and smaller statements keep memory flat).
const WRITE_BATCH_ROWS = 20_000;
const WRITE_BATCH_BYTES = 32 * 1024 * 1024;

function* writeBatches(puts: WriteEntry[]): Generator<WriteEntry[]> {
  let batch: WriteEntry[] = [];
  let bytes = 0;
  for (const w of puts) {
    const size = (w.value as Buffer).length + w.key.length;
    if (batch.length > 0 && (batch.length >= WRITE_BATCH_ROWS || bytes + size > WRITE_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(w);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
/** invalid UTF-8 (or a NUL byte), untranslatable into the database's encoding: the value is read as bytea. */
const NOT_TEXT = new Set(['22021', '22P05']);

/** A state query in two forms: values as UTF-8 text, and as bytea for values that are not text. */
interface ValueQuery {
  asText: string;
  asBytes: string;
}

function valueQuery(sql: string): ValueQuery {
  return { asText: sql.replace('$VALUE', "convert_from(value, 'UTF8') AS value"), asBytes: sql.replace('$VALUE', 'value') };
}

const GET_VALUE = valueQuery('SELECT $VALUE, version FROM ledger_state WHERE collection = $1 AND key = $2');
const RANGE_VALUES = valueQuery(
  `SELECT key, $VALUE, version FROM ledger_state
    WHERE collection = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3) AND ($4::bytea IS NULL OR key > $4)
    ORDER BY key LIMIT $5`,
);

const bytesOf = (value: string | Buffer): Buffer => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value);

/** The distinct collections of some writes (a SQL array) and each write's 1-based index into it. */
function collectionIndex(writes: { collection: string }[]): { names: string[]; index: number[] } {
  const at = new Map<string, number>();
  const index = writes.map((w) => {
    let i = at.get(w.collection);
    if (i === undefined) at.set(w.collection, (i = at.size + 1));
    return i;
  });
  return { names: [...at.keys()], index };
}

export interface Simulation {
  txId: string;
  channel: string;
  fn: string;
  args: string[];
  identity: LedgerIdentity;
  timestamp: Date;
  readOnly: boolean;
  result: Buffer;
  reads: { collection: string; key: Buffer; version: number | null }[];
  ranges: RangeRead[];
  writes: WriteEntry[];
  events: ChaincodeEvent[];
}

export interface EmbeddedLedgerOptions {
  pool: pg.Pool;
  /** The contract classes, or a loader called on first use (the chaincode may be built later). */
  contracts: ContractSet | (() => ContractSet);
  identity: LedgerIdentity;
  channel?: string;
  logger?: Logger;
}

/** A fresh transaction id, shaped like Fabric's (sha256 of nonce and creator). */
export function newTxId(identity: LedgerIdentity): string {
  return sha256(Buffer.concat([randomBytes(24), Buffer.from(identity.mspId + identity.nodeId)]));
}

const isUtf8 = (b: Buffer) => Buffer.from(b.toString('utf8'), 'utf8').equals(b);
const showKey = (k: Buffer) => (isUtf8(k) ? k.toString('utf8') : `base64:${k.toString('base64')}`);

/** The read/write set as recorded in the log; private values appear only as hashes. */
export function rwsetText(sim: Simulation): string {
  const isPrivate = (c: string) => c !== PUBLIC;
  return JSON.stringify({
    reads: sim.reads.map((r) => [r.collection, showKey(r.key), r.version]),
    ranges: sim.ranges.map((r) => [r.collection, showKey(r.start), r.end ? showKey(r.end) : null, r.seen.length, r.exhausted]),
    writes: sim.writes.map((w) => {
      const out: Record<string, unknown> = { c: w.collection, k: showKey(w.key) };
      if (w.value === null) out.delete = true;
      else if (isPrivate(w.collection)) out.hash = sha256(w.value);
      else out.value = isUtf8(w.value) ? w.value.toString('utf8') : `base64:${w.value.toString('base64')}`;
      return out;
    }),
  });
}

/** The digest the phantom check compares: sha256 over (int32 key length, key, int64 version) in key order. */
function rangeDigest(range: RangeRead): Buffer {
  const h = createHash('sha256');
  const head = Buffer.alloc(4);
  const ver = Buffer.alloc(8);
  for (const s of range.seen) {
    head.writeInt32BE(s.key.length);
    ver.writeBigInt64BE(BigInt(s.version));
    h.update(head).update(s.key).update(ver);
  }
  return h.digest();
}

export class EmbeddedLedger implements Ledger {
  readonly engine = 'embedded' as const;
  readonly pool: pg.Pool;
  private loaded?: ContractSet;
  readonly identity: LedgerIdentity;
  readonly channel: string;
  private readonly reader: StateReader;
  /** Time spent reading world state during simulations, and how many queries (for benchmarks). */
  readonly stats = { stateReadMs: 0, stateReads: 0 };

  constructor(private readonly opts: EmbeddedLedgerOptions) {
    this.pool = opts.pool;
    if (opts.contracts instanceof ContractSet) this.loaded = opts.contracts;
    this.identity = opts.identity;
    this.channel = opts.channel ?? '9ten';
    const pool = this.pool;
    const stats = this.stats;
    const timed = async <T>(p: Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await p;
      } finally {
        stats.stateReadMs += performance.now() - t;
        stats.stateReads++;
      }
    };
    // Values are read as UTF-8 text when they are (all the contracts write is JSON): Postgres sends
    // them as they are instead of hex-encoding bytea, which halves a month close's reads. A value
    // that is not UTF-8 text makes the query fail and is read again as bytea.
    const readRows = async <R extends { value: string | Buffer }>(q: ValueQuery, params: unknown[]): Promise<R[]> => {
      try {
        return (await timed(pool.query<R>(q.asText, params))).rows;
      } catch (err) {
        if (!NOT_TEXT.has((err as { code?: string }).code ?? '')) throw err;
        return (await timed(pool.query<R>(q.asBytes, params))).rows;
      }
    };
    this.reader = {
      async get(collection, key) {
        const [row] = await readRows<{ value: string | Buffer; version: string }>(GET_VALUE, [collection, key]);
        return row ? { key, value: bytesOf(row.value), version: Number(row.version) } : undefined;
      },
      async range(collection, start, end, after, limit) {
        const rows = await readRows<{ key: Buffer; value: string | Buffer; version: string }>(RANGE_VALUES, [collection, start, end, after, limit]);
        return rows.map((x): VersionedValue => ({ key: x.key, value: bytesOf(x.value), version: Number(x.version) }));
      },
    };
  }

  get contracts(): ContractSet {
    if (!this.loaded) {
      try {
        this.loaded = (this.opts.contracts as () => ContractSet)();
      } catch (err) {
        throw new LedgerError('unavailable', (err as Error).message);
      }
    }
    return this.loaded;
  }

  /** Creates the ledger tables when missing (a shared ledger database has no migrations). */
  static async ensureSchema(pool: pg.Pool): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [COMMIT_LOCK + 1]);
      await client.query(ledgerSchemaSql);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Runs a transaction function against committed state without committing anything. */
  async simulate(
    fn: string,
    args: string[],
    opts: { identity?: LedgerIdentity; transient?: Record<string, string>; txId?: string; timestamp?: Date; forSubmit?: boolean } = {},
  ): Promise<Simulation> {
    const tx = this.contracts.resolve(fn);
    const identity = opts.identity ?? this.identity;
    const txId = opts.txId ?? newTxId(identity);
    const timestamp = opts.timestamp ?? new Date();
    const stub = new SimulationStub(this.reader, {
      txId,
      channel: this.channel,
      timestamp,
      identity,
      transient: opts.transient ?? {},
      forbidWrites: tx.readOnly && !!opts.forSubmit,
    });
    const ctx = tx.contract.createContext();
    if (ctx.setChaincodeStub) ctx.setChaincodeStub(stub);
    else ctx.stub = stub;
    if (ctx.setClientIdentity) ctx.setClientIdentity(new ClientIdentity(identity));
    else ctx.clientIdentity = new ClientIdentity(identity);
    let value: unknown;
    try {
      const converted = convertArgs(tx.params, args);
      if (tx.contract.beforeTransaction) await tx.contract.beforeTransaction(ctx);
      value = await (tx.contract[tx.method] as (...a: unknown[]) => Promise<unknown>).call(tx.contract, ctx, ...converted);
      if (tx.contract.afterTransaction) await tx.contract.afterTransaction(ctx, value);
    } catch (err) {
      if (err instanceof LedgerError) throw Object.assign(err, { txId });
      throw new LedgerError('chaincode', (err as Error)?.message ?? String(err), txId);
    }
    return {
      txId,
      channel: this.channel,
      fn: `${tx.contractName}:${tx.method}`,
      args,
      identity,
      timestamp,
      readOnly: tx.readOnly,
      result: encodeResult(value),
      // In key order: a contract may read concurrently, and the recorded set must not depend on timing.
      reads: [...stub.reads.values()].sort((a, b) => (a.collection === b.collection ? Buffer.compare(a.key, b.key) : a.collection < b.collection ? -1 : 1)),
      ranges: stub.ranges,
      writes: [...stub.writes.values()],
      events: stub.events,
    };
  }

  async evaluate(fn: string, args: string[], opts: { identity?: LedgerIdentity; transient?: Record<string, string> } = {}): Promise<unknown> {
    const sim = await this.simulate(fn, args, opts);
    return decodeResult(sim.result);
  }

  async submit(fn: string, args: string[], opts: SubmitOptions = {}): Promise<SubmitResult> {
    if (opts.txId) {
      const done = await this.getTransaction(opts.txId);
      if (done) return { txId: done.tx_id, result: decodeResult(Buffer.from(done.result, 'base64')), blockNumber: Number(done.block_number), replayed: true };
    }
    const sim = await this.simulate(fn, args, { identity: opts.identity, transient: opts.transient, txId: opts.txId, forSubmit: true });
    // A read-only function is evaluated: nothing to order, nothing written.
    if (sim.readOnly) return { txId: sim.txId, result: decodeResult(sim.result) };
    try {
      const blockNumber = await this.commit(sim);
      return { txId: sim.txId, result: decodeResult(sim.result), blockNumber };
    } catch (err) {
      if (opts.txId && err instanceof LedgerError && err.code === 'tx_replay') {
        // Lost a race with another submit of the same outbox row: return what landed.
        const done = await this.getTransaction(opts.txId);
        if (done) return { txId: done.tx_id, result: decodeResult(Buffer.from(done.result, 'base64')), blockNumber: Number(done.block_number), replayed: true };
      }
      throw err;
    }
  }

  /** The outbox's exactly-once submit: the row's deterministic tx id makes a retry a replay. */
  async submitOutboxRow(row: { fn: string; args: string[]; transient: Record<string, string> | null }, txId: string): Promise<SubmitResult> {
    return this.submit(row.fn, row.args, { txId, transient: row.transient ?? undefined });
  }

  /** Validates a simulation's reads against current state and appends it as a block. */
  async commit(sim: Simulation): Promise<number> {
    const client = await this.pool.connect().catch((err: Error) => {
      throw new LedgerError('unavailable', `ledger database unavailable: ${err.message}`, sim.txId);
    });
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [COMMIT_LOCK]);
      const dup = await client.query('SELECT 1 FROM ledger_transactions WHERE tx_id = $1', [sim.txId]);
      if (dup.rowCount) throw new LedgerError('tx_replay', `transaction ${sim.txId} is already on the ledger`, sim.txId);
      await this.validate(client, sim);
      const last = await client.query<{ block_number: string; hash: string }>('SELECT block_number, hash FROM ledger_transactions ORDER BY block_number DESC LIMIT 1');
      const blockNumber = last.rows[0] ? Number(last.rows[0].block_number) + 1 : 0;
      const prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
      await this.applyWrites(client, sim.writes, blockNumber);
      const argsJson = JSON.stringify(sim.args);
      const row: Omit<TxRow, 'hash'> = {
        block_number: blockNumber,
        tx_id: sim.txId,
        channel: sim.channel,
        fn: sim.fn,
        args: argsJson,
        args_hash: argsHashOf(argsJson),
        rwset: rwsetText(sim),
        events: JSON.stringify(sim.events.map((e) => ({ name: e.name, payload: e.payload.toString('base64') }))),
        result: sim.result.toString('base64'),
        creator_msp: sim.identity.mspId,
        creator_id: sim.identity.nodeId,
        tx_timestamp: sim.timestamp,
        prev_hash: prevHash,
      };
      const hash = blockHash(row);
      await client.query(
        `INSERT INTO ledger_transactions (block_number, tx_id, channel, fn, args, args_hash, rwset, events, result, creator_msp, creator_id, tx_timestamp, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [blockNumber, row.tx_id, row.channel, row.fn, row.args, row.args_hash, row.rwset, row.events, row.result, row.creator_msp, row.creator_id, sim.timestamp, prevHash, hash],
      );
      await client.query('COMMIT');
      return blockNumber;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      if (err instanceof LedgerError) throw err;
      throw new LedgerError('unavailable', `commit failed: ${(err as Error).message}`, sim.txId);
    } finally {
      client.release();
    }
  }

  private async validate(client: pg.PoolClient, sim: Simulation): Promise<void> {
    const conflict = (what: string) => new LedgerError('mvcc_conflict', `MVCC_READ_CONFLICT: ${what} changed since the transaction was simulated`, sim.txId);
    if (sim.reads.length) {
      const r = await client.query<{ i: number; version: string | null }>(
        `SELECT r.i, s.version FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS r(c, k, i)
           LEFT JOIN ledger_state s ON s.collection = r.c AND s.key = r.k`,
        [sim.reads.map((x) => x.collection), sim.reads.map((x) => x.key)],
      );
      for (const row of r.rows) {
        const read = sim.reads[Number(row.i) - 1];
        const now = row.version === null ? null : Number(row.version);
        if (now !== read.version) throw conflict(`key ${JSON.stringify(showKey(read.key))}`);
      }
    }
    for (const range of sim.ranges) {
      // Phantom check: the same range must yield the same keys at the same versions.
      const limit = range.exhausted ? null : range.seen.length;
      if (limit === 0) continue;
      // Compared as a count and a digest computed by Postgres, so a range of 100,000 keys is
      // not shipped back to be compared here.
      const r = await client.query<{ n: number; digest: Buffer }>(
        `SELECT count(*)::int AS n, sha256(coalesce(string_agg(int4send(length(key)) || key || int8send(version), ''::bytea ORDER BY key), ''::bytea)) AS digest
           FROM (SELECT key, version FROM ledger_state WHERE collection = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3) ORDER BY key LIMIT $4) seen`,
        [range.collection, range.start, range.end, limit],
      );
      if (r.rows[0].n !== range.seen.length || !r.rows[0].digest.equals(rangeDigest(range))) throw conflict(`range ${JSON.stringify(showKey(range.start))}`);
    }
  }

  private async applyWrites(client: pg.PoolClient, writes: WriteEntry[], version: number): Promise<void> {
    const puts = writes.filter((w) => w.value !== null);
    const dels = writes.filter((w) => w.value === null);
    // Keys and values travel as one binary parameter each, cut apart by lengths in SQL: an
    // array of bytea would be hex-escaped element by element on the client (most of the
    // time of a 100,000-write month close).
    for (const part of writeBatches(puts)) {
      const { names, index } = collectionIndex(part);
      await client.query(
        `INSERT INTO ledger_state (collection, key, value, version)
         SELECT ($1::text[])[w.c], substring($2::bytea FROM w.ko + 1 FOR w.kl), substring($3::bytea FROM w.vo + 1 FOR w.vl), $6
           FROM (SELECT c, kl, vl, (sum(kl) OVER o - kl)::int AS ko, (sum(vl) OVER o - vl)::int AS vo
                   FROM unnest($7::int[], $4::int[], $5::int[]) WITH ORDINALITY AS u(c, kl, vl, i) WINDOW o AS (ORDER BY i)) w
         ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version`,
        [
          names,
          Buffer.concat(part.map((w) => w.key)),
          Buffer.concat(part.map((w) => w.value as Buffer)),
          part.map((w) => w.key.length),
          part.map((w) => (w.value as Buffer).length),
          version,
          index,
        ],
      );
    }
    if (dels.length) {
      await client.query(
        `DELETE FROM ledger_state s USING unnest($1::text[], $2::bytea[]) AS d(c, k) WHERE s.collection = d.c AND s.key = d.k`,
        [dels.map((w) => w.collection), dels.map((w) => w.key)],
      );
    }
  }

  async getTransaction(txId: string): Promise<TxRow | undefined> {
    const r = await this.pool.query<TxRow>('SELECT * FROM ledger_transactions WHERE tx_id = $1', [txId]);
    return r.rows[0];
  }

  /** Recomputes every block's hash and link, in order, in pages. */
  async verify(): Promise<VerifyReport> {
    let prev = GENESIS_HASH;
    let expected = 0;
    for (;;) {
      const r = await this.pool.query<TxRow>('SELECT * FROM ledger_transactions WHERE block_number >= $1 ORDER BY block_number LIMIT 2000', [expected]);
      for (const row of r.rows) {
        const reason = checkRow(row, expected, prev);
        if (reason) return { ok: false, blocks: expected, lastHash: prev, brokenAt: Number(row.block_number), txId: row.tx_id, reason };
        prev = row.hash;
        expected++;
      }
      if (r.rows.length < 2000) break;
    }
    return { ok: true, blocks: expected, lastHash: prev };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A pg pool for a ledger database URL. */
export function ledgerPool(url: string, max = 5): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {}); // idle client errors surface on the next query
  return pool;
}
