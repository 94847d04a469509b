// The SQL of the inbox's tables (notifications_inbox, notifications_preferences).
import type { Sequelize } from 'sequelize';
import { execute, select, selectOne } from '../../db/index.js';
import type { NotificationKind } from '../../events.js';
import type * as api from '../../../shared/api/index.js';
import type { Channels } from './preferences.js';
import { safeLink } from './links.js';

export type InboxNotification = api.InboxNotification;

interface Row {
  id: string;
  kind: NotificationKind;
  title: string;
  body: string | null;
  url: string | null;
  read_at: Date | null;
  created_at: Date;
}

const toNotification = (r: Row): InboxNotification => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  body: r.body,
  url: safeLink(r.url),
  read: r.read_at !== null,
  readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(),
});

/** A notification for one user, as it is stored. */
export interface NewRow {
  userId: string;
  kind: NotificationKind;
  key: string;
  title: string;
  body: string | null;
  url: string | null;
  web: boolean;
  /** When it was told, in microseconds since the epoch: the latest telling's words win. */
  toldUs: number;
}

/**
 * A key that starts so names a notice that sums up (e.g. how many accounts of one server follow
 * you this hour): a later telling's words replace the earlier ones; it is still one notice,
 * not made unread again nor mailed again. Any other key keeps the words it was first told with.
 */
export const summaryKeyPrefix = 'summary:';

/** What a user's list shows: rows shown in the app when they arrived, of kinds still shown in the app. */
const shown = `user_id = :userId AND web AND NOT (kind = ANY(CAST(:hidden AS text[])))`;
const arrayOf = (xs: readonly string[]) => `{${xs.join(',')}}`;

export class InboxStore {
  constructor(private readonly db: Sequelize) {}

