// The reporting node's care for its reviewers: a Flag to each reviewer node once, and a late
// seat given to the next node the contract picks.
import type { DisputesDeps } from './deps.js';
import { sendFlag } from './send-flag.js';
import type { DisputeRow, LedgerDispute } from './types.js';

const REPLACE_BACKOFF_MS = 3_600_000;

/** Seats whose deadline passed without a vote go to the next node the contract picks. */
export async function replaceLate(d: DisputesDeps, id: string, rec: LedgerDispute): Promise<boolean> {
  const now = Date.now();
  let replaced = false;
  for (const seat of rec.reviewers) {
    if (seat.vote || Date.parse(seat.deadline) >= now) continue;
    const key = `${id}\u0000${seat.nodeId}`;
    if ((d.replaceBackoff.get(key) ?? 0) > now) continue;
    const outboxId = await d.ctx.db.transaction((t) => d.ledger.enqueueSubmit(t, 'DisputeContract:replaceReviewer', [JSON.stringify({ disputeId: id, reviewer: seat.nodeId })]));
    try {
      await d.ledger.waitForOutbox(outboxId, 15_000);
      replaced = true;
      d.log.info({ disputeId: id, reviewer: seat.nodeId }, 'late reviewer replaced');
    } catch (err) {
      d.replaceBackoff.set(key, now + REPLACE_BACKOFF_MS);
      d.log.warn({ err, disputeId: id, reviewer: seat.nodeId }, 'reviewer could not be replaced');
    }
  }
  return replaced;
}

/** Sends the Flag to every reviewer node (other than this one) not notified yet. */
export async function notifyReviewers(d: DisputesDeps, row: DisputeRow, rec: LedgerDispute): Promise<void> {
  const others = rec.reviewers.filter((r) => r.nodeId !== d.nodeId && !r.vote);
  for (const seat of others) {
    try {
      await d.ctx.db.transaction(async (t) => {
        if (!(await d.store.claimNotification(row.id, seat.nodeId, t))) return;
        const sent = await sendFlag(d.federation, t, {
          disputeId: row.id,
          disputeUri: d.disputeUri(row.id),
          reviewer: seat.nodeId,
          month: rec.month,
          subject: rec.subject,
          amount: rec.amount,
          currency: row.currency,
          evidenceHash: rec.evidenceHash,
          deadline: seat.deadline,
          evidence: row.evidence,
        });
        await d.store.setNotificationUri(row.id, seat.nodeId, sent.uri, t);
      });
    } catch (err) {
      d.log.warn({ err, disputeId: row.id, reviewer: seat.nodeId }, 'reviewer could not be notified; retried on the next tick');
    }
  }
}
