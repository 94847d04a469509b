// A decided dispute applied on the reporting node: each held share released to its artist or
// voided back (money), its held listens counted or rejected (listening), then recorded here
// and on the ledger. Every step may run again after a crash without moving anything twice.
import { AppError } from '../http/errors.js';
import type { DisputesDeps } from './deps.js';
import type { PendingHold } from './store.js';
import type { Decision, LedgerDispute } from './types.js';
import { notifyDisputeDecided } from './notify.js';

export async function applyOutcome(d: DisputesDeps, id: string, rec: LedgerDispute): Promise<void> {
  const decision = rec.decision!;
  const holds = await d.store.pendingHolds(id);
  for (const h of holds) await applyToHold(d, id, h, decision);
  const totals = await d.store.holdTotals(id);
  const recordApplied = d.ledger.has('DisputeContract:recordApplied');
  await d.ctx.db.transaction(async (t) => {
    if ((await d.store.lockStatus(id, t)) === 'applied') return;
    const outboxId = recordApplied
      ? await d.ledger.enqueueSubmit(t, 'DisputeContract:recordApplied', [JSON.stringify({ disputeId: id, nodeId: d.nodeId, decision, amount: totals.amount, holds: totals.holds })])
      : null;
    await d.store.markApplied(id, decision, outboxId, t);
    d.changed(id, t);
  });
  d.log.info({ disputeId: id, decision, holds: holds.length }, 'dispute outcome applied');
  await notifyDisputeDecided(d, id, decision);
}

async function applyToHold(d: DisputesDeps, disputeId: string, h: PendingHold, decision: Decision): Promise<void> {
  const status = await resolveHold(d, h.hold_id, decision === 'release' ? 'release' : d.settings.voidPolicy);
  const listenDecision = decision === 'release' ? 'counted' : 'rejected';
  for (const listenId of h.listen_ids ?? []) await resolveListen(d, listenId, listenDecision);
  await d.store.markHoldApplied(disputeId, h.hold_id, status);
}

/** Money moves a hold once; a retry after a crash finds it resolved, and that is done when it went this way. */
async function resolveHold(d: DisputesDeps, holdId: string, how: 'release' | 'refund'): Promise<'released' | 'refunded'> {
  const want = how === 'release' ? 'released' : 'refunded';
  try {
    return await d.money.resolveHold(holdId, how);
  } catch (err) {
    if (err instanceof AppError && err.code === 'hold_resolved' && err.details?.status === want) return want;
    throw err;
  }
}

async function resolveListen(d: DisputesDeps, listenId: string, decision: 'counted' | 'rejected'): Promise<void> {
  try {
    await d.listening.resolveHeldListen(listenId, decision);
  } catch (err) {
    // No longer held: an earlier run of the same outcome resolved it.
    if (err instanceof AppError && err.code === 'not_held') return;
    throw err;
  }
}
