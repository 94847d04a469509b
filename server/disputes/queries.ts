// Reading disputes: a dispute's page (what parties see, and what admins and auditors see
// more), who may see it, the admins' review queue, a user's disputes and the public object
// reviewer nodes fetch.
import type { User } from '../accounts/service.js';
import type { DisputesDeps } from './deps.js';
import { ledgerHistory } from './record.js';
import type { DisputeDetail, DisputeRow, DisputeSummary, ReviewQueueItem } from './types.js';

const iso = (v: Date) => new Date(v).toISOString();

export function summaryOf(row: DisputeRow, nodeId: string): DisputeSummary {
  const rec = row.record;
  return {
    id: row.id,
    role: row.role,
    reportingNode: row.reporting_node,
    month: row.month,
    subject: { type: row.subject_type, ref: row.subject_ref },
    artist: row.artist,
    amount: Number(row.amount),
    currency: row.currency,
    openedBy: row.opened_by,
    status: row.status,
    decision: row.decision,
    deadline: rec?.reviewers.find((r) => r.nodeId === nodeId)?.deadline ?? rec?.deadline ?? null,
    reviewers: (rec?.reviewers ?? []).map((r) => ({ nodeId: r.nodeId, role: r.role, deadline: r.deadline, voted: Boolean(r.vote), decision: r.vote?.decision ?? null })),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    appliedAt: row.applied_at ? iso(row.applied_at) : null,
    error: row.error,
  };
}

/** A dispute as this node knows it; `full` adds evidence, this node's seat, holds and the ledger history. */
export async function detailOf(d: DisputesDeps, id: string, opts: { full: boolean }): Promise<DisputeDetail | undefined> {
  const row = await d.store.row(id);
  if (!row) return undefined;
  const out: DisputeDetail = { ...summaryOf(row, d.nodeId), evidenceHash: row.evidence_hash };
  if (!opts.full) return out;
  out.evidence = row.evidence;
  out.myReview = await myReview(d, row);
  if (row.role === 'reporting') out.holds = await d.store.holdsOf(id);
  out.history = await ledgerHistory(d, id).catch(() => []);
  return out;
}

/** This node's seat and vote (as submitted here, or as the ledger has it). */
async function myReview(d: DisputesDeps, row: DisputeRow): Promise<DisputeDetail['myReview']> {
  const seat = row.record?.reviewers.find((r) => r.nodeId === d.nodeId);
  if (!seat) return null;
  const mine = await d.store.vote(row.id, d.nodeId);
  const vote = mine
    ? { decision: mine.decision, reason: mine.reason, status: mine.status }
    : seat.vote
      ? { decision: seat.vote.decision, reason: seat.vote.reason, status: 'recorded' }
      : null;
  return { reviewer: seat.nodeId, deadline: seat.deadline, vote };
}

/** Whether a user may see a dispute: admins and auditors always, parties their own. */
export async function canSee(d: DisputesDeps, id: string, user: User): Promise<'full' | 'party' | null> {
  if (user.role === 'admin' || user.role === 'auditor') return 'full';
  return (await d.store.isParty(id, user.id)) ? 'party' : null;
}

/** The admins' review queue: disputes where this node holds a seat (pending first), newest first. */
export async function reviewQueue(d: DisputesDeps, opts: { state: 'pending' | 'all'; limit: number; offset: number }): Promise<{ total: number; items: ReviewQueueItem[] }> {
  const { total, rows } = await d.store.reviewQueue(d.nodeId, opts);
  return { total, items: rows.map((r) => ({ ...summaryOf(r, d.nodeId), myVote: r.my_vote, evidence: r.evidence })) };
}

/** The disputes a user is party to (opened, or about their listening or payouts). */
export async function disputesOf(d: DisputesDeps, userId: string): Promise<DisputeSummary[]> {
  return (await d.store.ofParty(userId)).map((r) => summaryOf(r, d.nodeId));
}

/** The public ActivityPub view of a dispute (no evidence: that goes to reviewers only). */
export async function apObject(d: DisputesDeps, id: string): Promise<Record<string, unknown> | undefined> {
  const row = await d.store.row(id);
  if (!row || row.role !== 'reporting') return undefined;
  return {
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: d.disputeUri(id),
    type: 'Object',
    name: `Dispute ${row.subject_type} ${row.subject_ref}`,
    attributedTo: row.reporting_node,
    disputeId: row.id,
    month: row.month,
    subject: { type: row.subject_type, ref: row.subject_ref },
    amount: Number(row.amount),
    currency: row.currency,
    evidenceHash: row.evidence_hash,
    status: row.status,
    decision: row.decision,
  };
}
