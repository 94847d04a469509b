// The disputes service: opening (automatic, artist, listener, admin), the review queue,
// votes, and the tick that notifies reviewers, replaces late ones and applies outcomes.
// The ledger's DisputeContract is the source of truth for reviewers, votes and outcome;
// this node's tables keep what must stay here (holds, parties, local work done).
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import { execute, select, selectOne } from '../db/index.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { User } from '../accounts/service.js';
import { disputesConfig, type DisputesConfig } from './config.js';
import { allocationEvidence, evidenceHash, evidenceRows, EVIDENCE_VERSION, type Evidence } from './evidence.js';
import { flagDelivery, ledgerHas, ledgerPort, listeningPort, moneyPort, type Hold, type LedgerPort, type ListeningPort, type MoneyPort } from './ports.js';
import { sendFlag } from './send-flag.js';
import { incomingFlagSchema } from './process-flag.js';
import { disputeIdOf } from '../../shared/money/dispute-id.js';

export type Decision = 'release' | 'void';
export type OpenedBy = 'auto' | 'artist' | 'listener' | 'admin';

/** The DisputeContract's record, as far as this node reads it. */
export interface LedgerDispute {
  disputeId: string;
  nodeId: string;
  cluster: string;
  month: string;
  subject: { type: 'reportRow' | 'payout'; ref: string };
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

export interface LedgerStep {
  seq: number;
  step: string;
  at: string;
  txId: string;
  detail: Record<string, unknown>;
}

interface DisputeRow {
  id: string;
  role: 'reporting' | 'reviewer';
  reporting_node: string;
  month: string;
  subject_type: 'reportRow' | 'payout';
  subject_ref: string;
  artist: string | null;
  amount: string;
  currency: string;
  evidence: Evidence;
  evidence_hash: string;
  opened_by: OpenedBy | 'remote';
  opened_by_user: string | null;
  status: 'opening' | 'open' | 'decided' | 'applied' | 'refused';
  decision: Decision | null;
  record: LedgerDispute | null;
  error: string | null;
  open_outbox_id: string | null;
  applied_outbox_id: string | null;
  created_at: Date;
  updated_at: Date;
  applied_at: Date | null;
}

export interface DisputeSummary {
  id: string;
  role: 'reporting' | 'reviewer';
  reportingNode: string;
  month: string;
  subject: { type: 'reportRow' | 'payout'; ref: string };
  artist: string | null;
  amount: number;
  currency: string;
  openedBy: OpenedBy | 'remote';
  status: DisputeRow['status'];
  decision: Decision | null;
  deadline: string | null;
  reviewers: { nodeId: string; role: string; deadline: string; voted: boolean; decision: Decision | null }[];
  createdAt: string;
  updatedAt: string;
  appliedAt: string | null;
  error: string | null;
}

export interface DisputeDetail extends DisputeSummary {
  evidence?: Evidence;
  evidenceHash: string;
  /** This node's seat, when it reviews the dispute. */
  myReview?: { reviewer: string; deadline: string; vote: { decision: Decision; reason: string; status: string } | null } | null;
  holds?: { amount: number; status: string }[];
  history?: LedgerStep[];
}

export interface OpenInput {
  by: OpenedBy;
  month: string;
  /** The artist's actor URI (automatic and admin openings; an artist with several channels). */
  artist?: string;
  /** Admin opening about one listener's shares. */
  listenerId?: string;
  subject?: 'reportRow' | 'payout';
  reason?: string;
  user?: User;
}

const monthPattern = /^\d{4}-\d{2}$/;
const REPLACE_BACKOFF_MS = 3_600_000;

export class DisputesService {
  private readonly log: Logger;
  private warnedNoDelivery = false;
  /** Seats the ledger refused to replace (no unused node left): not asked again before this time. */
  private readonly replaceBackoff = new Map<string, number>();

  constructor(private readonly ctx: NodeContext) {
    this.log = ctx.logger.child({ component: 'disputes' });
  }

  get settings(): DisputesConfig {
    return disputesConfig(this.ctx);
  }
  private get ledger(): LedgerPort {
    return ledgerPort(this.ctx);
  }
  private get money(): MoneyPort {
    return moneyPort(this.ctx);
  }
  private get listening(): ListeningPort {
    return listeningPort(this.ctx);
  }
  /** This node's identity on the ledger (its instance actor URI). */
  get nodeId(): string {
    return this.ledger.nodeId;
  }
  disputeUri(id: string): string {
    return `${this.ctx.config.publicUrl}/ap/disputes/${id}`;
  }

