// The ledger outbox: writes to the ledger are recorded in the node's database inside the
// caller's transaction and submitted after commit by the `ledger.submit` job, strictly in
// id order, one at a time per node. Each row submits under a transaction id derived from
// the row, so a retry after a crash finds the committed transaction instead of submitting
// it twice.
import { createHash } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import type { Jobs } from '../jobs/index.js';
import type { Logger } from '../logger.js';
import { execute, select, selectOne } from '../db/index.js';
import { LedgerError, type Ledger, type LedgerIdentity, type SubmitResult } from './types.js';

const OUTBOX_LOCK = 9_010_301; // pg advisory lock: one drainer per node database

export interface OutboxRow {
  id: number;
  fn: string;
  args: string[];
  transient: Record<string, string> | null;
  status: 'pending' | 'done' | 'rejected';
  attempts: number;
  created_at: Date;
  submitted_at: Date | null;
  tx_id: string | null;
  prepared: Buffer | null;
  result: unknown;
  last_error: string | null;
}

/** The transaction id of an outbox row: the same on every retry, unique per node and row. */
export function outboxTxId(nodeId: string, row: Pick<OutboxRow, 'id' | 'created_at'>): string {
  return createHash('sha256').update(`9ten-outbox\u0000${nodeId}\u0000${row.id}\u0000${new Date(row.created_at).toISOString()}`).digest('hex');
}

/** How an engine submits one outbox row exactly once (see FabricLedger for the prepared form). */
export interface IdempotentSubmitter {
  submitOutboxRow(
    row: OutboxRow,
    deterministicTxId: string,
    savePrepared: (prepared: Buffer | null, txId: string | null) => Promise<void>,
  ): Promise<SubmitResult>;
}

export class Outbox {
  constructor(
    private readonly db: Sequelize,
    private readonly jobs: Jobs,
    private readonly engine: Ledger & IdempotentSubmitter,
    private readonly identity: LedgerIdentity,
    private readonly logger: Logger,
  ) {}

  async enqueue(t: Transaction, fn: string, args: string[], transient?: Record<string, string>): Promise<string> {
    const row = await selectOne<{ id: number }>(
      this.db,
      'INSERT INTO ledger_outbox (fn, args, transient) VALUES (:fn, :args::jsonb, :transient::jsonb) RETURNING id',
      { fn, args: JSON.stringify(args.map(String)), transient: transient ? JSON.stringify(transient) : null },
      t,
    );
    const id = String(row!.id);
    this.jobs.enqueueAfterCommit(t, 'ledger.submit', { outboxId: id });
    return id;
  }

  async get(id: string): Promise<OutboxRow | undefined> {
    return selectOne<OutboxRow>(this.db, 'SELECT * FROM ledger_outbox WHERE id = :id', { id: Number(id) });
  }

  async pendingCount(): Promise<number> {
    const r = await selectOne<{ n: string }>(this.db, "SELECT count(*) AS n FROM ledger_outbox WHERE status = 'pending'");
    return Number(r?.n ?? 0);
  }

  /** Waits until the row is submitted; a rejected row throws the chaincode's refusal. */
  async wait(id: string, timeoutMs = 30_000): Promise<{ txId: string; result: unknown }> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const row = await this.get(id);
      if (!row) throw new LedgerError('chaincode', `no outbox row ${id}`);
      if (row.status === 'done') return { txId: row.tx_id!, result: row.result };
      if (row.status === 'rejected') throw new LedgerError('chaincode', row.last_error ?? 'rejected', row.tx_id ?? undefined);
      if (Date.now() > until) throw new LedgerError('unavailable', `outbox row ${id} still pending after ${timeoutMs} ms${row.last_error ? `: ${row.last_error}` : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Submits every pending row in id order. A retryable failure (conflict, ledger
   * unreachable) stops the drain and throws so the job retries later, keeping the order;
   * a refusal by the chaincode marks the row rejected and the drain goes on.
   */
  async drain(): Promise<number> {
    let submitted = 0;
    await this.db.transaction(async (lockTx) => {
      await execute(this.db, 'SELECT pg_advisory_xact_lock(:k)', { k: OUTBOX_LOCK }, lockTx);
      for (;;) {
        const [row] = await select<OutboxRow>(this.db, "SELECT * FROM ledger_outbox WHERE status = 'pending' ORDER BY id LIMIT 1");
        if (!row) return;
        const txId = outboxTxId(this.identity.nodeId, row);
        try {
          const res = await this.engine.submitOutboxRow(row, txId, (prepared, preparedTxId) =>
            execute(this.db, 'UPDATE ledger_outbox SET prepared = :prepared, tx_id = :tx WHERE id = :id', { prepared, tx: preparedTxId, id: row.id }),
          );
          await execute(
            this.db,
            "UPDATE ledger_outbox SET status = 'done', tx_id = :tx, result = :result::jsonb, submitted_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = :id",
            { tx: res.txId, result: JSON.stringify(res.result ?? null), id: row.id },
          );
          submitted++;
          this.logger.debug({ outboxId: row.id, fn: row.fn, txId: res.txId, replayed: res.replayed }, 'ledger outbox row submitted');
        } catch (err) {
          const e = err instanceof LedgerError ? err : new LedgerError('unavailable', (err as Error).message);
          if (e.retryable) {
            await execute(this.db, 'UPDATE ledger_outbox SET attempts = attempts + 1, last_error = :err WHERE id = :id', { err: e.message, id: row.id });
            throw e;
          }
          this.logger.warn({ outboxId: row.id, fn: row.fn, err: e.message }, 'ledger refused an outbox transaction');
          await execute(
            this.db,
            "UPDATE ledger_outbox SET status = 'rejected', attempts = attempts + 1, last_error = :err, submitted_at = now(), tx_id = coalesce(tx_id, :tx) WHERE id = :id",
            { err: `${e.code}: ${e.message}`, tx: e.txId ?? txId, id: row.id },
          );
        }
      }
    });
    return submitted;
  }
}
