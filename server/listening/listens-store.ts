// The SQL of play sessions, listens and their flags (`listening_sessions`, `listens`,
// `listening_flags`): the use cases (plays, held listening, statistics) call these and keep
// no SQL of their own. Rows leave as the capability's own types.
import type { Sequelize } from 'sequelize';
import { execute, select, selectOne, type Transaction } from '../db/index.js';
import type { Month } from '../../shared/month.js';
// A qualified listen is the API's `Listen`, generated from listening's OpenAPI schema.
import type { Listen } from '../../shared/api/generated.js';
import type { Interval } from './intervals.js';
import { isUuid } from '../../shared/ids.js';

export type { Listen };
export type ListenStatus = Listen['status'];

/** A play session as the progress check reads it (the row is locked for the report). */
export interface PlaySession {
  id: string;
  userId: string;
  trackId: string;
  channelId: string;
  channelOwnerId: string | null;
  artist: string;
  /** Infinity when the track's length is unknown. */
  trackDurationSeconds: number;
  ip: string | null;
  userAgent: string | null;
  state: string;
  playedSeconds: number;
  claimed: Interval[];
  startedAt: Date;
}

export interface NewPlaySession {
  userId: string;
  trackId: string;
  channelId: string;
  ownerId: string | null;
  artist: string;
  durationSeconds: number | null;
  ip: string | null;
  userAgent: string | null;
}

/** A held listen as a dispute shows it. */
export interface HeldListenEvidence {
  listenId: string;
  day: string;
  qualifiedSeconds: number;
  playedSeconds: number;
  rules: string[];
  segmentsServed: number;
  firstServedAt: string | null;
  lastServedAt: string | null;
  sessionStartedAt: string;
}

/** A flag with its listen, as admins list them. */
export interface FlagRow {
  id: string;
  rule: string;
  createdAt: string;
  evidence: Record<string, unknown>;
  listen: Omit<Listen, 'channelId' | 'sessionId'>;
}

/** Qualified listening of a month grouped by listener, artist, status and track. */
export interface MonthTrackFigures {
  userId: string;
  artist: string;
  channelId: string;
  ownerId: string | null;
  held: boolean;
  trackId: string;
  seconds: number;
  plays: number;
}

/** Local listening of a track on a day, for the artist's statistics. */
export interface DayTrackFigures {
  trackId: string;
  day: string;
  plays: number;
  seconds: number;
  heldPlays: number;
}

interface SessionRow {
  id: string;
  user_id: string;
  track_id: string;
  channel_id: string;
  channel_owner_id: string | null;
  artist_uri: string;
  track_duration_seconds: number | null;
  ip: string | null;
  user_agent: string | null;
  state: string;
  played_seconds: number;
  claimed: Interval[] | null;
  started_at: Date;
}

interface ListenRow {
  id: string;
  user_id: string;
  track_id: string;
  channel_id: string;
  artist_uri: string;
  session_id: string;
  qualified_seconds: number;
  qualified_at: Date;
  day: string;
  status: ListenStatus;
  held_reason: string | null;
}

/** Postgres `date` values arrive as 'YYYY-MM-DD' strings (pg's default parser keeps them so). */
export const dayString = (d: string | Date) => (typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));

export { isUuid };

const iso = (v: Date) => new Date(v).toISOString();
const isoOrNull = (v: Date | null) => (v ? iso(v) : null);

const toListen = (r: ListenRow): Listen => ({
  id: r.id,
  userId: r.user_id,
  trackId: r.track_id,
  channelId: r.channel_id,
  artist: r.artist_uri,
  sessionId: r.session_id,
  qualifiedSeconds: Number(r.qualified_seconds),
  qualifiedAt: iso(r.qualified_at),
  day: dayString(r.day),
  status: r.status,
  heldReason: r.held_reason,
});

const toSession = (s: SessionRow): PlaySession => ({
  id: s.id,
  userId: s.user_id,
  trackId: s.track_id,
  channelId: s.channel_id,
  channelOwnerId: s.channel_owner_id,
  artist: s.artist_uri,
  trackDurationSeconds: s.track_duration_seconds === null ? Infinity : Number(s.track_duration_seconds),
  ip: s.ip,
  userAgent: s.user_agent,
  state: s.state,
  playedSeconds: Number(s.played_seconds),
  claimed: s.claimed ?? [],
  startedAt: s.started_at,
});