  // ---------------------------------------------------------------- opening

  /** Opens a dispute about this node's figures and records it on the ledger (after commit). */
  async open(input: OpenInput): Promise<DisputeDetail> {
    if (!monthPattern.test(input.month)) throw badRequest('invalid_month', 'month must be YYYY-MM');
    const reason = (input.reason ?? '').trim().slice(0, this.settings.maxReasonLength);
    const user = input.user;
    let holds: Hold[];
    let subject: { type: 'reportRow' | 'payout'; ref: string };
    let artist: string | null = null;
    let allocation: Evidence['allocation'];
    const parties: { userId: string; party: 'opener' | 'listener' | 'artist' }[] = [];

    switch (input.by) {
      case 'auto':
      case 'admin': {
        if (input.by === 'admin' && input.listenerId) {
          holds = await this.money.heldShares({ month: input.month, userId: input.listenerId, artist: input.artist });
          subject = { type: 'reportRow', ref: `${input.month}:${await this.listening.pseudonym(input.listenerId, input.month)}` };
          artist = input.artist ?? null;
        } else {
          if (!input.artist) throw badRequest('artist_required', 'Name the artist (actor URI) or the listener the dispute is about');
          artist = input.artist;
          holds = await this.money.heldShares({ month: input.month, artist });
          subject = { type: input.subject ?? 'reportRow', ref: `${input.month}:${artist}` };
        }
        break;
      }
      case 'artist': {
        if (!user) throw forbidden();
        holds = await this.money.heldShares({ month: input.month, artistUserId: user.id, artist: input.artist });
        const artists = [...new Set(holds.map((h) => h.artist))];
        if (artists.length > 1) throw badRequest('artist_required', `You have held shares under several artists this month; name one of: ${artists.join(', ')}`);
        artist = input.artist ?? artists[0] ?? null;
        if (!artist) throw conflict('nothing_held', 'Nothing of yours is held for that month; there is no payout amount to contest');
        subject = { type: 'payout', ref: `${input.month}:${artist}` };
        break;
      }
      case 'listener': {
        if (!user) throw forbidden();
        holds = await this.money.heldShares({ month: input.month, userId: user.id });
        subject = { type: 'reportRow', ref: `${input.month}:${await this.listening.pseudonym(user.id, input.month)}` };
        allocation = await allocationEvidence(this.money, user.id, input.month);
        if (!holds.length && !allocation?.length) throw conflict('nothing_to_contest', 'No subscription share of yours was allocated that month');
        break;
      }
    }
    if (user) parties.push({ userId: user.id, party: 'opener' });

    // Holds already argued over elsewhere stay with their dispute.
    const taken = holds.length
      ? await select<{ hold_id: string; dispute_id: string }>(this.ctx.db, 'SELECT hold_id, dispute_id FROM dispute_holds WHERE hold_id IN (:ids)', { ids: holds.map((h) => h.id) })
      : [];
    if (taken.length) {
      const takenIds = new Set(taken.map((x) => x.hold_id));
      holds = holds.filter((h) => !takenIds.has(h.id));
      if (!holds.length && input.by !== 'listener') {
        throw new AppError(409, 'already_disputed', 'These held shares are already under review', { disputeId: taken[0].dispute_id });
      }
    }
    if (input.by === 'auto' && !holds.length) throw conflict('nothing_held', 'Nothing held');
    for (const h of holds) {
      parties.push({ userId: h.userId, party: 'listener' });
      if (h.artistUserId) parties.push({ userId: h.artistUserId, party: 'artist' });
    }

    const amount = holds.reduce((a, h) => a + h.amount, 0);
    const { rows, listenIds } = await evidenceRows(this.listening, holds);
    const evidence: Evidence = {
      version: EVIDENCE_VERSION,
      node: this.nodeId,
      month: input.month,
      subject,
      artist,
      currency: this.money.currency,
      amount,
      openedBy: input.by,
      reason,
      rows,
      ...(allocation ? { allocation } : {}),
    };
    const hash = evidenceHash(evidence);
    // The ledger derives the id from these inputs; the same here. It is passed along so that the
    // contract refuses the open if the two copies of disputeIdOf ever disagree (the dispute then
    // shows as refused, with the reason) instead of landing under an id this node never looks up.
    const id = disputeIdOf({ nodeId: this.nodeId, month: input.month, subject, evidenceHash: hash });
    const ledgerArgs = {
      disputeId: id,
      nodeId: this.nodeId,
      month: input.month,
      subject,
      amount,
      evidenceHash: hash,
      deadlineDays: this.settings.reviewDeadlineDays,
    };

    await this.ctx.db.transaction(async (t) => {
      // Same inputs, same id: the same dispute again. One the ledger refused (e.g. too few
      // organisations to seat) is tried again under its id; any other is already under way.
      const previous = await selectOne<{ status: DisputeRow['status'] }>(this.ctx.db, 'SELECT status FROM disputes WHERE id = :id FOR UPDATE', { id }, t);
      if (previous && (previous.status !== 'refused' || input.by === 'auto')) {
        throw new AppError(409, 'already_disputed', 'The same dispute (same figures, evidence and reason) was already opened', { disputeId: id });
      }
      if (previous) {
        await execute(
          this.ctx.db,
          "UPDATE disputes SET status = 'opening', error = NULL, open_outbox_id = NULL, opened_by_user = :user, updated_at = now() WHERE id = :id",
          { id, user: user?.id ?? null },
          t,
        );
      } else {
        try {
          await execute(
            this.ctx.db,
            `INSERT INTO disputes (id, role, reporting_node, month, subject_type, subject_ref, artist, amount, currency, evidence, evidence_hash, opened_by, opened_by_user, status)
             VALUES (:id, 'reporting', :node, :month, :stype, :sref, :artist, :amount, :currency, CAST(:evidence AS jsonb), :hash, :by, :user, 'opening')`,
            {
              id, node: this.nodeId, month: input.month, stype: subject.type, sref: subject.ref, artist, amount, currency: this.money.currency,
              evidence: JSON.stringify(evidence), hash, by: input.by, user: user?.id ?? null,
            },
            t,
          );
        } catch (err) {
          if ((err as { parent?: { code?: string } }).parent?.code === '23505') throw conflict('already_disputed', 'A dispute for this artist and month is already open');
          throw err;
        }
      }
      for (const h of holds) {
        const ok = await selectOne(
          this.ctx.db,
          `INSERT INTO dispute_holds (dispute_id, hold_id, listener_id, artist, artist_user_id, amount, listen_ids)
           VALUES (:id, :hold, :listener, :artist, :artistUser, :amount, CAST(:listens AS jsonb)) ON CONFLICT (hold_id) DO NOTHING RETURNING hold_id`,
          { id, hold: h.id, listener: h.userId, artist: h.artist, artistUser: h.artistUserId, amount: h.amount, listens: JSON.stringify(listenIds.get(h.id) ?? []) },
          t,
        );
        if (!ok) throw conflict('already_disputed', 'A held share was put under review by another dispute meanwhile; try again');
      }
      const seen = new Set<string>();
      for (const p of parties) {
        const k = `${p.userId}:${p.party}`;
        if (seen.has(k)) continue;
        seen.add(k);
        await execute(this.ctx.db, 'INSERT INTO dispute_parties (dispute_id, user_id, party) VALUES (:id, :user, :party) ON CONFLICT DO NOTHING', { id, user: p.userId, party: p.party }, t);
      }
      const outboxId = await this.ledger.enqueueSubmit(t, 'DisputeContract:open', [JSON.stringify(ledgerArgs)]);
      await execute(this.ctx.db, 'UPDATE disputes SET open_outbox_id = :o WHERE id = :id', { o: outboxId, id }, t);
      this.afterCommit(t, id);
    });
    this.log.info({ disputeId: id, by: input.by, month: input.month, amount, holds: holds.length }, 'dispute opened');
    return (await this.detail(id, { full: true }))!;
  }

