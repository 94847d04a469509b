// Which engine serves which node context (several nodes may share one process in tests).
import type { NodeContext } from '../context.js';
import type { Ledger } from './types.js';

const engines = new WeakMap<NodeContext, Ledger>();

export function setLedgerEngine(ctx: NodeContext, engine: Ledger): void {
  engines.set(ctx, engine);
}

/** The engine behind a node's ledger service (auditor routes, CLI). */
export function ledgerEngine(ctx: NodeContext): Ledger {
  const e = engines.get(ctx);
  if (!e) throw new Error('ledger capability not initialised');
  return e;
}
