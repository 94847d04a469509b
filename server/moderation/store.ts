// The SQL of moderation's two tables: reports (moderation_reports) and the log of actions
// (moderation_log). Nothing else in moderation names them.
import type { Sequelize, Transaction } from 'sequelize';
import { execute, select, selectOne } from '../db/index.js';
import type { Action, Category, Outcome, TargetKind } from './model.js';

export interface ReportRow {
  id: string;
  reporter_id: string | null;
  reporter_actor_uri: string | null;
  flag_activity_id: string | null;
  target_kind: TargetKind;
  target_uri: string;
  target_id: string | null;
  target_owner_id: string | null;
  target_actor_uri: string | null;
  target_host: string | null;
  target_name: string | null;
  related_uris: string[];
  category: Category;
  reason: string;
  state: 'open' | 'resolved' | 'dismissed';
  outcome: Outcome | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  forwarded_at: Date | null;
  forwarded_flag_uri: string | null;
  created_at: Date;
}

export interface LogRow {
  id: string;
  moderator_id: string;
  moderator_username: string;
  action: Action;
  report_id: string | null;
  target_kind: 'track' | 'account' | 'actor' | 'domain' | 'channel' | 'playlist';
  target: string;
  target_name: string | null;
  note: string;
  details: Record<string, unknown>;
  created_at: Date;
}

/** A report's target as resolved when it is made. */
export interface TargetInput {
  kind: TargetKind;
  uri: string;
  id: string | null;
  ownerId: string | null;
  actorUri: string | null;
  host: string | null;
  name: string | null;
}

const targetColumns = (t: TargetInput) => ({
  kind: t.kind, uri: t.uri, targetId: t.id, ownerId: t.ownerId, actorUri: t.actorUri, host: t.host, name: t.name?.slice(0, 300) ?? null,
});

export type QueueState = 'open' | 'closed' | 'all';
const stateWhere: Record<QueueState, string> = { open: `state = 'open'`, closed: `state <> 'open'`, all: 'true' };

export class ModerationStore {
  constructor(private readonly db: Sequelize) {}

  byId(id: string): Promise<ReportRow | undefined> {
    return selectOne<ReportRow>(this.db, 'SELECT * FROM moderation_reports WHERE id = CAST(:id AS uuid)', { id });
  }

  /** The reporter's open report on that object, if any. */
  openReportOf(reporterId: string, targetUri: string): Promise<ReportRow | undefined> {
    return selectOne<ReportRow>(this.db, `SELECT * FROM moderation_reports WHERE reporter_id = :reporterId AND target_uri = :targetUri AND state = 'open'`, { reporterId, targetUri });
  }

  /** How many reports the user made in the last `seconds`, and when the oldest of them was made. */
  async recentBy(reporterId: string, seconds: number): Promise<{ count: number; oldest: Date | null }> {
    const r = await selectOne<{ n: string; oldest: Date | null }>(
      this.db,
      `SELECT count(*) AS n, min(created_at) AS oldest FROM moderation_reports WHERE reporter_id = :reporterId AND created_at > now() - make_interval(secs => :seconds)`,
      { reporterId, seconds },
    );
    return { count: Number(r?.n ?? 0), oldest: r?.oldest ?? null };
  }

  /**
   * A user's report; when the same user has an open report on the object already (made at the
   * same moment, say), that one, with `created` false.
   */
  async insertByUser(reporterId: string, target: TargetInput, category: Category, reason: string): Promise<{ row: ReportRow; created: boolean }> {
    const row = await selectOne<ReportRow>(
      this.db,
      `INSERT INTO moderation_reports (reporter_id, target_kind, target_uri, target_id, target_owner_id, target_actor_uri, target_host, target_name, category, reason)
       VALUES (:reporterId, :kind, :uri, :targetId, :ownerId, :actorUri, :host, :name, :category, :reason)
       ON CONFLICT (reporter_id, target_uri) WHERE state = 'open' AND reporter_id IS NOT NULL DO NOTHING RETURNING *`,
      { reporterId, ...targetColumns(target), category, reason },
    );
    if (row) return { row, created: true };
    return { row: (await this.openReportOf(reporterId, target.uri))!, created: false };
  }

