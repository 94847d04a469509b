// An incoming Flag carrying a 9ten dispute reference: validated here (shape), then checked
// against the ledger by the service (the sender is the dispute's reporting node, this node
// is an assigned reviewer, the evidence hashes to what the ledger recorded).
import { z } from 'zod';

const subject = z.object({ type: z.enum(['reportRow', 'payout']), ref: z.string().min(1).max(2000) });

export const incomingFlagSchema = z
  .object({
    type: z.union([z.string(), z.array(z.string())]).refine((t) => (Array.isArray(t) ? t : [t]).includes('Flag'), 'must be a Flag'),
    disputeRef: z.object({
      id: z.string().url(),
      disputeId: z.string().uuid(),
      month: z.string().regex(/^\d{4}-\d{2}$/),
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
