// The ledger service other capabilities use: submit and evaluate chaincode functions,
// and record writes in the outbox inside their own database transaction.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import type { Outbox } from './outbox.js';
import { LedgerError, type Ledger } from './types.js';

export interface LedgerService {
  /** Submits now (with retries on MVCC conflicts); prefer enqueueSubmit for writes that follow a DB change. */
  submit(fn: string, args: string[], opts?: { transient?: Record<string, string> }): Promise<{ txId: string; result: unknown }>;
  evaluate(fn: string, args: string[]): Promise<unknown>;
  /** Records the write in the caller's transaction; it is submitted after commit, in order. Returns the outbox id. */
  enqueueSubmit(t: Transaction, fn: string, args: string[], transient?: Record<string, string>): Promise<string>;
  /** Waits until an outbox row is on the ledger (throws if the chaincode refused it). */
  waitForOutbox(id: string, timeoutMs?: number): Promise<{ txId: string; result: unknown }>;
  /** This node's ledger identity: `${publicUrl}/ap/actor`. */
  readonly nodeId: string;
  readonly mspId: string;
  readonly engine: Ledger['engine'];
}

export const ledgerService = (ctx: NodeContext) => ctx.services.ledger as LedgerService;

export class DefaultLedgerService implements LedgerService {
  constructor(
    readonly ledger: Ledger,
    readonly outbox: Outbox,
    readonly nodeId: string,
    readonly mspId: string,
    private readonly mvccRetries: number,
  ) {}

  get engine() {
    return this.ledger.engine;
  }

  async submit(fn: string, args: string[], opts: { transient?: Record<string, string> } = {}) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.ledger.submit(fn, args.map(String), { transient: opts.transient });
        return { txId: r.txId, result: r.result };
      } catch (err) {
        if (!(err instanceof LedgerError) || err.code !== 'mvcc_conflict' || attempt >= this.mvccRetries) throw err;
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * (attempt + 1)));
      }
    }
  }

  evaluate(fn: string, args: string[]) {
    return this.ledger.evaluate(fn, args.map(String));
  }

  enqueueSubmit(t: Transaction, fn: string, args: string[], transient?: Record<string, string>) {
    return this.outbox.enqueue(t, fn, args, transient);
  }

  waitForOutbox(id: string, timeoutMs?: number) {
    return this.outbox.wait(id, timeoutMs);
  }
}
