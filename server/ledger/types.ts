// The one Ledger interface both engines implement, and the errors they share.

/** Who signs a transaction: the organisation's MSP id and the node's identity. */
export interface LedgerIdentity {
  mspId: string;
  /** The node's ledger identity (`${publicUrl}/ap/actor`). */
  nodeId: string;
}

export interface SubmitOptions {
  /** Transient data (never written to the ledger): e.g. `rows` with per-listener report rows. */
  transient?: Record<string, string>;
  /**
   * A transaction id chosen by the caller (the outbox derives one per row) so that a
   * retry after a crash cannot submit twice: a second submit with a committed id returns
   * the recorded result with `replayed: true` instead of executing again.
   */
  txId?: string;
  identity?: LedgerIdentity;
  /**
   * The fabric engine: the organisations whose peers must endorse (default: the gateway picks
   * what the endorsement policy needs). The embedded engine executes once and ignores it.
   */
  endorsingOrganizations?: string[];
}

export interface SubmitResult {
  txId: string;
  /** The chaincode's return value: parsed JSON when it is JSON, else the string. */
  result: unknown;
  blockNumber?: number;
  /** True when the tx id was already committed and the recorded result was returned. */
  replayed?: boolean;
}

export interface Ledger {
  readonly engine: 'embedded' | 'fabric';
  submit(fn: string, args: string[], opts?: SubmitOptions): Promise<SubmitResult>;
  evaluate(fn: string, args: string[], opts?: { identity?: LedgerIdentity; transient?: Record<string, string>; endorsingOrganizations?: string[] }): Promise<unknown>;
  close(): Promise<void>;
}

export type LedgerErrorCode =
  | 'chaincode' // the contract threw: a business refusal, retrying will not help
  | 'unknown_function'
  | 'mvcc_conflict' // a read changed between simulation and commit: retry
  | 'tx_replay' // the tx id is already on the ledger
  | 'read_only_write' // a @Transaction(false) function tried to write
  | 'unavailable'; // the ledger cannot be reached: retry

export class LedgerError extends Error {
  constructor(
    public readonly code: LedgerErrorCode,
    message: string,
    public readonly txId?: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }

  /** Whether the same call may succeed later (the outbox retries these). */
  get retryable(): boolean {
    return this.code === 'mvcc_conflict' || this.code === 'unavailable';
  }
}

/** Decodes a chaincode result: JSON when it parses, otherwise the UTF-8 string. */
export function decodeResult(bytes: Uint8Array | Buffer | undefined): unknown {
  if (!bytes || bytes.length === 0) return null;
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
