// The data a recomputation needs, with the fabric engine: public and private state through
// the chaincode's read functions (evaluated on the organisation's peer, so private reads
// succeed only for the node's own organisation), and the close transaction's arguments
// from the peer's blocks.
import type { ReportRow } from '../../shared/money/index.js';
import type { RecomputeSource, Statement } from './audit.js';
import type { FabricBlocks } from './fabric-blocks.js';
import { LedgerError, type Ledger } from './types.js';

const VALID = 0;

/** A refusal by the chaincode (e.g. another organisation reading private data) means "not readable here". */
export async function unlessRefused<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof LedgerError && (err.code === 'chaincode' || err.code === 'unknown_function')) return null;
    throw err;
  }
}

export function chaincodeRecomputeSource(ledger: Pick<Ledger, 'evaluate'>, blocks: Pick<FabricBlocks, 'transaction'>): RecomputeSource {
  const read = async <T>(fn: string, args: string[]) => (await ledger.evaluate(fn, args)) as T;
  const payoutsByArtist = new Map<string, Promise<{ nodeId: string; month: string; amount: number }[]>>();
  return {
    statement: (nodeId, month) => read<Statement | null>('MonthCloseContract:getStatement', [nodeId, month]),
    async transactionArgs(txId) {
      const found = await blocks.transaction(txId);
      return found && found.code === VALID ? found.tx.args : null;
    },
    async reportRows(collection, nodeId, day, version) {
      // getRows serves the current version; a closed month's reports cannot change, so it is the one the statement names unless something is wrong.
      const report = await read<{ version: number; collection: string } | null>('ReportContract:get', [nodeId, day]);
      if (!report || report.version !== version || report.collection !== collection) return null;
      return unlessRefused(read<ReportRow[] | null>('ReportContract:getRows', [nodeId, day]));
    },
    subscriptions: async (nodeId, month) => (await read<{ pseudonym: string; amount: number; status: string }[] | null>('SubscriptionContract:listForMonth', [nodeId, month])) ?? [],
    // The chaincode reads the node organisation's collection, the one the statement names.
    credits: (_collection, nodeId, month) => unlessRefused(read<{ pseudonym: string; amount: number }[]>('SubscriptionContract:listCredits', [nodeId, month])),
    // A chaincode without IncomeContract has no income days.
    income: async (nodeId, month) => (await unlessRefused(read<{ income: { artist: string; tips: number; streams: number }[] }[] | null>('IncomeContract:listForMonth', [nodeId, month]))) ?? [],
    async payout(artist, nodeId, month) {
      let payouts = payoutsByArtist.get(artist);
      if (!payouts) payoutsByArtist.set(artist, (payouts = read<{ nodeId: string; month: string; amount: number }[] | null>('MonthCloseContract:payoutsForArtist', [artist]).then((p) => p ?? [])));
      return (await payouts).find((p) => p.nodeId === nodeId && p.month === month) ?? null;
    },
  };
}
