// The SQL of the inbox's tables (notifications_inbox, notifications_preferences).
import type { Sequelize } from 'sequelize';
import { execute, select, selectOne } from '../../db/index.js';
import type { NotificationKind } from '../../events.js';
import type * as api from '../../../shared/api/index.js';
import type { Channels } from './preferences.js';

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
  url: r.url,
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
}

export class InboxStore {
  constructor(private readonly db: Sequelize) {}

  /** Stores the rows not stored before (same user and key); returns the users whose row is new. */
  async insert(rows: NewRow[]): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const inserted = await select<{ user_id: string }>(
      this.db,
      `INSERT INTO notifications_inbox (user_id, kind, key, title, body, url, web)
       SELECT r.user_id, r.kind, r.key, r.title, r.body, r.url, r.web
         FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(user_id uuid, kind text, key text, title text, body text, url text, web boolean)
       ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id`,
      { rows: JSON.stringify(rows.map((r) => ({ user_id: r.userId, kind: r.kind, key: r.key, title: r.title, body: r.body, url: r.url, web: r.web }))) },
    );
    return new Set(inserted.map((r) => r.user_id));
  }

  async list(userId: string, opts: { limit: number; offset: number; unreadOnly: boolean; unreadFirst: boolean }): Promise<{ total: number; data: InboxNotification[] }> {
    const where = `user_id = :userId AND web${opts.unreadOnly ? ' AND read_at IS NULL' : ''}`;
    const order = opts.unreadFirst ? '(read_at IS NULL) DESC, created_at DESC, id' : 'created_at DESC, id';
    const rows = await select<Row>(this.db, `SELECT * FROM notifications_inbox WHERE ${where} ORDER BY ${order} LIMIT :limit OFFSET :offset`, { userId, limit: opts.limit, offset: opts.offset });
    const total = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM notifications_inbox WHERE ${where}`, { userId });
    return { total: Number(total?.n ?? 0), data: rows.map(toNotification) };
  }

  async unread(userId: string): Promise<number> {
    const r = await selectOne<{ n: string }>(this.db, 'SELECT count(*) AS n FROM notifications_inbox WHERE user_id = :userId AND web AND read_at IS NULL', { userId });
    return Number(r?.n ?? 0);
  }

  /** Marks the user's notifications read: these (others' ids are ignored), or all. Returns how many changed. */
  async markRead(userId: string, ids: string[] | 'all'): Promise<number> {
    const only = ids === 'all' ? '' : 'AND id = ANY(CAST(:ids AS uuid[]))';
    const rows = await select(
      this.db,
      `UPDATE notifications_inbox SET read_at = now() WHERE user_id = :userId AND read_at IS NULL ${only} RETURNING id`,
      { userId, ids: ids === 'all' ? null : `{${ids.join(',')}}` },
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
}