  /** Opens a dispute for each artist and month whose held money exceeds the threshold. */
  async autoOpen(): Promise<string[]> {
    if (!this.settings.autoOpen || !this.ctx.services.money) return [];
    const opened: string[] = [];
    for (const c of await this.money.heldOver(this.settings.autoOpenAmount)) {
      try {
        const d = await this.open({ by: 'auto', month: c.month, artist: c.artist });
        opened.push(d.id);
      } catch (err) {
        if (err instanceof AppError && (err.code === 'already_disputed' || err.code === 'nothing_held')) continue;
        throw err;
      }
    }
    return opened;
  }

  private afterCommit(t: Transaction, disputeId: string): void {
    this.ctx.jobs.enqueueAfterCommit(t, 'disputes.tick', { disputeId });
    t.afterCommit(() => this.ctx.events.emit('dispute.changed', { disputeId }));
  }

  // ---------------------------------------------------------------- reviewers

  /**
   * A Flag from another node asking this node to review (called by federation's inbox with
   * the actor whose HTTP signature verified). Checked against the ledger: the sender is the
   * dispute's reporting node, this node holds a seat, and the evidence is what was recorded.
   */
  async receiveFlag(activity: unknown, verifiedActorUri: string): Promise<{ disputeId: string; created: boolean }> {
    const parsed = incomingFlagSchema.safeParse(activity);
    if (!parsed.success) throw badRequest('invalid_flag', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const ref = parsed.data.disputeRef;
    const rec = await this.ledgerRecord(ref.disputeId);
    if (!rec) throw notFound('Dispute on the ledger');
    if (rec.nodeId !== verifiedActorUri) throw forbidden('Only the dispute\'s reporting node may ask for its review');
    if (!rec.reviewers.some((r) => r.nodeId === this.nodeId)) throw forbidden('This node is not a reviewer of that dispute');
    if (evidenceHash(ref.evidence) !== rec.evidenceHash || ref.evidenceHash !== rec.evidenceHash) {
      throw badRequest('evidence_mismatch', 'The evidence does not hash to what the ledger recorded');
    }
    if (ref.amount !== rec.amount || ref.month !== rec.month) throw badRequest('evidence_mismatch', 'The dispute reference does not match the ledger');
    const row = await selectOne<{ id: string }>(
      this.ctx.db,
      `INSERT INTO disputes (id, role, reporting_node, month, subject_type, subject_ref, artist, amount, currency, evidence, evidence_hash, opened_by, status, decision, record)
       VALUES (:id, 'reviewer', :node, :month, :stype, :sref, :artist, :amount, :currency, CAST(:evidence AS jsonb), :hash, 'remote', :status, :decision, CAST(:record AS jsonb))
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      {
        id: rec.disputeId, node: rec.nodeId, month: rec.month, stype: rec.subject.type, sref: rec.subject.ref,
        artist: typeof ref.evidence.artist === 'string' ? ref.evidence.artist : null, amount: rec.amount, currency: ref.currency,
        evidence: JSON.stringify(ref.evidence), hash: rec.evidenceHash, status: rec.status, decision: rec.decision, record: JSON.stringify(rec),
      },
    );
    if (row) {
      this.log.info({ disputeId: rec.disputeId, from: verifiedActorUri }, 'dispute review requested');
      this.ctx.events.emit('dispute.changed', { disputeId: rec.disputeId });
    }
    return { disputeId: rec.disputeId, created: Boolean(row) };
  }

  /** This node's vote, signed by its ledger identity; once per dispute. */
  async vote(disputeId: string, user: User, input: { decision: Decision; reason: string }): Promise<{ status: 'recorded' | 'pending'; dispute: DisputeDetail }> {
    const d = await this.row(disputeId);
    if (!d) throw notFound('Dispute');
    const rec = await this.ledgerRecord(disputeId);
    if (!rec) throw conflict('not_on_ledger', 'The dispute is not on the ledger yet; try again shortly');
    const seat = rec.reviewers.find((r) => r.nodeId === this.nodeId);
    if (!seat) throw forbidden('This node is not an assigned reviewer of this dispute');
    if (rec.status !== 'open') throw conflict('dispute_decided', `The dispute is already decided (${rec.decision})`);
    if (seat.vote) throw conflict('already_voted', 'This node has already voted on this dispute');
    const reason = input.reason.trim().slice(0, this.settings.maxReasonLength);
    const outboxId = await this.ctx.db.transaction(async (t) => {
      const inserted = await selectOne(
        this.ctx.db,
        `INSERT INTO dispute_votes (dispute_id, reviewer, decision, reason, voted_by) VALUES (:id, :reviewer, :decision, :reason, :user)
         ON CONFLICT (dispute_id, reviewer) DO NOTHING RETURNING dispute_id`,
        { id: disputeId, reviewer: this.nodeId, decision: input.decision, reason, user: user.id },
        t,
      );
      if (!inserted) throw conflict('already_voted', 'This node has already voted on this dispute');
      const id = await this.ledger.enqueueSubmit(t, 'DisputeContract:vote', [JSON.stringify({ disputeId, reviewer: this.nodeId, decision: input.decision, reason })]);
      await execute(this.ctx.db, 'UPDATE dispute_votes SET outbox_id = :o WHERE dispute_id = :id AND reviewer = :r', { o: id, id: disputeId, r: this.nodeId }, t);
      this.afterCommit(t, disputeId);
      return id;
    });
    this.log.info({ disputeId, decision: input.decision }, 'vote submitted');
    const status = await this.settleVote(disputeId, outboxId, this.settings.voteWaitMs);
    if (status === 'refused') {
      const v = await selectOne<{ error: string }>(this.ctx.db, 'SELECT error FROM dispute_votes WHERE dispute_id = :id AND reviewer = :r', { id: disputeId, r: this.nodeId });
      throw conflict('vote_refused', `The ledger refused the vote: ${v?.error ?? 'refused'}`);
    }
    await this.refresh(disputeId).catch(() => undefined);
    return { status, dispute: (await this.detail(disputeId, { full: true }))! };
  }

  /** Follows a vote's outbox row: recorded, refused by the contract, or still pending. */
  private async settleVote(disputeId: string, outboxId: string, waitMs: number): Promise<'recorded' | 'refused' | 'pending'> {
    try {
      await this.ledger.waitForOutbox(outboxId, waitMs);
      await execute(this.ctx.db, "UPDATE dispute_votes SET status = 'recorded' WHERE dispute_id = :id AND reviewer = :r", { id: disputeId, r: this.nodeId });
      return 'recorded';
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'chaincode') {
        await execute(this.ctx.db, "UPDATE dispute_votes SET status = 'refused', error = :e WHERE dispute_id = :id AND reviewer = :r", {
          id: disputeId, r: this.nodeId, e: (err as Error).message.slice(0, 1000),
        });
        return 'refused';
      }
      return 'pending';
    }
  }

  // ---------------------------------------------------------------- the tick

  /** The `disputes.tick` job: one dispute, or every unfinished one (and automatic openings). */
  async tick(disputeId?: string): Promise<{ processed: number; opened: number }> {
    let opened = 0;
    if (!disputeId) opened = (await this.autoOpen()).length;
    const ids = disputeId
      ? [disputeId]
      : (await select<{ id: string }>(this.ctx.db, "SELECT id FROM disputes WHERE status IN ('opening', 'open', 'decided') ORDER BY created_at LIMIT 500")).map((r) => r.id);
    let failed: unknown;
    for (const id of ids) {
      try {
        await this.process(id);
      } catch (err) {
        failed ??= err;
        this.log.warn({ err, disputeId: id }, 'dispute tick failed');
      }
    }
    // A single dispute's failure is retried by the queue; the sweep goes on with the others.
    if (failed && disputeId) throw failed;
    return { processed: ids.length, opened };
  }

  private async process(id: string): Promise<void> {
    const d = await this.row(id);
    if (!d || d.status === 'refused' || d.status === 'applied') return;
    if (d.role === 'reviewer') {
      const vote = await selectOne<{ outbox_id: string | null; status: string }>(this.ctx.db, 'SELECT outbox_id, status FROM dispute_votes WHERE dispute_id = :id AND reviewer = :r', { id, r: this.nodeId });
      if (vote?.status === 'pending' && vote.outbox_id) await this.settleVote(id, vote.outbox_id, 0);
      await this.refresh(id);
      return;
    }
    if (d.status === 'opening') {
      const rec = await this.ledgerRecord(id);
      if (!rec) {
        if (!d.open_outbox_id) return;
        try {
          await this.ledger.waitForOutbox(d.open_outbox_id, 0);
        } catch (err) {
          if ((err as { code?: string }).code === 'chaincode') return this.refuse(id, (err as Error).message);
          throw new AppError(503, 'ledger_pending', `dispute ${id} is not on the ledger yet`);
        }
        // The open landed between the read above and the outbox check: read it again below,
        // so the reviewers are notified now and not at the next sweep.
      }
    }
    let rec = await this.refresh(id);
    if (!rec) return;
    if (rec.status === 'open') {
      if (await this.replaceLate(id, rec)) rec = (await this.refresh(id)) ?? rec;
      await this.notifyReviewers(id, rec);
    }
    if (rec.status === 'decided') await this.apply(id, rec);
  }

  /** The ledger refused to open the dispute (e.g. too few nodes): its holds are free again. */
  private async refuse(id: string, message: string): Promise<void> {
    await this.ctx.db.transaction(async (t) => {
      await execute(this.ctx.db, "UPDATE disputes SET status = 'refused', error = :e, updated_at = now() WHERE id = :id", { id, e: message.slice(0, 1000) }, t);
      await execute(this.ctx.db, 'DELETE FROM dispute_holds WHERE dispute_id = :id', { id }, t);
      t.afterCommit(() => this.ctx.events.emit('dispute.changed', { disputeId: id }));
    });
    this.log.warn({ disputeId: id, reason: message }, 'ledger refused to open the dispute');
  }

  /** Reads the ledger record and mirrors it locally. */
  private async refresh(id: string): Promise<LedgerDispute | null> {
    const rec = await this.ledgerRecord(id);
    if (!rec) return null;
    await execute(
      this.ctx.db,
      `UPDATE disputes SET record = CAST(:record AS jsonb), decision = :decision, updated_at = now(),
              status = CASE WHEN status IN ('opening', 'open') THEN :status ELSE status END
        WHERE id = :id AND record IS DISTINCT FROM CAST(:record AS jsonb)`,
      { id, record: JSON.stringify(rec), decision: rec.decision, status: rec.status },
    );
    return rec;
  }

  /** Seats whose deadline passed without a vote go to the next node the contract picks. */
  private async replaceLate(id: string, rec: LedgerDispute): Promise<boolean> {
    const now = Date.now();
    let replaced = false;
    for (const seat of rec.reviewers) {
      if (seat.vote || Date.parse(seat.deadline) >= now) continue;
      const key = `${id}\u0000${seat.nodeId}`;
      if ((this.replaceBackoff.get(key) ?? 0) > now) continue;
      const outboxId = await this.ctx.db.transaction((t) =>
        this.ledger.enqueueSubmit(t, 'DisputeContract:replaceReviewer', [JSON.stringify({ disputeId: id, reviewer: seat.nodeId })]),
      );
      try {
        await this.ledger.waitForOutbox(outboxId, 15_000);
        replaced = true;
        this.log.info({ disputeId: id, reviewer: seat.nodeId }, 'late reviewer replaced');
      } catch (err) {
        this.replaceBackoff.set(key, now + REPLACE_BACKOFF_MS);
        this.log.warn({ err, disputeId: id, reviewer: seat.nodeId }, 'reviewer could not be replaced');
      }
    }
    return replaced;
  }

  /** Sends the Flag to every reviewer node (other than this one) not notified yet. */
  private async notifyReviewers(id: string, rec: LedgerDispute): Promise<void> {
    const others = rec.reviewers.filter((r) => r.nodeId !== this.nodeId && !r.vote);
    if (!others.length) return;
    const delivery = flagDelivery(this.ctx);
    if (!delivery) {
      if (!this.warnedNoDelivery) this.log.warn('federation cannot deliver activities: reviewer nodes are not notified');
      this.warnedNoDelivery = true;
      return;
    }
    const d = (await this.row(id))!;
    for (const seat of others) {
      try {
        await this.ctx.db.transaction(async (t) => {
          const fresh = await selectOne(
            this.ctx.db,
            'INSERT INTO dispute_notifications (dispute_id, reviewer) VALUES (:id, :r) ON CONFLICT DO NOTHING RETURNING reviewer',
            { id, r: seat.nodeId },
            t,
          );
          if (!fresh) return;
          const sent = await sendFlag(delivery, t, {
            disputeId: id,
            disputeUri: this.disputeUri(id),
            reviewer: seat.nodeId,
            month: rec.month,
            subject: rec.subject,
            amount: rec.amount,
            currency: d.currency,
            evidenceHash: rec.evidenceHash,
            deadline: seat.deadline,
            evidence: d.evidence,
          });
          await execute(this.ctx.db, 'UPDATE dispute_notifications SET activity_uri = :u WHERE dispute_id = :id AND reviewer = :r', { u: sent.uri, id, r: seat.nodeId }, t);
        });
      } catch (err) {
        this.log.warn({ err, disputeId: id, reviewer: seat.nodeId }, 'reviewer could not be notified; retried on the next tick');
      }
    }
  }

  /** A decided dispute: release the held shares to the artists or void them back, once. */
  private async apply(id: string, rec: LedgerDispute): Promise<void> {
    const decision = rec.decision!;
    const holdDecision = decision === 'release' ? 'release' : this.settings.voidPolicy;
    const listenDecision = decision === 'release' ? 'counted' : 'rejected';
    const holds = await select<{ hold_id: string; amount: string; listen_ids: string[]; status: string }>(
      this.ctx.db,
      "SELECT hold_id, amount, listen_ids, status FROM dispute_holds WHERE dispute_id = :id AND status = 'held' ORDER BY hold_id",
      { id },
    );
    for (const h of holds) {
      // Idempotent: money's movement key is per hold and outcome; a retry moves nothing twice.
      const status = await this.money.resolveHold(h.hold_id, holdDecision);
      for (const listenId of h.listen_ids ?? []) await this.listening.resolveHeldListen(listenId, listenDecision);
      await execute(this.ctx.db, 'UPDATE dispute_holds SET status = :s, applied_at = now() WHERE dispute_id = :id AND hold_id = :h', { s: status, id, h: h.hold_id });
    }
    const totals = await selectOne<{ n: string; amount: string }>(this.ctx.db, 'SELECT count(*) AS n, coalesce(sum(amount), 0) AS amount FROM dispute_holds WHERE dispute_id = :id', { id });
    const recordApplied = await ledgerHas(this.ctx, 'DisputeContract:recordApplied');
    await this.ctx.db.transaction(async (t) => {
      const row = await selectOne<{ status: string }>(this.ctx.db, 'SELECT status FROM disputes WHERE id = :id FOR UPDATE', { id }, t);
      if (row?.status === 'applied') return;
      let outboxId: string | null = null;
      if (recordApplied) {
        outboxId = await this.ledger.enqueueSubmit(t, 'DisputeContract:recordApplied', [
          JSON.stringify({ disputeId: id, nodeId: this.nodeId, decision, amount: Number(totals?.amount ?? 0), holds: Number(totals?.n ?? 0) }),
        ]);
      }
      await execute(
        this.ctx.db,
        "UPDATE disputes SET status = 'applied', decision = :decision, applied_at = now(), applied_outbox_id = :o, updated_at = now() WHERE id = :id",
        { id, decision, o: outboxId },
        t,
      );
      t.afterCommit(() => this.ctx.events.emit('dispute.changed', { disputeId: id }));
    });
    this.log.info({ disputeId: id, decision, holds: holds.length }, 'dispute outcome applied');
  }

  // ---------------------------------------------------------------- reads

  async ledgerRecord(id: string): Promise<LedgerDispute | null> {
    const r = await this.ledger.evaluate('DisputeContract:get', [id]);
    return (r as LedgerDispute | null) ?? null;
  }

  async ledgerHistory(id: string): Promise<LedgerStep[]> {
    return ((await this.ledger.evaluate('DisputeContract:history', [id])) as LedgerStep[] | null) ?? [];
  }

  private async row(id: string): Promise<DisputeRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return selectOne<DisputeRow>(this.ctx.db, 'SELECT * FROM disputes WHERE id = :id', { id });
  }

  private summary(d: DisputeRow): DisputeSummary {
    const rec = d.record;
    return {
      id: d.id,
      role: d.role,
      reportingNode: d.reporting_node,
      month: d.month,
      subject: { type: d.subject_type, ref: d.subject_ref },
      artist: d.artist,
      amount: Number(d.amount),
      currency: d.currency,
      openedBy: d.opened_by,
      status: d.status,
      decision: d.decision,
      deadline: rec?.reviewers.find((r) => r.nodeId === this.nodeId)?.deadline ?? rec?.deadline ?? null,
      reviewers: (rec?.reviewers ?? []).map((r) => ({ nodeId: r.nodeId, role: r.role, deadline: r.deadline, voted: Boolean(r.vote), decision: r.vote?.decision ?? null })),
      createdAt: new Date(d.created_at).toISOString(),
      updatedAt: new Date(d.updated_at).toISOString(),
      appliedAt: d.applied_at ? new Date(d.applied_at).toISOString() : null,
      error: d.error,
    };
  }

  /** A dispute as this node knows it; `full` adds evidence, this node's seat, holds and the ledger history. */
  async detail(id: string, opts: { full: boolean }): Promise<DisputeDetail | undefined> {
    const d = await this.row(id);
    if (!d) return undefined;
    const out: DisputeDetail = { ...this.summary(d), evidenceHash: d.evidence_hash };
    if (!opts.full) return out;
    out.evidence = d.evidence;
    const seat = d.record?.reviewers.find((r) => r.nodeId === this.nodeId);
    const vote = await selectOne<{ decision: Decision; reason: string; status: string }>(this.ctx.db, 'SELECT decision, reason, status FROM dispute_votes WHERE dispute_id = :id AND reviewer = :r', { id, r: this.nodeId });
    out.myReview = seat ? { reviewer: seat.nodeId, deadline: seat.deadline, vote: vote ?? (seat.vote ? { decision: seat.vote.decision, reason: seat.vote.reason, status: 'recorded' } : null) } : null;
    if (d.role === 'reporting') {
      const holds = await select<{ amount: string; status: string }>(this.ctx.db, 'SELECT amount, status FROM dispute_holds WHERE dispute_id = :id ORDER BY hold_id', { id });
      out.holds = holds.map((h) => ({ amount: Number(h.amount), status: h.status }));
    }
    out.history = await this.ledgerHistory(id).catch(() => []);
    return out;
  }

  /** Whether a user may see a dispute: admins and auditors always, parties their own. */
  async canSee(id: string, user: User): Promise<'full' | 'party' | null> {
    if (user.role === 'admin' || user.role === 'auditor') return 'full';
    const p = await selectOne(this.ctx.db, 'SELECT 1 FROM dispute_parties WHERE dispute_id = :id AND user_id = :u LIMIT 1', { id, u: user.id });
    return p ? 'party' : null;
  }

  /** The admins' review queue: disputes where this node holds a seat (pending first), newest first. */
  async reviewQueue(opts: { state: 'pending' | 'all'; limit: number; offset: number }): Promise<{ total: number; items: (DisputeSummary & { myVote: Decision | null; evidence: Evidence })[] }> {
    const rows = await select<DisputeRow & { total: string; my_vote: Decision | null }>(
      this.ctx.db,
      `SELECT d.*, v.decision AS my_vote, count(*) OVER () AS total
         FROM disputes d LEFT JOIN dispute_votes v ON v.dispute_id = d.id AND v.reviewer = :me
        WHERE d.status <> 'refused'
          AND (d.record IS NULL OR d.record->'reviewers' @> CAST(:seat AS jsonb))
          AND (:state = 'all' OR (d.status IN ('opening', 'open') AND v.dispute_id IS NULL))
        ORDER BY d.created_at DESC, d.id LIMIT :limit OFFSET :offset`,
      { me: this.nodeId, seat: JSON.stringify([{ nodeId: this.nodeId }]), ...opts },
    );
    return {
      total: Number(rows[0]?.total ?? 0),
      items: rows.map((r) => ({ ...this.summary(r), myVote: r.my_vote, evidence: r.evidence })),
    };
  }

  /** The disputes a user is party to (opened, or about their listening or payouts). */
  async mine(userId: string): Promise<DisputeSummary[]> {
    const rows = await select<DisputeRow>(
      this.ctx.db,
      `SELECT d.* FROM disputes d WHERE EXISTS (SELECT 1 FROM dispute_parties p WHERE p.dispute_id = d.id AND p.user_id = :u)
        ORDER BY d.created_at DESC LIMIT 200`,
      { u: userId },
    );
    return rows.map((r) => this.summary(r));
  }

  /** The public ActivityPub view of a dispute (no evidence: that goes to reviewers only). */
  async apObject(id: string): Promise<Record<string, unknown> | undefined> {
    const d = await this.row(id);
    if (!d || d.role !== 'reporting') return undefined;
    return {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: this.disputeUri(id),
      type: 'Object',
      name: `Dispute ${d.subject_type} ${d.subject_ref}`,
      attributedTo: d.reporting_node,
      disputeId: d.id,
      month: d.month,
      subject: { type: d.subject_type, ref: d.subject_ref },
      amount: Number(d.amount),
      currency: d.currency,
      evidenceHash: d.evidence_hash,
      status: d.status,
      decision: d.decision,
    };
  }
}
