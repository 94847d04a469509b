// This node's vote on a dispute it reviews: once, signed by its ledger identity, submitted
// after commit; the request waits a little for the ledger to record it.
import type { User } from '../accounts/service.js';
import { conflict, forbidden, notFound } from '../http/errors.js';
import type { DisputesDeps } from './deps.js';
import { ledgerRecord, refresh } from './record.js';
import type { Decision } from './types.js';

export type VoteStatus = 'recorded' | 'refused' | 'pending';

/** Submits the vote; 'recorded' when the ledger has it, 'pending' while it has not answered yet. */
export async function castVote(d: DisputesDeps, disputeId: string, user: User, input: { decision: Decision; reason: string }): Promise<'recorded' | 'pending'> {
  if (!(await d.store.row(disputeId))) throw notFound('Dispute');
  const rec = await ledgerRecord(d, disputeId);
  if (!rec) throw conflict('not_on_ledger', 'The dispute is not on the ledger yet; try again shortly');
  const seat = rec.reviewers.find((r) => r.nodeId === d.nodeId);
  if (!seat) throw forbidden('This node is not an assigned reviewer of this dispute');
  if (rec.status !== 'open') throw conflict('dispute_decided', `The dispute is already decided (${rec.decision})`);
  if (seat.vote) throw conflict('already_voted', 'This node has already voted on this dispute');
  const reason = input.reason.trim().slice(0, d.settings.maxReasonLength);
  const reviewer = d.nodeId;
  const outboxId = await d.ctx.db.transaction(async (t) => {
    if (!(await d.store.insertVote({ disputeId, reviewer, decision: input.decision, reason, userId: user.id }, t))) {
      throw conflict('already_voted', 'This node has already voted on this dispute');
    }
    const id = await d.ledger.enqueueSubmit(t, 'DisputeContract:vote', [JSON.stringify({ disputeId, reviewer, decision: input.decision, reason })]);
    await d.store.setVoteOutbox(disputeId, reviewer, id, t);
    d.changedAfterCommit(t, disputeId);
    return id;
  });
  d.log.info({ disputeId, decision: input.decision }, 'vote submitted');
  const status = await settleVote(d, disputeId, outboxId, d.settings.voteWaitMs);
  if (status === 'refused') {
    const v = await d.store.vote(disputeId, reviewer);
    throw conflict('vote_refused', `The ledger refused the vote: ${v?.error ?? 'refused'}`);
  }
  await refresh(d, disputeId).catch(() => undefined);
  return status;
}

/** Follows a vote's outbox row: recorded, refused by the contract, or still pending. */
export async function settleVote(d: DisputesDeps, disputeId: string, outboxId: string, waitMs: number): Promise<VoteStatus> {
  try {
    await d.ledger.waitForOutbox(outboxId, waitMs);
    await d.store.settleVote(disputeId, d.nodeId, 'recorded');
    return 'recorded';
  } catch (err) {
    if ((err as { code?: string }).code !== 'chaincode') return 'pending';
    await d.store.settleVote(disputeId, d.nodeId, 'refused', (err as Error).message.slice(0, 1000));
    return 'refused';
  }
}
