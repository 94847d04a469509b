// DisputeContract: "three eyes" review of a contested figure. Three reviewers are chosen
// deterministically from the registry; two of three decide; every step is kept as history.
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { callerMsp, checkMonth, getJson, int, KEY, listJson, oneOf, ok, parseJsonArg, putJson, str, txTime } from './lib/ledger.js';
import { allNodes, NodeRecord, requireNode, requireNodeCaller } from './lib/registry.js';
import { disputeIdOf } from './vendor/money/dispute-id.js';
import { compareKeys, sha256Hex } from './vendor/money/index.js';

const DAY_MS = 86_400_000;
const DEFAULT_DEADLINE_DAYS = 7;

export type ReviewerRole = 'reporting' | 'cluster' | 'other';
export type Decision = 'release' | 'void';

export interface ReviewerRecord {
  nodeId: string;
  role: ReviewerRole;
  organisation: string;
  assignedAt: string;
  deadline: string;
  vote: { decision: Decision; reason: string; at: string; txId: string } | null;
}

export interface DisputeRecord {
  disputeId: string;
  nodeId: string;
  cluster: string;
  month: string;
  subject: { type: 'reportRow' | 'payout'; ref: string };
  amount: number;
  evidenceHash: string;
  deadlineDays: number;
  /** Set when the dispute was opened with `deadlineSeconds` (it then wins over deadlineDays). */
  deadlineSeconds?: number;
  deadline: string;
  status: 'open' | 'decided';
  decision: Decision | null;
  reviewers: ReviewerRecord[];
  /** nodes that were assigned once and replaced (never chosen again) */
  replaced: string[];
  openedAt: string;
  openedBy: string;
  decidedAt: string | null;
  /** The reporting node's account of applying the decision to its books (recordApplied), once. */
  applied?: AppliedRecord;
  steps: number;
  txId: string;
}

export interface AppliedRecord {
  nodeId: string;
  decision: Decision;
  amount: number;
  holds: number;
  at: string;
  txId: string;
}

export interface DisputeStep {
  disputeId: string;
  seq: number;
  step: 'opened' | 'assigned' | 'voted' | 'replaced' | 'decided' | 'applied';
  at: string;
  txId: string;
  detail: Record<string, unknown>;
}

/** Candidates for a reviewer role, in the dispute's deterministic order: sha256(disputeId + nodeId), then nodeId. */
export function reviewerOrder(disputeId: string, nodes: readonly NodeRecord[]): NodeRecord[] {
  return nodes
    .map((n) => ({ n, rank: sha256Hex(disputeId + n.nodeId) }))
    .sort((a, b) => compareKeys(a.rank, b.rank) || compareKeys(a.n.nodeId, b.n.nodeId))
    .map((x) => x.n);
}

/** The nodes that may sit in a `role` seat, in the order of `nodes`. */
function candidates(role: ReviewerRole, reporting: NodeRecord, nodes: readonly NodeRecord[]): NodeRecord[] {
  if (role === 'other') return nodes.filter((n) => n.cluster !== reporting.cluster);
  return nodes.filter((n) => n.cluster === reporting.cluster && n.nodeId !== reporting.nodeId);
}

/**
 * The first of the (ordered) candidates whose organisation holds none of the other seats: the three
 * seats always belong to three different organisations, so no organisation alone can reach two votes.
 */
function seatFor(candidates: readonly NodeRecord[], seatedOrgs: ReadonlySet<string>, used: ReadonlySet<string> = new Set()): NodeRecord | undefined {
  return candidates.find((n) => !seatedOrgs.has(n.organisation) && !used.has(n.nodeId));
}

function orgList(orgs: ReadonlySet<string>): string {
  return [...orgs].sort(compareKeys).join(', ');
}

async function addStep(ctx: Context, dispute: DisputeRecord, step: DisputeStep['step'], at: string, detail: Record<string, unknown>): Promise<void> {
  dispute.steps += 1;
  const record: DisputeStep = { disputeId: dispute.disputeId, seq: dispute.steps, step, at, txId: ctx.stub.getTxID(), detail };
  await putJson(ctx, KEY.disputeEvent, [dispute.disputeId, String(dispute.steps).padStart(6, '0')], record);
}

/** A reviewer's time to vote, in ms: deadlineSeconds when the dispute was opened with it, else deadlineDays. */
function deadlineSpan(d: { deadlineDays: number; deadlineSeconds?: number }): number {
  return d.deadlineSeconds !== undefined ? d.deadlineSeconds * 1000 : d.deadlineDays * DAY_MS;
}

