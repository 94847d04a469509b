// What other capabilities may ask of the ledger: the chaincode's functions, submitted now or
// after the caller's database transaction commits (the outbox), and the node's identity.
import type { Transaction } from 'sequelize';
import type { Ledger } from './types.js';

export interface LedgerApi {
  /** Submits now (with retries on MVCC conflicts); prefer enqueueSubmit for writes that follow a DB change. */
  submit(fn: string, args: string[], opts?: { transient?: Record<string, string> }): Promise<{ txId: string; result: unknown }>;
  evaluate(fn: string, args: string[]): Promise<unknown>;
  /** Records the write in the caller's transaction; it is submitted after commit, in order. Returns the outbox id. */
  enqueueSubmit(t: Transaction, fn: string, args: string[], transient?: Record<string, string>): Promise<string>;
  /** Waits until an outbox row is on the ledger (throws if the chaincode refused it). */
  waitForOutbox(id: string, timeoutMs?: number): Promise<{ txId: string; result: unknown }>;
  /** Whether the chaincode this node runs has a function (`Contract:fn`); assumed true on Fabric. */
  has(fn: string): boolean;
  /** This node's ledger identity: `${publicUrl}/ap/actor`. */
  readonly nodeId: string;
  readonly mspId: string;
  readonly engine: Ledger['engine'];
}
