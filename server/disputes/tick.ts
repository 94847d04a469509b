// The `disputes.tick` job: moves one dispute on (after opening and after each vote), or
// sweeps every unfinished one and opens the automatic ones.
import { AppError } from '../http/errors.js';
import type { DisputesDeps } from './deps.js';
import { notifyDisputeOpened, notifyDisputeRefused } from './notify.js';
import { autoOpen } from './open.js';
import { applyOutcome } from './outcome.js';
import { ledgerRecord, refresh } from './record.js';
import { notifyReviewers, replaceLate } from './reviewers.js';
import type { DisputeRow } from './types.js';
import { settleVote } from './vote.js';

export async function tick(d: DisputesDeps, disputeId?: string): Promise<{ processed: number; opened: number }> {
  const opened = disputeId ? 0 : (await autoOpen(d)).length;
  const ids = disputeId ? [disputeId] : await d.store.unfinishedIds();
  let failed: unknown;
  for (const id of ids) {
    try {
      await processDispute(d, id);
    } catch (err) {
      failed ??= err;
      d.log.warn({ err, disputeId: id }, 'dispute tick failed');
    }
  }
  // A single dispute's failure is retried by the queue; the sweep goes on with the others.
  if (failed && disputeId) throw failed;
  return { processed: ids.length, opened };
}

async function processDispute(d: DisputesDeps, id: string): Promise<void> {
  const row = await d.store.row(id);
  if (!row || row.status === 'refused' || row.status === 'applied') return;
  if (row.role === 'reviewer') return followAsReviewer(d, id);
  if (row.status === 'opening') {
    if (await notOnLedger(d, row)) return;
    // On the ledger: now its parties hear of it (before, the ledger could still refuse it).
    await notifyDisputeOpened(d, row);
  }
  let rec = await refresh(d, id);
  if (!rec) return;
  if (rec.status === 'open') {
    if (await replaceLate(d, id, rec)) rec = (await refresh(d, id)) ?? rec;
    await notifyReviewers(d, row, rec);
  }
  if (rec.status === 'decided') await applyOutcome(d, id, rec);
}

/** A reviewer node settles its pending vote and follows the outcome from the ledger. */
async function followAsReviewer(d: DisputesDeps, id: string): Promise<void> {
  const vote = await d.store.vote(id, d.nodeId);
  if (vote?.status === 'pending' && vote.outbox_id) await settleVote(d, id, vote.outbox_id, 0);
  await refresh(d, id);
}

/**
 * An opening dispute: true when it is not on the ledger and will not be on this run (its open
 * is not queued, or the ledger refused it: recorded as refused); throws while the open is on
 * its way. When the open landed between the read and the outbox check it answers false, so
 * the reviewers are notified now and not at the next sweep.
 */
async function notOnLedger(d: DisputesDeps, row: DisputeRow): Promise<boolean> {
  if (await ledgerRecord(d, row.id)) return false;
  if (!row.open_outbox_id) return true;
  try {
    await d.ledger.waitForOutbox(row.open_outbox_id, 0);
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== 'chaincode') throw new AppError(503, 'ledger_pending', `dispute ${row.id} is not on the ledger yet`);
    await refuse(d, row, (err as Error).message);
    return true;
  }
}

/** The ledger refused to open the dispute (e.g. too few nodes): its holds are free again; who opened it is told. */
async function refuse(d: DisputesDeps, row: DisputeRow, message: string): Promise<void> {
  await d.ctx.db.transaction(async (t) => {
    await d.store.refuse(row.id, message, t);
    d.changed(row.id, t);
  });
  d.log.warn({ disputeId: row.id, reason: message }, 'ledger refused to open the dispute');
  await notifyDisputeRefused(d, row, message);
}
