// An incoming Flag carrying a 9ten dispute reference (federation hands it over through its
// FlagReceiver port, with the actor whose HTTP signature verified): its shape is validated,
// then it is checked against the ledger (the sender is the dispute's reporting node, this
// node is an assigned reviewer, the evidence hashes to what the ledger recorded).
import { z } from 'zod';
import { badRequest, forbidden, notFound } from '../http/errors.js';
import { monthSchema } from '../http/month.js';
import type { DisputesDeps } from './deps.js';
import { evidenceHash } from './evidence.js';
import { ledgerRecord } from './record.js';
import { notifyReviewRequested } from './notify.js';

const subject = z.object({ type: z.enum(['reportRow', 'payout']), ref: z.string().min(1).max(2000) });

export const incomingFlagSchema = z
  .object({
    type: z.union([z.string(), z.array(z.string())]).refine((t) => (Array.isArray(t) ? t : [t]).includes('Flag'), 'must be a Flag'),
    disputeRef: z.object({
      id: z.string().url(),
      disputeId: z.string().uuid(),
      month: monthSchema,
      subject,
      amount: z.number().int().min(0),
      currency: z.string().regex(/^[A-Z]{3,5}$/),
      evidenceHash: z.string().regex(/^[0-9a-f]{64}$/),
      deadline: z.string().optional(),
      evidence: z.record(z.string(), z.unknown()),
    }),
  })
  .passthrough();

export type IncomingFlag = z.infer<typeof incomingFlagSchema>;

/** True when an activity is a Flag that carries a 9ten dispute (others are moderation reports). */
export function isDisputeFlag(activity: unknown): boolean {
  const a = activity as { type?: unknown; disputeRef?: unknown } | null;
  if (!a || typeof a !== 'object' || !a.disputeRef) return false;
  const types = Array.isArray(a.type) ? a.type : [a.type];
  return types.includes('Flag');
}

/** Records a review request that the ledger confirms; `created` is false when it was known already. */
export async function receiveFlag(d: DisputesDeps, activity: unknown, verifiedActorUri: string): Promise<{ disputeId: string; created: boolean }> {
  const parsed = incomingFlagSchema.safeParse(activity);
  if (!parsed.success) throw badRequest('invalid_flag', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const ref = parsed.data.disputeRef;
  const rec = await ledgerRecord(d, ref.disputeId);
  if (!rec) throw notFound('Dispute on the ledger');
  if (rec.nodeId !== verifiedActorUri) throw forbidden("Only the dispute's reporting node may ask for its review");
  if (!rec.reviewers.some((r) => r.nodeId === d.nodeId)) throw forbidden('This node is not a reviewer of that dispute');
  if (evidenceHash(ref.evidence) !== rec.evidenceHash || ref.evidenceHash !== rec.evidenceHash) {
    throw badRequest('evidence_mismatch', 'The evidence does not hash to what the ledger recorded');
  }
  if (ref.amount !== rec.amount || ref.month !== rec.month) throw badRequest('evidence_mismatch', 'The dispute reference does not match the ledger');
  const artist = typeof ref.evidence.artist === 'string' ? ref.evidence.artist : null;
  const created = await d.store.insertReviewer({ record: rec, artist, currency: ref.currency, evidence: ref.evidence });
  if (created) {
    d.log.info({ disputeId: rec.disputeId, from: verifiedActorUri }, 'dispute review requested');
    d.changed(rec.disputeId);
    await notifyReviewRequested(d, rec.disputeId, rec.month, verifiedActorUri);
  }
  return { disputeId: rec.disputeId, created };
}
