// The transaction log of the fabric engine: the peer's own blocks, read through the
// Gateway from the query system chaincode `qscc` (GetChainInfo, GetBlockByNumber,
// GetTransactionByID, GetBlockByTxID) and decoded here. Lists the configured chaincode's
// transactions with their validation codes, reads one with its read/write set, and
// verifies the chain with Fabric's own hashes.
import protos from '@hyperledger/fabric-protos';
import { argsHashOf, type VerifyReport } from './chain.js';
import { blockDataHash } from './fabric-block-hash.js';
import { decodeBlock, decodeEnvelope, eventsOf, readWriteSetOf, resultOf, validationCodeName, type DecodedBlock, type DecodedTransaction } from './fabric-block-decode.js';
import { LedgerError } from './types.js';
import type { TransactionLog, TxDetail, TxFilter, TxSummary } from './audit.js';

const { common, peer } = protos;

/** Evaluates a qscc function and returns its raw payload (the FabricLedger maps errors to LedgerError). */
export type QsccQuery = (fn: string, args: string[]) => Promise<Uint8Array>;

/** Blocks fetched ahead while walking the chain. */
const PREFETCH = 8;

/** qscc's refusal for an unknown transaction id: "..., error no such transaction ID [..] in index" (older peers: "Entry not found in index"). */
const NOT_FOUND = /no such transaction|not found/i;

export interface ChainInfo {
  height: number;
  currentBlockHash: Buffer;
  previousBlockHash: Buffer;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class FabricBlocks implements TransactionLog {
  constructor(
    private readonly query: QsccQuery,
    readonly channel: string,
    /** Only this chaincode's transactions are listed (a channel also carries lifecycle and other chaincodes' transactions). */
    readonly chaincode: string,
  ) {}

  async chainInfo(): Promise<ChainInfo> {
    const info = common.BlockchainInfo.deserializeBinary(await this.query('GetChainInfo', [this.channel]));
    return { height: info.getHeight(), currentBlockHash: Buffer.from(info.getCurrentblockhash_asU8()), previousBlockHash: Buffer.from(info.getPreviousblockhash_asU8()) };
  }

  async block(number: number): Promise<DecodedBlock> {
    return decodeBlock(await this.query('GetBlockByNumber', [this.channel, String(number)]));
  }

  /** Blocks from `from` up to (not including) `to`, in order, with a few fetched ahead. */
  private async *blocks(from: number, to: number): AsyncGenerator<DecodedBlock> {
    const ahead: Promise<DecodedBlock>[] = [];
    let next = from;
    const fill = () => {
      while (next < to && ahead.length < PREFETCH) ahead.push(this.block(next++));
    };
    // Keep the queued fetches from being reported as unhandled when the walk stops early.
    try {
      fill();
      while (ahead.length) {
        const block = await ahead.shift()!;
        fill();
        yield block;
      }
    } finally {
      for (const p of ahead) p.catch(() => {});
    }
  }

  /** The chaincode's transactions in block order, filtered and paged like the embedded log. */
  async list(f: TxFilter): Promise<{ total: number; data: TxSummary[] }> {
    const { height } = await this.chainInfo();
    const data: TxSummary[] = [];
    let total = 0;
    for await (const block of this.blocks(f.fromBlock ?? 0, height)) {
      block.data.forEach((entry, i) => {
        const tx = this.invocation(entry);
        if (!tx) return;
        if (f.fn && tx.fn !== f.fn && !tx.fn.startsWith(`${f.fn}:`)) return;
        if (f.creator && tx.creatorId !== f.creator) return;
        if (total >= f.offset && data.length < f.limit) data.push(summaryOf(block, tx, block.validationCodes[i]));
        total++;
      });
    }
    return { total, data };
  }

  /** One transaction with its read/write set, event and result; undefined when the peer has no such id. */
  async get(txId: string): Promise<TxDetail | undefined> {
    const found = await this.transaction(txId);
    if (!found) return undefined;
    const block = decodeBlock(await this.query('GetBlockByTxID', [this.channel, txId]));
    const { tx, code } = found;
    return {
      ...summaryOf(block, tx, code),
      channel: tx.channel,
      argsHash: argsHashOf(JSON.stringify(tx.args)),
      rwset: readWriteSetOf(tx.action, tx.chaincode),
      events: eventsOf(tx.action),
      result: resultOf(tx.action),
    };
  }

  /** A transaction as the peer's index holds it, with its validation code. */
  async transaction(txId: string): Promise<{ tx: DecodedTransaction; code: number } | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await this.query('GetTransactionByID', [this.channel, txId]);
    } catch (err) {
      if (err instanceof LedgerError && err.code === 'chaincode' && NOT_FOUND.test(err.message)) return undefined;
      throw err;
    }
    const processed = peer.ProcessedTransaction.deserializeBinary(bytes);
    const envelope = processed.getTransactionenvelope();
    if (!envelope) return undefined;
    return { tx: decodeEnvelope(envelope.serializeBinary()), code: processed.getValidationcode() };
  }

  /**
   * Fabric's chain rules, block by block from the genesis block: the header's number is the
   * block's position, its data_hash is the SHA-256 of the block's envelopes, and its
   * previous_hash is the header hash of the block before; the last header's hash must be
   * the peer's current block hash. Reports the first block that breaks a rule.
   */
  async verify(): Promise<VerifyReport> {
    const info = await this.chainInfo();
    let previous: Buffer | undefined;
    let checked = 0;
    const broken = (block: DecodedBlock, reason: string): VerifyReport => ({
      ok: false,
      blocks: checked,
      lastHash: previous ? hex(previous) : '',
      brokenAt: block.number,
      txId: firstTxId(block),
      reason,
    });
    for await (const block of this.blocks(0, info.height)) {
      if (block.number !== checked) return broken(block, `block number gap: expected ${checked}, found ${block.number}`);
      if (!blockDataHash(block.data).equals(block.dataHash)) return broken(block, 'data hash does not match the block\'s transactions');
      if (previous && !block.previousHash.equals(previous)) return broken(block, 'previous hash does not match the hash of the block before');
      if (checked === info.height - 1 && !block.hash.equals(info.currentBlockHash)) return broken(block, 'the block\'s hash is not the peer\'s current block hash');
      previous = block.hash;
      checked++;
    }
    return { ok: true, blocks: checked, lastHash: previous ? hex(previous) : '' };
  }

  /** The decoded entry when it is an invocation of this chaincode; undefined for config and other chaincodes' transactions. */
  private invocation(entry: Uint8Array): DecodedTransaction | undefined {
    let tx: DecodedTransaction;
    try {
      tx = decodeEnvelope(entry);
    } catch {
      return undefined; // not decodable: verify reports the block
    }
    return tx.chaincode === this.chaincode ? tx : undefined;
  }
}

function summaryOf(block: DecodedBlock, tx: DecodedTransaction, code: number | undefined): TxSummary {
  return {
    blockNumber: block.number,
    txId: tx.txId,
    fn: tx.fn,
    args: tx.args,
    creatorMsp: tx.creatorMsp,
    creatorId: tx.creatorId,
    timestamp: tx.timestamp,
    hash: hex(block.hash),
    prevHash: hex(block.previousHash),
    validationCode: validationCodeName(code),
  };
}

function firstTxId(block: DecodedBlock): string | undefined {
  try {
    return block.data[0] ? decodeEnvelope(block.data[0]).txId || undefined : undefined;
  } catch {
    return undefined;
  }
}