  /**
   * Stores the rows not stored before (same user and key); returns the users whose row is new.
   * A row already there stays as it is (read or not, mailed once), except that a summing-up
   * notice (summaryKeyPrefix) takes the words of a later telling: it shows its latest
   * count, never an older one heard late.
   */
  async insert(rows: NewRow[]): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const stored = await select<{ user_id: string; inserted: boolean }>(
      this.db,
      `INSERT INTO notifications_inbox AS n (user_id, kind, key, title, body, url, web, told_at)
       SELECT r.user_id, r.kind, r.key, r.title, r.body, r.url, r.web, to_timestamp(r.told_us / 1e6)
         FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(user_id uuid, kind text, key text, title text, body text, url text, web boolean, told_us double precision)
       ON CONFLICT (user_id, key) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body, url = EXCLUDED.url, told_at = EXCLUDED.told_at
         WHERE left(n.key, length(:summary)) = :summary AND n.told_at < EXCLUDED.told_at AND (n.title, n.body, n.url) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.body, EXCLUDED.url)
       RETURNING n.user_id, (n.xmax = 0) AS inserted`,
      { summary: summaryKeyPrefix, rows: JSON.stringify(rows.map((r) => ({ user_id: r.userId, kind: r.kind, key: r.key, title: r.title, body: r.body, url: r.url, web: r.web, told_us: r.toldUs }))) },
    );
    return new Set(stored.filter((r) => r.inserted).map((r) => r.user_id));
  }

  /** A page of what the user is shown (`hidden`: the kinds they turned off in the app). */
  async list(userId: string, opts: { limit: number; offset: number; unreadOnly: boolean; unreadFirst: boolean; hidden: readonly NotificationKind[] }): Promise<{ total: number; data: InboxNotification[] }> {
    const where = `${shown}${opts.unreadOnly ? ' AND read_at IS NULL' : ''}`;
    const order = opts.unreadFirst ? '(read_at IS NULL) DESC, created_at DESC, id' : 'created_at DESC, id';
    const params = { userId, hidden: arrayOf(opts.hidden) };
    const rows = await select<Row>(this.db, `SELECT * FROM notifications_inbox WHERE ${where} ORDER BY ${order} LIMIT :limit OFFSET :offset`, { ...params, limit: opts.limit, offset: opts.offset });
    const total = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM notifications_inbox WHERE ${where}`, params);
    return { total: Number(total?.n ?? 0), data: rows.map(toNotification) };
  }

  async unread(userId: string, hidden: readonly NotificationKind[]): Promise<number> {
    const r = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM notifications_inbox WHERE ${shown} AND read_at IS NULL`, { userId, hidden: arrayOf(hidden) });
    return Number(r?.n ?? 0);
  }

  /** Marks the user's shown notifications read: these (others' ids are ignored), or all. Returns how many changed. */
  async markRead(userId: string, ids: string[] | 'all', hidden: readonly NotificationKind[]): Promise<number> {
    const only = ids === 'all' ? '' : 'AND id = ANY(CAST(:ids AS uuid[]))';
    const rows = await select(
      this.db,
      `UPDATE notifications_inbox SET read_at = now() WHERE ${shown} AND read_at IS NULL ${only} RETURNING id`,
      { userId, hidden: arrayOf(hidden), ids: ids === 'all' ? null : arrayOf(ids) },
    );
    return rows.length;
  }

  async preferences(userIds: string[]): Promise<{ user_id: string; kind: string; web: boolean; email: boolean }[]> {
    if (!userIds.length) return [];
    return select(this.db, 'SELECT user_id, kind, web, email FROM notifications_preferences WHERE user_id = ANY(CAST(:ids AS uuid[]))', { ids: `{${userIds.join(',')}}` });
  }

  async setPreferences(userId: string, prefs: [NotificationKind, Channels][]): Promise<void> {
    if (!prefs.length) return;
    await execute(
      this.db,
      `INSERT INTO notifications_preferences (user_id, kind, web, email)
       SELECT :userId, p.kind, p.web, p.email FROM jsonb_to_recordset(CAST(:prefs AS jsonb)) AS p(kind text, web boolean, email boolean)
       ON CONFLICT (user_id, kind) DO UPDATE SET web = EXCLUDED.web, email = EXCLUDED.email, updated_at = now()`,
      { userId, prefs: JSON.stringify(prefs.map(([kind, c]) => ({ kind, web: c.web, email: c.email }))) },
    );
  }

  /** Everything kept for a user (their data export). */
  async allOf(userId: string): Promise<InboxNotification[]> {
    const rows = await select<Row>(this.db, 'SELECT * FROM notifications_inbox WHERE user_id = :userId ORDER BY created_at, id', { userId });
    return rows.map(toNotification);
  }

  /** An account is being deleted: its notifications and choices go. */
  async forget(userId: string): Promise<void> {
    await execute(this.db, 'DELETE FROM notifications_inbox WHERE user_id = :userId; DELETE FROM notifications_preferences WHERE user_id = :userId', { userId });
  }

  /** Drops the notices of follows by this actor that others got (keys `follower:<actor>:<followed>`, federation/notify.ts). */
  async forgetFollowsBy(actorUri: string): Promise<number> {
    const prefix = `follower:${actorUri}:`;
    const rows = await select(this.db, "DELETE FROM notifications_inbox WHERE kind = 'follower' AND left(key, length(:prefix)) = :prefix RETURNING id", { prefix });
    return rows.length;
  }

  /**
   * Bounds what is kept: read notifications older than `readDays`, and each user's beyond the
   * newest `keep`, go. Returns how many went.
   */
  async prune(opts: { keep: number; readDays: number }): Promise<{ old: number; over: number }> {
    const old = await selectOne<{ n: string }>(
      this.db,
      `WITH gone AS (DELETE FROM notifications_inbox WHERE read_at IS NOT NULL AND created_at < now() - make_interval(days => :days) RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      { days: opts.readDays },
    );
    const over = await selectOne<{ n: string }>(
      this.db,
      `WITH crowded AS (SELECT user_id FROM notifications_inbox GROUP BY user_id HAVING count(*) > :keep),
            ranked AS (SELECT i.id, row_number() OVER (PARTITION BY i.user_id ORDER BY i.created_at DESC, i.id DESC) AS rn
                         FROM notifications_inbox i JOIN crowded c ON c.user_id = i.user_id),
            gone AS (DELETE FROM notifications_inbox WHERE id IN (SELECT id FROM ranked WHERE rn > :keep) RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      { keep: opts.keep },
    );
    return { old: Number(old?.n ?? 0), over: Number(over?.n ?? 0) };
  }
}
