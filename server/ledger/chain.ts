// The hash chain of the transaction log: how a block's hash is computed, and the walk
// that recomputes every link and reports the first broken one.
import { sha256 } from './stub.js';
import type * as api from '../../shared/api/index.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface TxRow {
  block_number: string | number;
  tx_id: string;
  channel: string;
  fn: string;
  args: string;
  args_hash: string;
  rwset: string;
  events: string;
  result: string;
  creator_msp: string;
  creator_id: string;
  tx_timestamp: Date | string;
  prev_hash: string;
  hash: string;
}

export const argsHashOf = (argsJson: string) => sha256(argsJson);

/** The block hash over every recorded field, in a fixed order. */
export function blockHash(row: Omit<TxRow, 'hash'>): string {
  return sha256(
    JSON.stringify([
      Number(row.block_number),
      row.tx_id,
      row.channel,
      row.fn,
      row.args_hash,
      sha256(row.rwset),
      sha256(row.events),
      sha256(row.result),
      row.creator_msp,
      row.creator_id,
      new Date(row.tx_timestamp).toISOString(),
      row.prev_hash,
    ]),
  );
}

export type VerifyReport = api.LedgerVerifyReport;

/** Checks one row against the previous hash; returns the reason it is broken, if it is. */
export function checkRow(row: TxRow, expectedBlock: number, prevHash: string): string | undefined {
  if (Number(row.block_number) !== expectedBlock) return `block number gap: expected ${expectedBlock}, found ${row.block_number}`;
  if (row.prev_hash !== prevHash) return 'previous hash does not match the hash of the block before';
  if (argsHashOf(row.args) !== row.args_hash) return 'arguments do not match their recorded hash';
  if (blockHash(row) !== row.hash) return 'block contents do not match the block hash';
  return undefined;
}
