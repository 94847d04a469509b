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
  /** Wires where the investment recompute finds the node's own figures (node.ts, once). */
  useInvestmentFigures(port: InvestmentFiguresPort): void;
}

/** A campaign's figures as the node's books have them (after one repayment), by investor pseudonym. */
export interface NodeCampaignFigures {
  campaignId: string;
  /** What the campaign had repaid in all. */
  repaid: number;
  /** What each investor had received, by the pseudonym the ledger's investor rows carry. */
  investors: { investor: string; received: number }[];
}

/**
 * The ledger's port to the node's own campaign figures (provided by money, wired by node.ts), so
 * the auditor's recompute compares the ledger's replay with the books without the ledger
 * knowing money.
 */
export interface InvestmentFiguresPort {
  /** The figures as they stood after repayment `throughSeq`; undefined when the campaign is not settled here. */
  campaignFigures(campaignId: string, throughSeq: number): Promise<NodeCampaignFigures | undefined>;
}
