// The SQL of the disputes tables (disputes, dispute_holds, dispute_parties,
// dispute_notifications, dispute_votes): the one place that knows their columns.
import type { Sequelize, Transaction } from 'sequelize';
import { execute, select, selectOne } from '../db/index.js';
import type { Hold } from '../money/contract.js';
import type { Evidence } from './evidence.js';
import type { Decision, DisputeRow, DisputeStatus, LedgerDispute, OpenedBy, Subject } from './types.js';
import { isUuid } from '../../shared/ids.js';

export interface NewReportingDispute {
  id: string;
  node: string;
  month: string;
  subject: Subject;
  artist: string | null;
  amount: number;
  currency: string;
  evidence: Evidence;
  hash: string;
  by: OpenedBy;
  userId: string | null;
}

export interface NewReviewerDispute {
  record: LedgerDispute;
  artist: string | null;
  currency: string;
  evidence: Record<string, unknown>;
}

export interface PendingHold {
  hold_id: string;
  amount: string;
  listen_ids: string[];
}


export class DisputeStore {
  constructor(private readonly db: Sequelize) {}

  // ---------------------------------------------------------------- disputes

  async row(id: string): Promise<DisputeRow | undefined> {
    if (!isUuid(id)) return undefined;
    return selectOne<DisputeRow>(this.db, 'SELECT * FROM disputes WHERE id = :id', { id });
  }

  async lockStatus(id: string, t: Transaction): Promise<DisputeStatus | undefined> {
    const row = await selectOne<{ status: DisputeStatus }>(this.db, 'SELECT status FROM disputes WHERE id = :id FOR UPDATE', { id }, t);
    return row?.status;
  }

  /** False when the (artist, month) of an automatic dispute, or the id, is taken meanwhile. */
  async insertReporting(d: NewReportingDispute, t: Transaction): Promise<boolean> {
    try {
      await execute(
        this.db,
        `INSERT INTO disputes (id, role, reporting_node, month, subject_type, subject_ref, artist, amount, currency, evidence, evidence_hash, opened_by, opened_by_user, status)
         VALUES (:id, 'reporting', :node, :month, :stype, :sref, :artist, :amount, :currency, CAST(:evidence AS jsonb), :hash, :by, :user, 'opening')`,
        {
          id: d.id, node: d.node, month: d.month, stype: d.subject.type, sref: d.subject.ref, artist: d.artist, amount: d.amount, currency: d.currency,
          evidence: JSON.stringify(d.evidence), hash: d.hash, by: d.by, user: d.userId,
        },
        t,
      );
      return true;
    } catch (err) {
      if ((err as { parent?: { code?: string } }).parent?.code === '23505') return false;
      throw err;
    }
  }

  /** A refused dispute opened again: back to `opening`, by its new opener. */
  async reopen(id: string, userId: string | null, t: Transaction): Promise<void> {
    await execute(
      this.db,
      "UPDATE disputes SET status = 'opening', error = NULL, open_outbox_id = NULL, opened_by_user = :user, updated_at = now() WHERE id = :id",
      { id, user: userId },
      t,
    );
  }

  async setOpenOutbox(id: string, outboxId: string, t: Transaction): Promise<void> {
    await execute(this.db, 'UPDATE disputes SET open_outbox_id = :o WHERE id = :id', { o: outboxId, id }, t);
  }

