// The SQL of moderation's tables: reports (moderation_reports), the log of actions
// (moderation_log) and users' lookups of remote objects (moderation_remote_lookups). Nothing
// else in moderation names them.
import type { Sequelize, Transaction } from 'sequelize';
import { execute, select, selectOne } from '../db/index.js';
import type { Action, Category, Outcome, TargetKind } from './model.js';

export interface ReportRow {
  id: string;
  reporter_id: string | null;
  reporter_actor_uri: string | null;
  /** The server a Flag came from (generated from reporter_actor_uri). */
  reporter_host: string | null;
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
  /** The local account the entry is about (owner of the track, ... or the account; migration 1102); NULL: none here. */
  target_owner_id: string | null;
  note: string;
  details: Record<string, unknown>;
  /** pending: written before its measure; done: taken; failed: not taken (migration 1101). */
  state: LogState;
  created_at: Date;
}

export type LogState = 'pending' | 'done' | 'failed';

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

  /** The reporter's (a local user's or a remote actor's) open report on that object, if any. */
  openReportOf(reporter: { id: string } | { actorUri: string }, targetUri: string, t?: Transaction): Promise<ReportRow | undefined> {
    const who = 'id' in reporter ? 'reporter_id = :reporter' : 'reporter_actor_uri = :reporter';
    const value = 'id' in reporter ? reporter.id : reporter.actorUri;
    return selectOne<ReportRow>(this.db, `SELECT * FROM moderation_reports WHERE ${who} AND target_uri = :targetUri AND state = 'open'`, { reporter: value, targetUri }, t);
  }

  /** The oldest open report about an object (whoever made it). */
  firstOpenAbout(targetUri: string): Promise<{ id: string } | undefined> {
    return selectOne<{ id: string }>(this.db, `SELECT id FROM moderation_reports WHERE target_uri = :targetUri AND state = 'open' ORDER BY created_at, id LIMIT 1`, { targetUri });
  }

  /**
   * Runs `fn` in a transaction that holds `key` (an advisory lock): counting and then adding
   * to what is counted happen one caller at a time per key.
   */
  async serialized<T>(key: string, fn: (t: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) => {
      await execute(this.db, 'SELECT pg_advisory_xact_lock(hashtext(:key))', { key }, t);
      return fn(t);
    });
  }

  /**
   * What a user did in the last `seconds` that counts towards their limit (their reports about
   * this node's objects, and every lookup of another server's object: a report about one
   * follows a lookup), and when the oldest of it was done.
   */
  async recentBy(reporterId: string, seconds: number, t?: Transaction): Promise<{ count: number; oldest: Date | null }> {
    const r = await selectOne<{ n: string; oldest: Date | null }>(
      this.db,
      `SELECT count(*) AS n, min(created_at) AS oldest FROM (
         SELECT created_at FROM moderation_reports WHERE reporter_id = :reporterId AND target_host IS NULL AND created_at > now() - make_interval(secs => :seconds)
         UNION ALL
         SELECT created_at FROM moderation_remote_lookups WHERE reporter_id = :reporterId AND created_at > now() - make_interval(secs => :seconds)
       ) counted`,
      { reporterId, seconds },
      t,
    );
    return { count: Number(r?.n ?? 0), oldest: r?.oldest ?? null };
  }

  /** Records a user's lookup of a remote object (before it is made); lookups older than an hour go. */
  async lookedUp(reporterId: string, uri: string, t: Transaction): Promise<void> {
    await execute(this.db, `DELETE FROM moderation_remote_lookups WHERE created_at < now() - interval '1 hour'`, {}, t);
    await execute(this.db, 'INSERT INTO moderation_remote_lookups (reporter_id, uri) VALUES (:reporterId, :uri)', { reporterId, uri: uri.slice(0, 2048) }, t);
  }

  /**
   * How many reports another server's actors made in the last `seconds`, counted in `t` once it
   * holds that server's lock (so reports arriving together are counted one after the other;
   * a NULL host, an actor URI without one, counts with the others like it).
   */
  async fromHostWithin(host: string | null, seconds: number, t: Transaction): Promise<number> {
    await execute(this.db, `SELECT pg_advisory_xact_lock(hashtext('moderation-flags:' || coalesce(:host, '')))`, { host }, t);
    const r = await selectOne<{ n: string }>(
      this.db,
      'SELECT count(*) AS n FROM moderation_reports WHERE reporter_host IS NOT DISTINCT FROM :host AND created_at > now() - make_interval(secs => :seconds)',
      { host, seconds },
      t,
    );
    return Number(r?.n ?? 0);
  }

  /**
   * A user's report; when the same user has an open report on the object already (made at the
   * same moment, say), that one, with `created` false.
   */
  async insertByUser(reporterId: string, target: TargetInput, category: Category, reason: string, t?: Transaction): Promise<{ row: ReportRow; created: boolean }> {
    const row = await selectOne<ReportRow>(
      this.db,
      `INSERT INTO moderation_reports (reporter_id, target_kind, target_uri, target_id, target_owner_id, target_actor_uri, target_host, target_name, category, reason)
       VALUES (:reporterId, :kind, :uri, :targetId, :ownerId, :actorUri, :host, :name, :category, :reason)
       ON CONFLICT (reporter_id, target_uri) WHERE state = 'open' AND reporter_id IS NOT NULL DO NOTHING RETURNING *`,
      { reporterId, ...targetColumns(target), category, reason },
      t,
    );
    if (row) return { row, created: true };
    return { row: (await this.openReportOf({ id: reporterId }, target.uri, t))!, created: false };
  }

  /**
   * A report from a Flag; nothing when that Flag made one already, or when the same actor's
   * report about the same object is open.
   */
  async insertFromFlag(flagId: string, actorUri: string, target: TargetInput, related: string[], reason: string, t: Transaction): Promise<ReportRow | undefined> {
    return selectOne<ReportRow>(
      this.db,
      `INSERT INTO moderation_reports (reporter_actor_uri, flag_activity_id, target_kind, target_uri, target_id, target_owner_id, target_actor_uri, target_host, target_name, related_uris, category, reason)
       VALUES (:actorUri, :flagId, :kind, :uri, :targetId, :ownerId, :targetActor, :host, :name, CAST(:related AS jsonb), 'other', :reason)
       ON CONFLICT DO NOTHING RETURNING *`,
      { flagId, ...targetColumns(target), actorUri, targetActor: target.actorUri, related: JSON.stringify(related), reason },
      t,
    );
  }

  /** `hiddenOwners`: reports about what these accounts own are left out (a moderator's view). */
  async list(state: QueueState, limit: number, offset: number, hiddenOwners: string[] = []): Promise<{ total: number; rows: ReportRow[] }> {
    const where = `${stateWhere[state]}${hiddenOwners.length ? ' AND (target_owner_id IS NULL OR target_owner_id NOT IN (:hiddenOwners))' : ''}`;
    const rows = await select<ReportRow>(this.db, `SELECT * FROM moderation_reports WHERE ${where} ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset`, { limit, offset, hiddenOwners });
    return { total: await this.count(where, { hiddenOwners }), rows };
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

  /**
   * Closes an open report, before its measure is taken (the one action on it that wins);
   * undefined when it was closed already (by someone else meanwhile).
   */
  claim(id: string, outcome: Outcome, by: string, t: Transaction): Promise<ReportRow | undefined> {
    return selectOne<ReportRow>(
      this.db,
      `UPDATE moderation_reports SET state = :state, outcome = :outcome, resolved_by = :by, resolved_at = now(), updated_at = now()
       WHERE id = :id AND state = 'open' RETURNING *`,
      { id, outcome, by, state: outcome === 'dismiss' ? 'dismissed' : 'resolved' },
      t,
    );
  }

  /** Opens a claimed report again (its measure failed). */
  async reopen(id: string, t: Transaction): Promise<void> {
    await execute(this.db, `UPDATE moderation_reports SET state = 'open', outcome = NULL, resolved_by = NULL, resolved_at = NULL, updated_at = now() WHERE id = :id`, { id }, t);
  }

  /** Marks a report forwarded before its Flag is sent; false when it was forwarded already. */
  async claimForward(id: string, t: Transaction): Promise<boolean> {
    const rows = await select(this.db, `UPDATE moderation_reports SET forwarded_at = now(), updated_at = now() WHERE id = :id AND forwarded_at IS NULL RETURNING id`, { id }, t);
    return rows.length > 0;
  }

  /** Gives the claim back (the Flag could not be sent). */
  async unclaimForward(id: string, t: Transaction): Promise<void> {
    await execute(this.db, 'UPDATE moderation_reports SET forwarded_at = NULL, updated_at = now() WHERE id = :id', { id }, t);
  }

  async forwarded(id: string, flagUri: string, t: Transaction): Promise<ReportRow> {
    const row = await selectOne<ReportRow>(this.db, 'UPDATE moderation_reports SET forwarded_flag_uri = :flagUri, updated_at = now() WHERE id = :id RETURNING *', { id, flagUri }, t);
    return row!;
  }

  /** Writes an entry (pending: before its measure is taken). */
  async log(entry: Omit<LogRow, 'id' | 'created_at'>, t: Transaction): Promise<LogRow> {
    const row = await selectOne<LogRow>(
      this.db,
      `INSERT INTO moderation_log (moderator_id, moderator_username, action, report_id, target_kind, target, target_name, target_owner_id, note, details, state)
       VALUES (:moderator_id, :moderator_username, :action, :report_id, :target_kind, :target, :target_name, :target_owner_id, :note, CAST(:details AS jsonb), :state) RETURNING *`,
      { ...entry, target_name: entry.target_name?.slice(0, 300) ?? null, details: JSON.stringify(entry.details) },
      t,
    );
    return row!;
  }

  /** Marks a pending entry done or failed, adding what the measure did to its details. */
  async finish(id: string, state: Exclude<LogState, 'pending'>, details: Record<string, unknown>, t: Transaction): Promise<LogRow> {
    const row = await selectOne<LogRow>(
      this.db,
      `UPDATE moderation_log SET state = :state, details = details || CAST(:details AS jsonb) WHERE id = :id AND state = 'pending' RETURNING *`,
      { id, state, details: JSON.stringify(details) },
      t,
    );
    if (!row) throw new Error(`moderation log entry ${id} is not pending`);
    return row;
  }

  /**
   * A deleted account's names leave moderation's record: reports and entries about the account,
   * and the entries it wrote as a moderator, name it by its tombstone (`name`, `actorUri`) from
   * now on; the rows themselves stay (they are the moderators' record).
   */
  async forgetAccount(userId: string, oldActorUri: string, name: string, actorUri: string): Promise<void> {
    const p = { userId, oldActorUri, name, actorUri };
    await this.db.transaction(async (t) => {
      await execute(
        this.db,
        `UPDATE moderation_reports SET target_name = :name, target_uri = :actorUri, updated_at = now()
          WHERE target_kind = 'account' AND target_owner_id = CAST(:userId AS uuid) AND target_host IS NULL`,
        p,
        t,
      );
      await execute(this.db, 'UPDATE moderation_reports SET target_actor_uri = :actorUri, updated_at = now() WHERE target_actor_uri = :oldActorUri', p, t);
      await execute(this.db, `UPDATE moderation_log SET target_name = :name WHERE target_kind = 'account' AND target = :userId`, p, t);
      await execute(this.db, 'UPDATE moderation_log SET moderator_username = :name WHERE moderator_id = CAST(:userId AS uuid)', p, t);
    });
  }

  /** `hiddenOwners`: entries about what these accounts own are left out (a moderator's view). */
  async logEntries(q: { reportId?: string; target?: string; limit: number; offset: number; oldestFirst?: boolean; hiddenOwners?: string[] }): Promise<{ total: number; rows: LogRow[] }> {
    const where = ['true'];
    if (q.reportId) where.push('report_id = CAST(:reportId AS uuid)');
    if (q.target) where.push('target = :target');
    if (q.hiddenOwners?.length) where.push('(target_owner_id IS NULL OR target_owner_id NOT IN (:hiddenOwners))');
    const w = where.join(' AND ');
    const order = q.oldestFirst ? 'created_at, id' : 'created_at DESC, id';
    const rows = await select<LogRow>(this.db, `SELECT * FROM moderation_log WHERE ${w} ORDER BY ${order} LIMIT :limit OFFSET :offset`, { ...q });
    const n = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM moderation_log WHERE ${w}`, { ...q });
    return { total: Number(n?.n ?? 0), rows };
  }
}
