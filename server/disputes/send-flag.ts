// Flag: the reporting node asks a reviewer node to review a dispute. A Flag (what
// Mastodon and others send for reports) from the instance actor to the reviewer node's
// instance actor, carrying the dispute reference and its anonymized evidence.
import type { Transaction } from 'sequelize';
import type { FederationApi } from '../federation/contract.js';
import { AppError } from '../http/errors.js';
import type { Evidence } from './evidence.js';

export interface FlagInput {
  disputeId: string;
  disputeUri: string;
  reviewer: string;
  month: string;
  subject: { type: 'reportRow' | 'payout'; ref: string };
  amount: number;
  currency: string;
  evidenceHash: string;
  deadline: string;
  evidence: Evidence;
}

export function flagActivity(input: FlagInput): Record<string, unknown> {
  return {
    type: 'Flag',
    object: input.disputeUri,
    to: [input.reviewer],
    content: `Dispute review requested: ${input.subject.type} ${input.subject.ref} for ${input.month}, ${input.amount} ${input.currency} at stake; vote by ${input.deadline}.`,
    published: new Date().toISOString(),
    disputeRef: {
      type: 'Dispute',
      id: input.disputeUri,
      disputeId: input.disputeId,
      month: input.month,
      subject: input.subject,
      amount: input.amount,
      currency: input.currency,
      evidenceHash: input.evidenceHash,
      deadline: input.deadline,
      evidence: input.evidence,
    },
  };
}

/** Queues the Flag from this node's instance actor, delivered after `t` commits (503 when the reviewer has no inbox). */
export async function sendFlag(federation: FederationApi, t: Transaction, input: FlagInput): Promise<{ uri: string }> {
  const sent = await federation.sendFromInstance(t, input.reviewer, flagActivity(input));
  if (sent.inboxes === 0) throw new AppError(503, 'reviewer_unreachable', `No inbox found for reviewer ${input.reviewer}`);
  return { uri: sent.uri };
}