async function requireDispute(ctx: Context, disputeId: string, what: string): Promise<DisputeRecord> {
  const dispute = await getJson<DisputeRecord>(ctx, KEY.dispute, [disputeId]);
  if (!dispute) throw new Error(`${what}: dispute "${disputeId}" does not exist`);
  return dispute;
}

@Info({ title: 'DisputeContract', description: 'Three-node review of contested report rows and payouts' })
export class DisputeContract extends Contract {
  constructor() {
    super('DisputeContract');
  }

  /**
   * open({nodeId, month, subject:{type, ref}, amount, evidenceHash, disputeId?, deadlineDays?, deadlineSeconds?}):
   * only the reporting node's organisation opens a dispute about its figures. The id is derived
   * from the inputs (disputeIdOf: nodeId, month, subject, evidenceHash); a `disputeId` in the
   * input is refused unless it is that id, so a caller whose copy of disputeIdOf differs learns
   * it at once. Seats: the reporting node, the first node of its cluster and the first node of
   * another cluster in the dispute's order, each of an organisation not already seated; refused
   * when there are not three organisations to seat.
   */
  @Transaction()
  @Returns('string')
  public async open(ctx: Context, disputeJson: string): Promise<string> {
    const what = 'open';
    const input = parseJsonArg(disputeJson, what);
    const nodeId = str(input, 'nodeId', what);
    const month = checkMonth(str(input, 'month', what), what);
    const subjectRaw = (input.subject && typeof input.subject === 'object' ? input.subject : {}) as Record<string, unknown>;
    const subject = { type: oneOf(subjectRaw, 'type', `${what} subject`, ['reportRow', 'payout'] as const), ref: str(subjectRaw, 'ref', `${what} subject`) };
    const amount = int(input, 'amount', what, 0);
    const evidenceHash = str(input, 'evidenceHash', what, 256);
    const deadlineDays = input.deadlineDays === undefined ? DEFAULT_DEADLINE_DAYS : int(input, 'deadlineDays', what, 1);
    const deadlineSeconds = input.deadlineSeconds === undefined ? undefined : int(input, 'deadlineSeconds', what, 1);
    // Derived, never taken from the caller: nobody picks an id outright or takes the id of
    // another dispute. It does not stop an opener from varying its evidence offline until the
    // reviewer order it seeds suits it (the registry is public); what guards the outcome is that
    // the three seats belong to three organisations, and every dispute opened is on the ledger.
    const disputeId = disputeIdOf({ nodeId, month, subject, evidenceHash });
    if (input.disputeId !== undefined && input.disputeId !== disputeId) {
      throw new Error(`${what}: "disputeId" is derived by the ledger from nodeId, month, subject and evidenceHash (here "${disputeId}"); pass that id or omit it`);
    }

    // Only the reporting node's own organisation puts its figures under review.
    const reporting = await requireNodeCaller(ctx, nodeId, what);
    const msp = reporting.organisation;
    if (await getJson<DisputeRecord>(ctx, KEY.dispute, [disputeId])) throw new Error(`${what}: dispute "${disputeId}" already exists`);
    const nodes = await allNodes(ctx);
    const ordered = reviewerOrder(disputeId, nodes);
    const inCluster = candidates('cluster', reporting, ordered);
    const outside = candidates('other', reporting, ordered);
    if (inCluster.length === 0) throw new Error(`${what}: too few nodes: cluster "${reporting.cluster}" has no other node to review`);
    if (outside.length === 0) throw new Error(`${what}: too few nodes: no node outside cluster "${reporting.cluster}" to review`);
    const seated = new Set([reporting.organisation]);
    const cluster = seatFor(inCluster, seated);
    if (!cluster) throw new Error(`${what}: too few organisations: cluster "${reporting.cluster}" has no node of an organisation other than ${orgList(seated)}`);
    seated.add(cluster.organisation);
    const other = seatFor(outside, seated);
    if (!other) throw new Error(`${what}: too few organisations: no node outside cluster "${reporting.cluster}" of an organisation other than ${orgList(seated)}`);

    const { ms, iso } = txTime(ctx);
    const deadline = new Date(ms + deadlineSpan({ deadlineDays, deadlineSeconds })).toISOString();
    const assign = (n: NodeRecord, role: ReviewerRole): ReviewerRecord => ({ nodeId: n.nodeId, role, organisation: n.organisation, assignedAt: iso, deadline, vote: null });
    const dispute: DisputeRecord = {
      disputeId,
      nodeId,
      cluster: reporting.cluster,
      month,
      subject,
      amount,
      evidenceHash,
      deadlineDays,
      ...(deadlineSeconds === undefined ? {} : { deadlineSeconds }),
      deadline,
      status: 'open',
      decision: null,
      reviewers: [assign(reporting, 'reporting'), assign(cluster, 'cluster'), assign(other, 'other')],
      replaced: [],
      openedAt: iso,
      openedBy: msp,
      decidedAt: null,
      steps: 0,
      txId: ctx.stub.getTxID(),
    };
    await addStep(ctx, dispute, 'opened', iso, { nodeId, month, subject, amount, evidenceHash, deadline, openedBy: msp });
    for (const r of dispute.reviewers) await addStep(ctx, dispute, 'assigned', iso, { reviewer: r.nodeId, role: r.role, deadline: r.deadline });
    await putJson(ctx, KEY.dispute, [disputeId], dispute);
    ctx.stub.setEvent('DisputeOpened', Buffer.from(ok({ disputeId, nodeId, month, reviewers: dispute.reviewers.map((r) => r.nodeId) })));
    return ok(dispute);
  }

