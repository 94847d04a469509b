// A user's listening when their account is deleted (docs/accounts.md) or exported.
//
// Deleting keeps the qualified listens (and their flags): the daily reports on the shared ledger,
// the month close that splits the listener's subscription, held listening under dispute and the
// artists' statistics are made from them; they stay under the account's id, which then names no
// one. What only says who listened and from where goes: the listens apps scrobbled, the play
// sessions that never qualified, and the address and device of the other sessions and of the
// serve log. A day's end-of-day rules (accounts per address, per device) still read those until
// the day is reported, so rows of days not yet settled are left until then: the account is listed
// in listening_pending_erasures and `finishErasures` (run after each daily report) erases them.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import { execute, select, selectOne } from '../db/index.js';
import type { User } from '../accounts/service.js';
import { EXPORT_MAX_ROWS } from '../accounts/lifecycle/export.js';
import type { ListeningService } from './service.js';

/**
 * The last day whose rows no rule or report needs any more: yesterday at most, and before the
 * first day with listens that is not reported yet (a day without listens has nothing to check).
 */
async function settledThrough(ctx: NodeContext, t: Transaction): Promise<string> {
  const row = await selectOne<{ through: string }>(
    ctx.db,
    `SELECT least(timezone(:tz, now())::date - 1,
                  coalesce((SELECT min(day) FROM listens WHERE day > coalesce((SELECT max(day) FROM daily_reports), '-infinity'::date)) - 1, 'infinity'::date))::text AS through`,
    { tz: ctx.config.money.timeZone },
    t,
  );
  return row!.through;
}

/** Erases what the user's listening of settled days says about them; true when nothing is left for later. */
async function erase(ctx: NodeContext, userId: string): Promise<boolean> {
  const db = ctx.db;
  return db.transaction(async (t) => {
    const through = await settledThrough(ctx, t);
    const params = { userId, through, tz: ctx.config.money.timeZone };
    const settled = `timezone(:tz, started_at)::date <= CAST(:through AS date)`;
    await execute(db, 'DELETE FROM submitted_listens WHERE user_id = :userId', params, t);
    const unqualified = await select<{ id: string }>(
      db,
      `SELECT s.id FROM listening_sessions s WHERE s.user_id = :userId AND ${settled} AND NOT EXISTS (SELECT 1 FROM listens l WHERE l.session_id = s.id)`,
      params,
      t,
    );
    if (unqualified.length) {
      const ids = unqualified.map((s) => s.id);
      await execute(db, 'DELETE FROM segment_serves WHERE session_id IN (:ids)', { ids }, t);
      await execute(db, 'DELETE FROM listening_sessions WHERE id IN (:ids)', { ids }, t);
    }
    await execute(db, `UPDATE listening_sessions SET ip = NULL, user_agent = NULL WHERE user_id = :userId AND ${settled} AND (ip IS NOT NULL OR user_agent IS NOT NULL)`, params, t);
    await execute(
      db,
      `UPDATE segment_serves SET ip = NULL, user_agent = NULL
        WHERE user_id = :userId AND timezone(:tz, served_at)::date <= CAST(:through AS date) AND (ip IS NOT NULL OR user_agent IS NOT NULL)`,
      params,
      t,
    );
    const left = await selectOne(
      db,
      `SELECT 1 WHERE EXISTS (SELECT 1 FROM listening_sessions WHERE user_id = :userId AND (ip IS NOT NULL OR user_agent IS NOT NULL))
                  OR EXISTS (SELECT 1 FROM segment_serves WHERE user_id = :userId AND (ip IS NOT NULL OR user_agent IS NOT NULL))`,
      params,
      t,
    );
    if (left) await execute(db, 'INSERT INTO listening_pending_erasures (user_id) VALUES (:userId) ON CONFLICT DO NOTHING', params, t);
    else await execute(db, 'DELETE FROM listening_pending_erasures WHERE user_id = :userId', params, t);
    return !left;
  });
}

/** Finishes the erasures that waited for their days to be reported (after each daily report); returns how many finished. */
export async function finishErasures(ctx: NodeContext): Promise<number> {
  const pending = await select<{ user_id: string }>(ctx.db, 'SELECT user_id FROM listening_pending_erasures ORDER BY since LIMIT 1000');
  let finished = 0;
  for (const p of pending) if (await erase(ctx, p.user_id)) finished++;
  return finished;
}

/** The newest `EXPORT_MAX_ROWS` rows of a query (ordered newest first by `newestFirst`), oldest first, and whether there were more. */
async function newest<T extends object>(ctx: NodeContext, sql: string, userId: string): Promise<{ rows: T[]; cut: boolean }> {
  const rows = await select<T>(ctx.db, `${sql} LIMIT :limit`, { userId, limit: EXPORT_MAX_ROWS + 1 });
  const cut = rows.length > EXPORT_MAX_ROWS;
  return { rows: rows.slice(0, EXPORT_MAX_ROWS).reverse(), cut };
}

/**
 * The user's listening: qualified listens, plays and what their apps scrobbled (no addresses);
 * each list its newest EXPORT_MAX_ROWS, `truncated` naming the lists that had more.
 */
async function historyFile(ctx: NodeContext, user: User) {
  const listens = await newest<{ track_id: string; artist_uri: string; qualified_seconds: number; qualified_at: Date; day: string; status: string }>(
    ctx,
    'SELECT track_id, artist_uri, qualified_seconds, qualified_at, day::text AS day, status FROM listens WHERE user_id = :userId ORDER BY qualified_at DESC, id DESC',
    user.id,
  );
  const plays = await newest<{ track_id: string; artist_uri: string; started_at: Date; played_seconds: number; state: string }>(
    ctx,
    'SELECT track_id, artist_uri, started_at, played_seconds, state FROM listening_sessions WHERE user_id = :userId ORDER BY started_at DESC, id DESC',
    user.id,
  );
  const scrobbles = await newest<{ source: string; listened_at: Date; artist_name: string; track_name: string; release_name: string | null; duration_seconds: number | null }>(
    ctx,
    'SELECT source, listened_at, artist_name, track_name, release_name, duration_seconds FROM submitted_listens WHERE user_id = :userId ORDER BY listened_at DESC, id DESC',
    user.id,
  );
  const truncated = Object.entries({ qualifiedListens: listens, plays, appListens: scrobbles }).filter(([, l]) => l.cut).map(([name]) => name);
  return {
    qualifiedListens: listens.rows.map((l) => ({ trackId: l.track_id, artist: l.artist_uri, seconds: l.qualified_seconds, day: l.day, at: l.qualified_at, status: l.status })),
    plays: plays.rows.map((p) => ({ trackId: p.track_id, artist: p.artist_uri, startedAt: p.started_at, playedSeconds: Math.round(Number(p.played_seconds) * 10) / 10, state: p.state })),
    appListens: scrobbles.rows.map((s) => ({ source: s.source, at: s.listened_at, artist: s.artist_name, track: s.track_name, release: s.release_name, durationSeconds: s.duration_seconds })),
    ...(truncated.length ? { truncated: { lists: truncated, keptNewest: EXPORT_MAX_ROWS } } : {}),
  };
}

/** Registers listening's part of deleting and exporting an account with accounts. */
export function registerListeningAccountData(ctx: NodeContext, _svc: ListeningService): void {
  ctx.services.accounts.onUserDeleting(async (user) => void (await erase(ctx, user.id)));
  ctx.services.accounts.onExport({ file: 'listening-history.json', collect: (user) => historyFile(ctx, user) });
}