  /** A report from a Flag; nothing when that Flag made one already. */
  async insertFromFlag(flagId: string, actorUri: string, target: TargetInput, related: string[], reason: string): Promise<ReportRow | undefined> {
    return selectOne<ReportRow>(
      this.db,
      `INSERT INTO moderation_reports (reporter_actor_uri, flag_activity_id, target_kind, target_uri, target_id, target_owner_id, target_actor_uri, target_host, target_name, related_uris, category, reason)
       VALUES (:actorUri, :flagId, :kind, :uri, :targetId, :ownerId, :targetActor, :host, :name, CAST(:related AS jsonb), 'other', :reason)
       ON CONFLICT (flag_activity_id) DO NOTHING RETURNING *`,
      { flagId, ...targetColumns(target), actorUri, targetActor: target.actorUri, related: JSON.stringify(related), reason },
    );
  }

  async list(state: QueueState, limit: number, offset: number): Promise<{ total: number; rows: ReportRow[] }> {
    const rows = await select<ReportRow>(this.db, `SELECT * FROM moderation_reports WHERE ${stateWhere[state]} ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset`, { limit, offset });
    return { total: await this.count(stateWhere[state], {}), rows };
  }

  async byReporter(reporterId: string, limit: number, offset: number): Promise<{ total: number; rows: ReportRow[] }> {
    const rows = await select<ReportRow>(
      this.db,
      'SELECT * FROM moderation_reports WHERE reporter_id = :reporterId ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset',
      { reporterId, limit, offset },
    );
    return { total: await this.count('reporter_id = :reporterId', { reporterId }), rows };
  }

  private async count(where: string, replacements: Record<string, unknown>): Promise<number> {
    const r = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM moderation_reports WHERE ${where}`, replacements);
    return Number(r?.n ?? 0);
  }

  /** Closes an open report; undefined when it was closed already (by someone else meanwhile). */
  close(id: string, outcome: Outcome, by: string, t: Transaction): Promise<ReportRow | undefined> {
    return selectOne<ReportRow>(
      this.db,
      `UPDATE moderation_reports SET state = :state, outcome = :outcome, resolved_by = :by, resolved_at = now(), updated_at = now()
       WHERE id = :id AND state = 'open' RETURNING *`,
      { id, outcome, by, state: outcome === 'dismiss' ? 'dismissed' : 'resolved' },
      t,
    );
  }

  /** Marks a report forwarded before its Flag is sent; false when it was forwarded already. */
  async claimForward(id: string): Promise<boolean> {
    const rows = await select(this.db, `UPDATE moderation_reports SET forwarded_at = now(), updated_at = now() WHERE id = :id AND forwarded_at IS NULL RETURNING id`, { id });
    return rows.length > 0;
  }

  /** Gives the claim back (the Flag could not be sent). */
  async unclaimForward(id: string): Promise<void> {
    await execute(this.db, 'UPDATE moderation_reports SET forwarded_at = NULL, updated_at = now() WHERE id = :id', { id });
  }

  async forwarded(id: string, flagUri: string, t: Transaction): Promise<ReportRow> {
    const row = await selectOne<ReportRow>(this.db, 'UPDATE moderation_reports SET forwarded_flag_uri = :flagUri, updated_at = now() WHERE id = :id RETURNING *', { id, flagUri }, t);
    return row!;
  }

  async log(entry: Omit<LogRow, 'id' | 'created_at'>, t: Transaction): Promise<LogRow> {
    const row = await selectOne<LogRow>(
      this.db,
      `INSERT INTO moderation_log (moderator_id, moderator_username, action, report_id, target_kind, target, target_name, note, details)
       VALUES (:moderator_id, :moderator_username, :action, :report_id, :target_kind, :target, :target_name, :note, CAST(:details AS jsonb)) RETURNING *`,
      { ...entry, target_name: entry.target_name?.slice(0, 300) ?? null, details: JSON.stringify(entry.details) },
      t,
    );
    return row!;
  }

  async logEntries(q: { reportId?: string; target?: string; limit: number; offset: number; oldestFirst?: boolean }): Promise<{ total: number; rows: LogRow[] }> {
    const where = ['true'];
    if (q.reportId) where.push('report_id = CAST(:reportId AS uuid)');
    if (q.target) where.push('target = :target');
    const w = where.join(' AND ');
    const order = q.oldestFirst ? 'created_at, id' : 'created_at DESC, id';
    const rows = await select<LogRow>(this.db, `SELECT * FROM moderation_log WHERE ${w} ORDER BY ${order} LIMIT :limit OFFSET :offset`, { ...q });
    const n = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM moderation_log WHERE ${w}`, { ...q });
    return { total: Number(n?.n ?? 0), rows };
  }
}
