// The disputes service: what the routes, the tick job and federation's Flag port call. Each
// use case lives in its own module (open, vote, reviewers, outcome, tick, queries); the
// ledger's DisputeContract is the source of truth for reviewers, votes and outcome, and
// this node's tables (store.ts) keep what must stay here (holds, parties, local work done).
import type { NodeContext } from '../context.js';
import type { User } from '../accounts/service.js';
import type { DisputesApi } from './contract.js';
import { DisputesDeps } from './deps.js';
import { autoOpen, openDispute } from './open.js';
import { isDisputeFlag, receiveFlag } from './process-flag.js';
import { apObject, canSee, detailOf, disputesOf, reviewQueue } from './queries.js';
import { ledgerHistory, ledgerRecord } from './record.js';
import { tick } from './tick.js';
import type { Decision, DisputeDetail, DisputeSummary, LedgerDispute, LedgerStep, OpenInput, ReviewQueueItem } from './types.js';
import { castVote } from './vote.js';

export class DisputesService implements DisputesApi {
  private readonly d: DisputesDeps;

  constructor(ctx: NodeContext) {
    this.d = new DisputesDeps(ctx);
  }

  /** This node's identity on the ledger (its instance actor URI). */
  get nodeId(): string {
    return this.d.nodeId;
  }

  /** Opens a dispute about this node's figures and records it on the ledger (after commit). */
  async open(input: OpenInput): Promise<DisputeDetail> {
    const id = await openDispute(this.d, input);
    return (await this.detail(id, { full: true }))!;
  }

  /** Opens a dispute for each artist and month whose held money exceeds the threshold. */
  autoOpen(): Promise<string[]> {
    return autoOpen(this.d);
  }

  isDisputeFlag(activity: Record<string, unknown>): boolean {
    return isDisputeFlag(activity);
  }

  /**
   * A Flag from another node asking this node to review (federation's inbox passes the actor
   * whose HTTP signature verified); checked against the ledger before it is recorded.
   */
  receiveFlag(activity: unknown, verifiedActorUri: string): Promise<{ disputeId: string; created: boolean }> {
    return receiveFlag(this.d, activity, verifiedActorUri);
  }

  /** This node's vote, signed by its ledger identity; once per dispute. */
  async vote(disputeId: string, user: User, input: { decision: Decision; reason: string }): Promise<{ status: 'recorded' | 'pending'; dispute: DisputeDetail }> {
    const status = await castVote(this.d, disputeId, user, input);
    return { status, dispute: (await this.detail(disputeId, { full: true }))! };
  }

  /** The `disputes.tick` job: one dispute, or every unfinished one (and automatic openings). */
  tick(disputeId?: string): Promise<{ processed: number; opened: number }> {
    return tick(this.d, disputeId);
  }

  ledgerRecord(id: string): Promise<LedgerDispute | null> {
    return ledgerRecord(this.d, id);
  }

  ledgerHistory(id: string): Promise<LedgerStep[]> {
    return ledgerHistory(this.d, id);
  }

  detail(id: string, opts: { full: boolean }): Promise<DisputeDetail | undefined> {
    return detailOf(this.d, id, opts);
  }

  canSee(id: string, user: User): Promise<'full' | 'party' | null> {
    return canSee(this.d, id, user);
  }

  reviewQueue(opts: { state: 'pending' | 'all'; limit: number; offset: number }): Promise<{ total: number; items: ReviewQueueItem[] }> {
    return reviewQueue(this.d, opts);
  }

  mine(userId: string): Promise<DisputeSummary[]> {
    return disputesOf(this.d, userId);
  }

  apObject(id: string): Promise<Record<string, unknown> | undefined> {
    return apObject(this.d, id);
  }
}
