// The ledger's DisputeContract is the source of truth for reviewers, votes and outcome:
// reading its record and history, and mirroring the record on this node.
import type { DisputesDeps } from './deps.js';
import type { LedgerDispute, LedgerStep } from './types.js';

export async function ledgerRecord(d: DisputesDeps, id: string): Promise<LedgerDispute | null> {
  const r = await d.ledger.evaluate('DisputeContract:get', [id]);
  return (r as LedgerDispute | null) ?? null;
}

export async function ledgerHistory(d: DisputesDeps, id: string): Promise<LedgerStep[]> {
  return ((await d.ledger.evaluate('DisputeContract:history', [id])) as LedgerStep[] | null) ?? [];
}

/** Reads the ledger record and mirrors it locally. */
export async function refresh(d: DisputesDeps, id: string): Promise<LedgerDispute | null> {
  const rec = await ledgerRecord(d, id);
  if (rec) await d.store.mirrorRecord(id, rec);
  return rec;
}