/** The days of a month, as the condition on `day` of the alias given. */
const inMonth = (alias = '') => `${alias}day >= :start::date AND ${alias}day < (:start::date + interval '1 month')::date`;
const monthStart = (month: Month) => `${month}-01`;

export class ListensStore {
  constructor(private readonly db: Sequelize) {}

  async createSession(s: NewPlaySession): Promise<string> {
    const row = await selectOne<{ id: string }>(
      this.db,
      `INSERT INTO listening_sessions (user_id, track_id, channel_id, channel_owner_id, artist_uri, track_duration_seconds, ip, user_agent)
       VALUES (:userId, :trackId, :channelId, :ownerId, :artist, :duration, :ip, :ua) RETURNING id`,
      { userId: s.userId, trackId: s.trackId, channelId: s.channelId, ownerId: s.ownerId, artist: s.artist, duration: s.durationSeconds, ip: s.ip, ua: s.userAgent },
    );
    return row!.id;
  }

  /** The session, locked until `t` ends (one progress report of a session at a time). */
  async lockSession(id: string, t: Transaction): Promise<PlaySession | undefined> {
    const row = await selectOne<SessionRow>(this.db, 'SELECT * FROM listening_sessions WHERE id = :id FOR UPDATE', { id }, t);
    return row && toSession(row);
  }

  async saveProgress(id: string, p: { position: number; played: number; claimed: Interval[]; covered: number; state: string }, t: Transaction): Promise<void> {
    await execute(
      this.db,
      `UPDATE listening_sessions SET position_seconds = :position, played_seconds = :played, claimed = :claimed::jsonb,
              covered_seconds = :covered, state = :state, last_progress_at = now() WHERE id = :id`,
      { id, position: p.position, played: p.played, claimed: JSON.stringify(p.claimed), covered: p.covered, state: p.state },
      t,
    );
  }

  async listenOfSession(sessionId: string, t: Transaction): Promise<Listen | undefined> {
    const row = await selectOne<ListenRow>(this.db, 'SELECT * FROM listens WHERE session_id = :id', { id: sessionId }, t);
    return row && toListen(row);
  }

  /** One qualification per listener at a time, so the per-listener counts the rules read are exact. */
  async lockListener(userId: string, t: Transaction): Promise<void> {
    await execute(this.db, "SELECT pg_advisory_xact_lock(hashtext('listening:' || :userId))", { userId }, t);
  }

  /** Today and this month in the time zone, by the database's clock (the one `listens.day` is compared with). */
  async today(timeZone: string, t: Transaction): Promise<{ day: string; month: Month }> {
    const now = await selectOne<{ day: string; month: string }>(
      this.db,
      "SELECT timezone(:tz, now())::date::text AS day, to_char(timezone(:tz, now()), 'YYYY-MM') AS month",
      { tz: timeZone },
      t,
    );
    return now!;
  }

  async insertListen(s: PlaySession, l: { seconds: number; day: string; heldReason: string | null }, t: Transaction): Promise<Listen> {
    const row = await selectOne<ListenRow>(
      this.db,
      `INSERT INTO listens (user_id, track_id, channel_id, channel_owner_id, artist_uri, session_id, qualified_seconds, qualified_at, day, status, held_reason)
       VALUES (:userId, :trackId, :channelId, :ownerId, :artist, :sessionId, :seconds, now(), :day, :status, :reason) RETURNING *`,
      {
        userId: s.userId,
        trackId: s.trackId,
        channelId: s.channelId,
        ownerId: s.channelOwnerId,
        artist: s.artist,
        sessionId: s.id,
        seconds: l.seconds,
        day: l.day,
        status: l.heldReason ? 'held' : 'counted',
        reason: l.heldReason,
      },
      t,
    );
    return toListen(row!);
  }

