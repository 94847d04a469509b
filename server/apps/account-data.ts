// What listeners' apps keep for a user (Subsonic stars and the saved play queue) when their
// account is deleted (docs/accounts.md: it goes) or exported (apps.json).
import type { NodeContext } from '../context.js';
import { execute, select, selectOne } from '../db/index.js';

async function appsFile(ctx: NodeContext, userId: string) {
  const stars = await select<{ item_id: string; kind: string; starred_at: Date }>(
    ctx.db,
    'SELECT item_id, kind, starred_at FROM app_stars WHERE user_id = :u ORDER BY starred_at, item_id',
    { u: userId },
  );
  const queue = await selectOne<{ track_ids: string[]; current_id: string | null; position_ms: string; changed_by: string; changed_at: Date }>(
    ctx.db,
    'SELECT track_ids, current_id, position_ms, changed_by, changed_at FROM app_play_queues WHERE user_id = :u',
    { u: userId },
  );
  return {
    stars: stars.map((s) => ({ id: s.item_id, kind: s.kind, starredAt: new Date(s.starred_at).toISOString() })),
    playQueue: queue
      ? { trackIds: queue.track_ids, currentId: queue.current_id, positionMs: Number(queue.position_ms), changedBy: queue.changed_by, changedAt: new Date(queue.changed_at).toISOString() }
      : null,
  };
}

/** Registers apps' part of deleting and exporting an account with accounts. */
export function registerAppsAccountData(ctx: NodeContext): void {
  ctx.services.accounts.onUserDeleting(async (user) => {
    await execute(ctx.db, 'DELETE FROM app_stars WHERE user_id = :u', { u: user.id });
    await execute(ctx.db, 'DELETE FROM app_play_queues WHERE user_id = :u', { u: user.id });
  });
  ctx.services.accounts.onExport({ file: 'apps.json', collect: (user) => appsFile(ctx, user.id) });
}