  /** A review request from another node; false when this node knows the dispute already. */
  async insertReviewer(d: NewReviewerDispute): Promise<boolean> {
    const rec = d.record;
    const row = await selectOne(
      this.db,
      `INSERT INTO disputes (id, role, reporting_node, month, subject_type, subject_ref, artist, amount, currency, evidence, evidence_hash, opened_by, status, decision, record)
       VALUES (:id, 'reviewer', :node, :month, :stype, :sref, :artist, :amount, :currency, CAST(:evidence AS jsonb), :hash, 'remote', :status, :decision, CAST(:record AS jsonb))
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      {
        id: rec.disputeId, node: rec.nodeId, month: rec.month, stype: rec.subject.type, sref: rec.subject.ref, artist: d.artist, amount: rec.amount,
        currency: d.currency, evidence: JSON.stringify(d.evidence), hash: rec.evidenceHash, status: rec.status, decision: rec.decision, record: JSON.stringify(rec),
      },
    );
    return Boolean(row);
  }

  /** Mirrors the ledger's record; the status follows it until this node has applied or refused. */
  async mirrorRecord(id: string, rec: LedgerDispute): Promise<void> {
    await execute(
      this.db,
      `UPDATE disputes SET record = CAST(:record AS jsonb), decision = :decision, updated_at = now(),
              status = CASE WHEN status IN ('opening', 'open') THEN :status ELSE status END
        WHERE id = :id AND record IS DISTINCT FROM CAST(:record AS jsonb)`,
      { id, record: JSON.stringify(rec), decision: rec.decision, status: rec.status },
    );
  }

  /** Refused by the ledger: the dispute says why, and its holds are free for another. */
  async refuse(id: string, message: string, t: Transaction): Promise<void> {
    await execute(this.db, "UPDATE disputes SET status = 'refused', error = :e, updated_at = now() WHERE id = :id", { id, e: message.slice(0, 1000) }, t);
    await execute(this.db, 'DELETE FROM dispute_holds WHERE dispute_id = :id', { id }, t);
  }

  async markApplied(id: string, decision: Decision, outboxId: string | null, t: Transaction): Promise<void> {
    await execute(
      this.db,
      "UPDATE disputes SET status = 'applied', decision = :decision, applied_at = now(), applied_outbox_id = :o, updated_at = now() WHERE id = :id",
      { id, decision, o: outboxId },
      t,
    );
  }

  async unfinishedIds(): Promise<string[]> {
    const rows = await select<{ id: string }>(this.db, "SELECT id FROM disputes WHERE status IN ('opening', 'open', 'decided') ORDER BY created_at LIMIT 500");
    return rows.map((r) => r.id);
  }

  /** Disputes where `reviewer` holds a seat (or that are not on the ledger yet), newest first, with its vote. */
  async reviewQueue(reviewer: string, opts: { state: 'pending' | 'all'; limit: number; offset: number }) {
    const rows = await select<DisputeRow & { total: string; my_vote: Decision | null }>(
      this.db,
      `SELECT d.*, v.decision AS my_vote, count(*) OVER () AS total
         FROM disputes d LEFT JOIN dispute_votes v ON v.dispute_id = d.id AND v.reviewer = :me
        WHERE d.status <> 'refused'
          AND (d.record IS NULL OR d.record->'reviewers' @> CAST(:seat AS jsonb))
          AND (:state = 'all' OR (d.status IN ('opening', 'open') AND v.dispute_id IS NULL))
        ORDER BY d.created_at DESC, d.id LIMIT :limit OFFSET :offset`,
      { me: reviewer, seat: JSON.stringify([{ nodeId: reviewer }]), ...opts },
    );
    return { total: Number(rows[0]?.total ?? 0), rows };
  }

  async ofParty(userId: string): Promise<DisputeRow[]> {
    return select<DisputeRow>(
      this.db,
      `SELECT d.* FROM disputes d WHERE EXISTS (SELECT 1 FROM dispute_parties p WHERE p.dispute_id = d.id AND p.user_id = :u)
        ORDER BY d.created_at DESC LIMIT 200`,
      { u: userId },
    );
  }

  // ---------------------------------------------------------------- holds and parties

  /** Which of these holds are already under review, and in which dispute. */
  async takenHolds(holdIds: string[], t?: Transaction): Promise<{ hold_id: string; dispute_id: string }[]> {
    if (!holdIds.length) return [];
    return select(this.db, 'SELECT hold_id, dispute_id FROM dispute_holds WHERE hold_id IN (:ids)', { ids: holdIds }, t);
  }

  /** False when another dispute took the hold meanwhile. */
  async insertHold(disputeId: string, h: Hold, listenIds: string[], t: Transaction): Promise<boolean> {
    const ok = await selectOne(
      this.db,
      `INSERT INTO dispute_holds (dispute_id, hold_id, listener_id, artist, artist_user_id, amount, listen_ids)
       VALUES (:id, :hold, :listener, :artist, :artistUser, :amount, CAST(:listens AS jsonb)) ON CONFLICT (hold_id) DO NOTHING RETURNING hold_id`,
      { id: disputeId, hold: h.id, listener: h.userId, artist: h.artist, artistUser: h.artistUserId, amount: h.amount, listens: JSON.stringify(listenIds) },
      t,
    );
    return Boolean(ok);
  }

  async pendingHolds(disputeId: string): Promise<PendingHold[]> {
    return select<PendingHold>(
      this.db,
      "SELECT hold_id, amount, listen_ids FROM dispute_holds WHERE dispute_id = :id AND status = 'held' ORDER BY hold_id",
      { id: disputeId },
    );
  }

  async markHoldApplied(disputeId: string, holdId: string, status: 'released' | 'refunded'): Promise<void> {
    await execute(this.db, 'UPDATE dispute_holds SET status = :s, applied_at = now() WHERE dispute_id = :id AND hold_id = :h', { s: status, id: disputeId, h: holdId });
  }

  async holdTotals(disputeId: string): Promise<{ holds: number; amount: number }> {
    const r = await selectOne<{ n: string; amount: string }>(this.db, 'SELECT count(*) AS n, coalesce(sum(amount), 0) AS amount FROM dispute_holds WHERE dispute_id = :id', { id: disputeId });
    return { holds: Number(r?.n ?? 0), amount: Number(r?.amount ?? 0) };
  }

  async holdsOf(disputeId: string): Promise<{ amount: number; status: Hold['status'] }[]> {
    const rows = await select<{ amount: string; status: Hold['status'] }>(this.db, 'SELECT amount, status FROM dispute_holds WHERE dispute_id = :id ORDER BY hold_id', { id: disputeId });
    return rows.map((h) => ({ amount: Number(h.amount), status: h.status }));
  }

  async addParty(disputeId: string, userId: string, party: 'opener' | 'listener' | 'artist', t: Transaction): Promise<void> {
    await execute(this.db, 'INSERT INTO dispute_parties (dispute_id, user_id, party) VALUES (:id, :user, :party) ON CONFLICT DO NOTHING', { id: disputeId, user: userId, party }, t);
  }

  async isParty(disputeId: string, userId: string): Promise<boolean> {
    return Boolean(await selectOne(this.db, 'SELECT 1 FROM dispute_parties WHERE dispute_id = :id AND user_id = :u LIMIT 1', { id: disputeId, u: userId }));
  }

  // ---------------------------------------------------------------- notifications

  /** Claims the Flag to a reviewer; false when it was sent already. */
  async claimNotification(disputeId: string, reviewer: string, t: Transaction): Promise<boolean> {
    const fresh = await selectOne(
      this.db,
      'INSERT INTO dispute_notifications (dispute_id, reviewer) VALUES (:id, :r) ON CONFLICT DO NOTHING RETURNING reviewer',
      { id: disputeId, r: reviewer },
      t,
    );
    return Boolean(fresh);
  }

  async setNotificationUri(disputeId: string, reviewer: string, uri: string, t: Transaction): Promise<void> {
    await execute(this.db, 'UPDATE dispute_notifications SET activity_uri = :u WHERE dispute_id = :id AND reviewer = :r', { u: uri, id: disputeId, r: reviewer }, t);
  }

  // ---------------------------------------------------------------- votes

  /** False when this reviewer has voted already. */
  async insertVote(v: { disputeId: string; reviewer: string; decision: Decision; reason: string; userId: string }, t: Transaction): Promise<boolean> {
    const inserted = await selectOne(
      this.db,
      `INSERT INTO dispute_votes (dispute_id, reviewer, decision, reason, voted_by) VALUES (:id, :reviewer, :decision, :reason, :user)
       ON CONFLICT (dispute_id, reviewer) DO NOTHING RETURNING dispute_id`,
      { id: v.disputeId, reviewer: v.reviewer, decision: v.decision, reason: v.reason, user: v.userId },
      t,
    );
    return Boolean(inserted);
  }

  async setVoteOutbox(disputeId: string, reviewer: string, outboxId: string, t: Transaction): Promise<void> {
    await execute(this.db, 'UPDATE dispute_votes SET outbox_id = :o WHERE dispute_id = :id AND reviewer = :r', { o: outboxId, id: disputeId, r: reviewer }, t);
  }

  async vote(disputeId: string, reviewer: string) {
    return selectOne<{ decision: Decision; reason: string; status: 'pending' | 'recorded' | 'refused'; outbox_id: string | null; error: string | null }>(
      this.db,
      'SELECT decision, reason, status, outbox_id, error FROM dispute_votes WHERE dispute_id = :id AND reviewer = :r',
      { id: disputeId, r: reviewer },
    );
  }

  async settleVote(disputeId: string, reviewer: string, status: 'recorded' | 'refused', error: string | null = null): Promise<void> {
    await execute(this.db, 'UPDATE dispute_votes SET status = :status, error = coalesce(:e, error) WHERE dispute_id = :id AND reviewer = :r', {
      id: disputeId, r: reviewer, status, e: error,
    });
  }
}