  /**
   * Sets a listen's seconds (and holds it when `heldReason` is given), unless its day has been
   * reported: then the day is frozen and nothing changes (undefined).
   */
  async grow(id: string, seconds: number, heldReason: string | null, t: Transaction): Promise<Listen | undefined> {
    const row = await selectOne<ListenRow>(
      this.db,
      `UPDATE listens SET qualified_seconds = :seconds, updated_at = now()
              ${heldReason ? ", status = 'held', held_reason = :reason" : ''}
        WHERE id = :id AND NOT EXISTS (SELECT 1 FROM daily_reports d WHERE d.day = listens.day) RETURNING *`,
      { id, seconds, reason: heldReason },
      t,
    );
    return row && toListen(row);
  }

  /** A rule's flag on a listen, once per rule. */
  async insertFlag(listenId: string, rule: string, evidence: Record<string, unknown>, t: Transaction): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO listening_flags (listen_id, rule, evidence) VALUES (:listenId, :rule, :evidence::jsonb)
       ON CONFLICT (listen_id, rule) DO NOTHING`,
      { listenId, rule, evidence: JSON.stringify(evidence) },
      t,
    );
  }

  async listen(id: string): Promise<Listen | undefined> {
    const row = await selectOne<ListenRow>(this.db, 'SELECT * FROM listens WHERE id = :id', { id });
    return row && toListen(row);
  }

  /** Counts or rejects a held listen; undefined when it is not held (any more). */
  async resolveHeld(id: string, decision: 'counted' | 'rejected', t: Transaction): Promise<Listen | undefined> {
    const row = await selectOne<ListenRow>(
      this.db,
      "UPDATE listens SET status = :decision, updated_at = now() WHERE id = :id AND status = 'held' RETURNING *",
      { id, decision },
      t,
    );
    return row && toListen(row);
  }

  async heldListens(userId: string, artist: string, month: Month): Promise<HeldListenEvidence[]> {
    const rows = await select<{ id: string; day: string; qualified_seconds: number; played_seconds: number; started_at: Date; rules: string[]; segments: string; first_served: Date | null; last_served: Date | null }>(
      this.db,
      `SELECT l.id, l.day::text AS day, l.qualified_seconds, s.played_seconds, s.started_at,
              coalesce((SELECT array_agg(DISTINCT f.rule ORDER BY f.rule) FROM listening_flags f WHERE f.listen_id = l.id), '{}') AS rules,
              g.segments, g.first_served, g.last_served
         FROM listens l JOIN listening_sessions s ON s.id = l.session_id
         LEFT JOIN LATERAL (SELECT count(*) AS segments, min(served_at) AS first_served, max(served_at) AS last_served
                              FROM segment_serves WHERE session_id = l.session_id) g ON true
        WHERE l.user_id = :userId AND l.artist_uri = :artist AND l.status = 'held' AND ${inMonth('l.')}
        ORDER BY l.qualified_at, l.id`,
      { userId, artist, start: monthStart(month) },
    );
    return rows.map((r) => ({
      listenId: r.id,
      day: r.day,
      qualifiedSeconds: Number(r.qualified_seconds),
      playedSeconds: Math.round(Number(r.played_seconds) * 10) / 10,
      rules: r.rules ?? [],
      segmentsServed: Number(r.segments),
      firstServedAt: isoOrNull(r.first_served),
      lastServedAt: isoOrNull(r.last_served),
      sessionStartedAt: iso(r.started_at),
    }));
  }

  /** Counted and held listening of a month, by listener, artist, status and track. */
  async monthFigures(month: Month): Promise<MonthTrackFigures[]> {
    const rows = await select<{ user_id: string; artist_uri: string; channel_id: string; owner: string | null; held: boolean; track_id: string; seconds: string; plays: string }>(
      this.db,
      `SELECT user_id, artist_uri, channel_id, max(channel_owner_id) AS owner, status = 'held' AS held, track_id,
              sum(qualified_seconds) AS seconds, count(*) AS plays
         FROM listens
        WHERE ${inMonth()} AND status IN ('counted', 'held')
        GROUP BY user_id, artist_uri, channel_id, status, track_id
        ORDER BY user_id, artist_uri, held, track_id`,
      { start: monthStart(month) },
    );
    return rows.map((r) => ({ userId: r.user_id, artist: r.artist_uri, channelId: r.channel_id, ownerId: r.owner, held: r.held, trackId: r.track_id, seconds: Number(r.seconds), plays: Number(r.plays) }));
  }

  /** A listener's month: counted and held seconds and plays per artist, and the listens (newest first). */
  async listenerMonth(userId: string, month: Month, limit: number) {
    const range = { userId, start: monthStart(month), limit };
    const where = `user_id = :userId AND ${inMonth()}`;
    const artists = await select<{ artist_uri: string; seconds: string; plays: string; held_seconds: string; held_plays: string }>(
      this.db,
      `SELECT artist_uri,
              coalesce(sum(qualified_seconds) FILTER (WHERE status = 'counted'), 0) AS seconds, count(*) FILTER (WHERE status = 'counted') AS plays,
              coalesce(sum(qualified_seconds) FILTER (WHERE status = 'held'), 0) AS held_seconds, count(*) FILTER (WHERE status = 'held') AS held_plays
         FROM listens WHERE ${where} GROUP BY artist_uri ORDER BY seconds DESC, artist_uri`,
      range,
    );
    const listens = await select<ListenRow>(this.db, `SELECT * FROM listens WHERE ${where} ORDER BY qualified_at DESC, id LIMIT :limit`, range);
    return {
      artists: artists.map((a) => ({ artist: a.artist_uri, seconds: Number(a.seconds), plays: Number(a.plays), heldSeconds: Number(a.held_seconds), heldPlays: Number(a.held_plays) })),
      listens: listens.map(toListen),
    };
  }

  /** Flags with their listens, newest first, and how many there are in all. */
  async flags(opts: { limit: number; offset: number; status?: ListenStatus }): Promise<{ total: number; rows: FlagRow[] }> {
    const where = opts.status ? 'WHERE l.status = :status' : '';
    const rows = await select<{
      id: string; rule: string; evidence: Record<string, unknown>; created_at: Date;
      listen_id: string; user_id: string; track_id: string; artist_uri: string;
      qualified_seconds: number; qualified_at: Date; day: string; status: ListenStatus; held_reason: string | null; total: string;
    }>(
      this.db,
      `SELECT f.id, f.rule, f.evidence, f.created_at, l.id AS listen_id, l.user_id, l.track_id, l.artist_uri,
              l.qualified_seconds, l.qualified_at, l.day::text AS day, l.status, l.held_reason, count(*) OVER () AS total
         FROM listening_flags f JOIN listens l ON l.id = f.listen_id
         ${where}
        ORDER BY f.created_at DESC, f.id LIMIT :limit OFFSET :offset`,
      { ...opts },
    );
    return {
      total: Number(rows[0]?.total ?? 0),
      rows: rows.map((r) => ({
        id: r.id,
        rule: r.rule,
        createdAt: iso(r.created_at),
        evidence: r.evidence,
        listen: {
          id: r.listen_id,
          userId: r.user_id,
          trackId: r.track_id,
          artist: r.artist_uri,
          qualifiedSeconds: Number(r.qualified_seconds),
          qualifiedAt: iso(r.qualified_at),
          day: r.day,
          status: r.status,
          heldReason: r.held_reason,
        },
      })),
    };
  }

  /** Plays and seconds (counted) and held plays per track and day of the channels an account owns. */
  async ownerDays(ownerId: string, range: { from: string; to: string }): Promise<DayTrackFigures[]> {
    const rows = await select<{ track_id: string; day: string; plays: string; seconds: string; held: string }>(
      this.db,
      `SELECT track_id, day::text AS day,
              count(*) FILTER (WHERE status = 'counted') AS plays,
              coalesce(sum(qualified_seconds) FILTER (WHERE status = 'counted'), 0) AS seconds,
              count(*) FILTER (WHERE status = 'held') AS held
         FROM listens WHERE channel_owner_id = :ownerId AND day BETWEEN :from::date AND :to::date
        GROUP BY track_id, day`,
      { ownerId, ...range },
    );
    return rows.map((r) => ({ trackId: r.track_id, day: r.day, plays: Number(r.plays), seconds: Number(r.seconds), heldPlays: Number(r.held) }));
  }
}
