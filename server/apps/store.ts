// The SQL of apps' own tables: Subsonic stars (`app_stars`) and saved play queues (`app_play_queues`).
import type { Sequelize } from 'sequelize';
import { execute, select, selectOne } from '../db/index.js';

export type StarKind = 'artist' | 'album' | 'song';

export interface Star {
  itemId: string;
  kind: StarKind;
  starredAt: string;
}

export interface PlayQueue {
  trackIds: string[];
  currentId: string | null;
  positionMs: number;
  changedBy: string;
  changedAt: string;
}

export class AppsStore {
  constructor(private readonly db: Sequelize) {}

  async star(userId: string, items: { itemId: string; kind: StarKind }[]): Promise<void> {
    for (const i of items) {
      await execute(this.db, 'INSERT INTO app_stars (user_id, item_id, kind) VALUES (:userId, :itemId, :kind) ON CONFLICT DO NOTHING', { userId, ...i });
    }
  }

  async unstar(userId: string, itemIds: string[]): Promise<void> {
    if (itemIds.length) await execute(this.db, 'DELETE FROM app_stars WHERE user_id = :userId AND item_id IN (:itemIds)', { userId, itemIds });
  }

  /** The user's stars (of one kind, or of the given items), newest first. */
  async stars(userId: string, filter: { kind?: StarKind; itemIds?: string[] } = {}): Promise<Star[]> {
    if (filter.itemIds && !filter.itemIds.length) return [];
    const rows = await select<{ item_id: string; kind: StarKind; starred_at: Date }>(
      this.db,
      `SELECT item_id, kind, starred_at FROM app_stars WHERE user_id = :userId
         ${filter.kind ? 'AND kind = :kind' : ''} ${filter.itemIds ? 'AND item_id IN (:itemIds)' : ''}
        ORDER BY starred_at DESC, item_id LIMIT 5000`,
      { userId, kind: filter.kind ?? null, itemIds: filter.itemIds ?? null },
    );
    return rows.map((r) => ({ itemId: r.item_id, kind: r.kind, starredAt: new Date(r.starred_at).toISOString() }));
  }

  async playQueue(userId: string): Promise<PlayQueue | undefined> {
    const r = await selectOne<{ track_ids: string[]; current_id: string | null; position_ms: string; changed_by: string; changed_at: Date }>(
      this.db,
      'SELECT * FROM app_play_queues WHERE user_id = :userId',
      { userId },
    );
    return r && { trackIds: r.track_ids, currentId: r.current_id, positionMs: Number(r.position_ms), changedBy: r.changed_by, changedAt: new Date(r.changed_at).toISOString() };
  }

  async savePlayQueue(userId: string, q: Omit<PlayQueue, 'changedAt'>): Promise<void> {
    if (!q.trackIds.length) {
      await execute(this.db, 'DELETE FROM app_play_queues WHERE user_id = :userId', { userId });
      return;
    }
    await execute(
      this.db,
      `INSERT INTO app_play_queues (user_id, track_ids, current_id, position_ms, changed_by) VALUES (:userId, CAST(:ids AS text[]), :current, :position, :by)
       ON CONFLICT (user_id) DO UPDATE SET track_ids = EXCLUDED.track_ids, current_id = EXCLUDED.current_id, position_ms = EXCLUDED.position_ms,
         changed_by = EXCLUDED.changed_by, changed_at = now()`,
      { userId, ids: `{${q.trackIds.map((id) => `"${id.replace(/["\\]/g, '')}"`).join(',')}}`, current: q.currentId, position: q.positionMs, by: q.changedBy.slice(0, 200) },
    );
  }
}