  /**
   * vote({disputeId, reviewer, decision, reason}): an assigned reviewer's vote, once. The caller's
   * MSP id must be the reviewer node's organisation in the registry. Two equal votes decide.
   */
  @Transaction()
  @Returns('string')
  public async vote(ctx: Context, voteJson: string): Promise<string> {
    const what = 'vote';
    const input = parseJsonArg(voteJson, what);
    const disputeId = str(input, 'disputeId', what, 256);
    const reviewerId = str(input, 'reviewer', what);
    const decision = oneOf(input, 'decision', what, ['release', 'void'] as const);
    const reason = typeof input.reason === 'string' ? input.reason.slice(0, 4096) : '';
    const dispute = await requireDispute(ctx, disputeId, what);
    if (dispute.status !== 'open') throw new Error(`${what}: dispute "${disputeId}" is already decided (${dispute.decision})`);
    const reviewer = dispute.reviewers.find((r) => r.nodeId === reviewerId);
    if (!reviewer) throw new Error(`${what}: node "${reviewerId}" is not an assigned reviewer of dispute "${disputeId}"`);
    const node = await requireNode(ctx, reviewerId, what);
    const msp = callerMsp(ctx);
    if (msp !== node.organisation) throw new Error(`${what}: caller organisation "${msp}" cannot vote for reviewer "${reviewerId}" (organisation "${node.organisation}")`);
    if (reviewer.vote) throw new Error(`${what}: reviewer "${reviewerId}" already voted on dispute "${disputeId}"`);

    const { iso } = txTime(ctx);
    reviewer.vote = { decision, reason, at: iso, txId: ctx.stub.getTxID() };
    await addStep(ctx, dispute, 'voted', iso, { reviewer: reviewerId, decision, reason });
    const votes = dispute.reviewers.filter((r) => r.vote?.decision === decision).length;
    if (votes >= 2) {
      dispute.status = 'decided';
      dispute.decision = decision;
      dispute.decidedAt = iso;
      await addStep(ctx, dispute, 'decided', iso, {
        decision,
        votes: dispute.reviewers.filter((r) => r.vote).map((r) => ({ reviewer: r.nodeId, decision: r.vote!.decision })),
      });
    }
    await putJson(ctx, KEY.dispute, [disputeId], dispute);
    ctx.stub.setEvent(
      dispute.status === 'decided' ? 'DisputeDecided' : 'DisputeVoted',
      Buffer.from(ok({ disputeId, reviewer: reviewerId, decision, status: dispute.status, outcome: dispute.decision })),
    );
    return ok(dispute);
  }

