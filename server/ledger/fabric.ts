// The fabric engine: the same Ledger interface over @hyperledger/fabric-gateway to a
// real peer (endpoint, TLS root cert, MSP id, certificate, key, channel, chaincode), and
// the peer's blocks (through qscc) as the auditors' transaction log.
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, signers, type Gateway, type Contract, type Transaction } from '@hyperledger/fabric-gateway';
import type { Logger } from '../logger.js';
import type { LedgerConfig } from './config.js';
import { LedgerError, decodeResult, type Ledger, type SubmitOptions, type SubmitResult } from './types.js';
import type { OutboxRow } from './outbox.js';
import { FabricBlocks } from './fabric-blocks.js';

type FabricConfig = NonNullable<LedgerConfig['fabric']>;

// TxValidationCode values (fabric-protos peer/transaction.proto).
const MVCC_READ_CONFLICT = 11;
const PHANTOM_READ_CONFLICT = 12;

interface GatewayLikeError extends Error {
  code?: number | string;
  details?: { message?: string; mspId?: string; address?: string }[];
  transactionId?: string;
  cause?: unknown;
}

/** Maps fabric-gateway errors onto the ledger's error codes. */
export function toLedgerError(err: unknown, txId?: string): LedgerError {
  if (err instanceof LedgerError) return err;
  const e = err as GatewayLikeError;
  const name = e?.name ?? '';
  const detail = e?.details?.map((d) => d.message).filter(Boolean).join('; ');
  const message = detail ? detail.replace(/^chaincode response \d+, /, '') : (e?.message ?? String(err));
  const id = e?.transactionId ?? txId;
  if (name === 'CommitError') {
    if (e.code === MVCC_READ_CONFLICT || e.code === PHANTOM_READ_CONFLICT) return new LedgerError('mvcc_conflict', e.message, id);
    return new LedgerError('chaincode', e.message, id);
  }
  const code = typeof e?.code === 'number' ? e.code : undefined;
  if (code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.CANCELLED || code === grpc.status.RESOURCE_EXHAUSTED) {
    return new LedgerError('unavailable', message, id);
  }
  if (name === 'SubmitError' || name === 'CommitStatusError') return new LedgerError('unavailable', message, id);
  if (/does not exist|unknown_function/i.test(message)) return new LedgerError('unknown_function', message, id);
  if (/MVCC_READ_CONFLICT/.test(message)) return new LedgerError('mvcc_conflict', message, id);
  return new LedgerError('chaincode', message, id);
}

/** A gRPC connection to the configured peer and a Gateway signing as the configured identity (close both). */
export function connectGateway(config: FabricConfig): { client: grpc.Client; gateway: Gateway } {
  const credentials = config.tlsRootCertPath ? grpc.credentials.createSsl(readFileSync(config.tlsRootCertPath)) : grpc.credentials.createInsecure();
  const options: grpc.ClientOptions = config.hostAlias ? { 'grpc.ssl_target_name_override': config.hostAlias } : {};
  const client = new grpc.Client(config.endpoint, credentials, options);
  const gateway = connect({
    client,
    identity: { mspId: config.mspId, credentials: readFileSync(config.certPath) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(config.keyPath))),
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
    submitOptions: () => ({ deadline: Date.now() + 10_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
  });
  return { client, gateway };
}

export class FabricLedger implements Ledger {
  readonly engine = 'fabric' as const;
  private readonly client: grpc.Client;
  private readonly gateway: Gateway;
  private readonly contract: Contract;
  /** The peer's blocks of the channel: the transaction log auditors list and verify. */
  readonly blocks: FabricBlocks;

  constructor(
    readonly config: FabricConfig,
    private readonly logger?: Logger,
  ) {
    ({ client: this.client, gateway: this.gateway } = connectGateway(config));
    const network = this.gateway.getNetwork(config.channel);
    this.contract = network.getContract(config.chaincode);
    const qscc = network.getContract('qscc');
    this.blocks = new FabricBlocks(
      async (fn, args) => {
        try {
          return await qscc.evaluateTransaction(fn, ...args);
        } catch (err) {
          throw toLedgerError(err);
        }
      },
      config.channel,
      config.chaincode,
    );
  }

  async evaluate(fn: string, args: string[], opts: { transient?: Record<string, string>; endorsingOrganizations?: string[] } = {}): Promise<unknown> {
    try {
      const bytes = await this.contract.evaluate(fn, { arguments: args, transientData: opts.transient, endorsingOrganizations: opts.endorsingOrganizations });
      return decodeResult(bytes);
    } catch (err) {
      throw toLedgerError(err);
    }
  }

  async submit(fn: string, args: string[], opts: SubmitOptions = {}): Promise<SubmitResult> {
    let tx: Transaction | undefined;
    try {
      tx = await this.contract.newProposal(fn, { arguments: args, transientData: opts.transient, endorsingOrganizations: opts.endorsingOrganizations }).endorse();
      return await this.commit(tx);
    } catch (err) {
      throw toLedgerError(err, tx?.getTransactionId());
    }
  }

  private async commit(tx: Transaction): Promise<SubmitResult> {
    const submitted = await tx.submit();
    const status = await submitted.getStatus();
    if (!status.successful) {
      const err = Object.assign(new Error(`Transaction ${status.transactionId} failed to commit with status code ${status.code}`), {
        name: 'CommitError',
        code: status.code,
        transactionId: status.transactionId,
      });
      throw err;
    }
    return { txId: tx.getTransactionId(), result: decodeResult(tx.getResult()), blockNumber: Number(status.blockNumber) };
  }

  /**
   * Exactly-once for the outbox: the endorsed, prepared transaction is saved before it is
   * sent, and a retry re-sends those same bytes (same tx id), whose commit status the peer
   * reports whether it was this send or an earlier one that landed. A transaction that
   * failed validation (MVCC) is dropped, so the retry endorses afresh.
   */
  async submitOutboxRow(row: OutboxRow, _deterministicTxId: string, savePrepared: (prepared: Buffer | null, txId: string | null) => Promise<void>): Promise<SubmitResult> {
    let tx: Transaction | undefined;
    try {
      if (row.prepared && row.prepared.length) {
        tx = this.gateway.newTransaction(new Uint8Array(row.prepared));
      } else {
        tx = await this.contract.newProposal(row.fn, { arguments: row.args, transientData: row.transient ?? undefined }).endorse();
        await savePrepared(Buffer.from(tx.getBytes()), tx.getTransactionId());
      }
      return await this.commit(tx);
    } catch (err) {
      const e = toLedgerError(err, tx?.getTransactionId());
      if (e.code === 'mvcc_conflict') await savePrepared(null, null);
      this.logger?.debug({ err: e.message, code: e.code, outboxId: row.id }, 'fabric submit failed');
      throw e;
    }
  }

  async close(): Promise<void> {
    this.gateway.close();
    this.client.close();
  }
}
