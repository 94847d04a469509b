// The shapes of a dispute: as the ledger records it, as this node stores it, and as the API
// shows it.
import type { User } from '../accounts/service.js';
import type { Evidence } from './evidence.js';
import type * as api from '../../shared/api/index.js';

export type Decision = 'release' | 'void';
export type OpenedBy = 'auto' | 'artist' | 'listener' | 'admin';
export type DisputeStatus = 'opening' | 'open' | 'decided' | 'applied' | 'refused';

export interface Subject {
  type: 'reportRow' | 'payout';
  ref: string;
}

/** The DisputeContract's record, as far as this node reads it. */
export interface LedgerDispute {
  disputeId: string;
  nodeId: string;
  cluster: string;
  month: string;
  subject: Subject;
  amount: number;
  evidenceHash: string;
  deadline: string;
  status: 'open' | 'decided';
  decision: Decision | null;
  reviewers: {
    nodeId: string;
    role: 'reporting' | 'cluster' | 'other';
    organisation: string;
    assignedAt: string;
    deadline: string;
    vote: { decision: Decision; reason: string; at: string; txId: string } | null;
  }[];
  replaced: string[];
  openedAt: string;
  decidedAt: string | null;
  applied?: unknown;
}

export type LedgerStep = api.LedgerDisputeStep;

/** A row of the `disputes` table. */
export interface DisputeRow {
  id: string;
  role: 'reporting' | 'reviewer';
  reporting_node: string;
  month: string;
  subject_type: Subject['type'];
  subject_ref: string;
  artist: string | null;
  amount: string;
  currency: string;
  evidence: Evidence;
  evidence_hash: string;
  opened_by: OpenedBy | 'remote';
  opened_by_user: string | null;
  status: DisputeStatus;
  decision: Decision | null;
  record: LedgerDispute | null;
  error: string | null;
  open_outbox_id: string | null;
  applied_outbox_id: string | null;
  created_at: Date;
  updated_at: Date;
  applied_at: Date | null;
}

export type DisputeSummary = api.DisputeSummary;

export type DisputeDetail = api.Dispute;

export interface OpenInput {
  by: OpenedBy;
  month: string;
  /** The artist's actor URI (automatic and admin openings; an artist with several channels). */
  artist?: string;
  /** Admin opening about one listener's shares. */
  listenerId?: string;
  subject?: Subject['type'];
  reason?: string;
  user?: User;
}

export type ReviewQueueItem = api.DisputeReview;