  /**
   * replaceReviewer({disputeId, reviewer}): after the reviewer's deadline passed without a vote,
   * the next node in the dispute's order for the same role (never one assigned before) takes the
   * seat with a fresh deadline. Any registered organisation may ask.
   */
  @Transaction()
  @Returns('string')
  public async replaceReviewer(ctx: Context, replaceJson: string): Promise<string> {
    const what = 'replaceReviewer';
    const input = parseJsonArg(replaceJson, what);
    const disputeId = str(input, 'disputeId', what, 256);
    const reviewerId = str(input, 'reviewer', what);
    const dispute = await requireDispute(ctx, disputeId, what);
    if (dispute.status !== 'open') throw new Error(`${what}: dispute "${disputeId}" is already decided (${dispute.decision})`);
    const index = dispute.reviewers.findIndex((r) => r.nodeId === reviewerId);
    if (index < 0) throw new Error(`${what}: node "${reviewerId}" is not an assigned reviewer of dispute "${disputeId}"`);
    const seat = dispute.reviewers[index];
    if (seat.vote) throw new Error(`${what}: reviewer "${reviewerId}" has voted and cannot be replaced`);
    const { ms, iso } = txTime(ctx);
    if (ms <= Date.parse(seat.deadline)) throw new Error(`${what}: reviewer "${reviewerId}" has until ${seat.deadline} to vote`);
    const nodes = await allNodes(ctx);
    const msp = callerMsp(ctx);
    if (!nodes.some((n) => n.organisation === msp)) throw new Error(`${what}: caller organisation "${msp}" has no registered node`);
    const reporting = await requireNode(ctx, dispute.nodeId, what);
    const used = new Set([...dispute.reviewers.map((r) => r.nodeId), ...dispute.replaced]);
    const role: ReviewerRole = seat.role === 'other' ? 'other' : 'cluster';
    // The organisations of the two seats that stay: the newcomer must be of a third one.
    const seatedOrgs = new Set(dispute.reviewers.filter((_, i) => i !== index).map((r) => r.organisation));
    const next = seatFor(candidates(role, reporting, reviewerOrder(disputeId, nodes)), seatedOrgs, used);
    if (!next) {
      throw new Error(
        `${what}: no unused node left to replace "${reviewerId}" (${role === 'other' ? 'outside' : 'inside'} cluster "${reporting.cluster}", of an organisation other than ${orgList(seatedOrgs)})`,
      );
    }
    const deadline = new Date(ms + deadlineSpan(dispute)).toISOString();
    dispute.reviewers[index] = { nodeId: next.nodeId, role: seat.role, organisation: next.organisation, assignedAt: iso, deadline, vote: null };
    dispute.replaced.push(reviewerId);
    await addStep(ctx, dispute, 'replaced', iso, { reviewer: reviewerId, by: next.nodeId, role: seat.role, requestedBy: msp });
    await addStep(ctx, dispute, 'assigned', iso, { reviewer: next.nodeId, role: seat.role, deadline });
    await putJson(ctx, KEY.dispute, [disputeId], dispute);
    ctx.stub.setEvent('DisputeReviewerReplaced', Buffer.from(ok({ disputeId, replaced: reviewerId, by: next.nodeId })));
    return ok(dispute);
  }

  /**
   * recordApplied({disputeId, nodeId, decision, amount, holds}): the reporting node records that it
   * applied the decision to its books (`amount` minor units over `holds` held shares). Only the
   * reporting node's organisation, only once the dispute is decided, with the decision taken, and
   * once: the same record again returns the stored dispute and writes nothing; another is refused.
   */
  @Transaction()
  @Returns('string')
  public async recordApplied(ctx: Context, appliedJson: string): Promise<string> {
    const what = 'recordApplied';
    const input = parseJsonArg(appliedJson, what);
    const disputeId = str(input, 'disputeId', what, 256);
    const nodeId = str(input, 'nodeId', what);
    const decision = oneOf(input, 'decision', what, ['release', 'void'] as const);
    const amount = int(input, 'amount', what, 0);
    const holds = int(input, 'holds', what, 0);
    const dispute = await requireDispute(ctx, disputeId, what);
    if (nodeId !== dispute.nodeId) throw new Error(`${what}: only the reporting node "${dispute.nodeId}" records how dispute "${disputeId}" was applied`);
    await requireNodeCaller(ctx, nodeId, what);
    if (dispute.status !== 'decided') throw new Error(`${what}: dispute "${disputeId}" is not decided yet`);
    if (decision !== dispute.decision) throw new Error(`${what}: dispute "${disputeId}" was decided "${dispute.decision}", not "${decision}"`);
    if (dispute.applied) {
      const a = dispute.applied;
      if (a.decision === decision && a.amount === amount && a.holds === holds) return ok(dispute);
      throw new Error(`${what}: dispute "${disputeId}" was already recorded as applied (${a.amount} over ${a.holds} holds)`);
    }
    const { iso } = txTime(ctx);
    dispute.applied = { nodeId, decision, amount, holds, at: iso, txId: ctx.stub.getTxID() };
    await addStep(ctx, dispute, 'applied', iso, { nodeId, decision, amount, holds });
    await putJson(ctx, KEY.dispute, [disputeId], dispute);
    ctx.stub.setEvent('DisputeApplied', Buffer.from(ok({ disputeId, nodeId, decision, amount, holds })));
    return ok(dispute);
  }

  /** get(disputeId): the dispute with its reviewers and votes, or null. */
  @Transaction(false)
  @Returns('string')
  public async get(ctx: Context, disputeId: string): Promise<string> {
    return ok(await getJson<DisputeRecord>(ctx, KEY.dispute, [disputeId]));
  }

  /** history(disputeId): every step (opened, assigned, voted, replaced, decided, applied) in order. */
  @Transaction(false)
  @Returns('string')
  public async history(ctx: Context, disputeId: string): Promise<string> {
    return ok(await listJson<DisputeStep>(ctx, KEY.disputeEvent, [disputeId]));
  }
}
