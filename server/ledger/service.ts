// The ledger service other capabilities use: submit and evaluate chaincode functions,
// and record writes in the outbox inside their own database transaction.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import type { Outbox } from './outbox.js';
import { LedgerError, type Ledger } from './types.js';
import type { InvestmentFiguresPort, LedgerApi } from './contract.js';

/** The ledger's contract as others see it (server/ledger/contract.ts). */
export type LedgerService = LedgerApi;

export class DefaultLedgerService implements LedgerApi {
  /** The node's campaign figures (money's, through the port node.ts wires); unset on a node without money. */
  investmentFigures?: InvestmentFiguresPort;

  constructor(
    readonly ledger: Ledger,
    readonly outbox: Outbox,
    readonly nodeId: string,
    readonly mspId: string,
    private readonly mvccRetries: number,
    /** Whether the chaincode has a function (embedded: asked of the loaded contracts; Fabric: assumed). */
    readonly has: (fn: string) => boolean,
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

  useInvestmentFigures(port: InvestmentFiguresPort): void {
    this.investmentFigures = port;
  }
}
