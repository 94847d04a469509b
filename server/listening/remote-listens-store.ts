// The SQL of `remote_listens`: Listens of this node's tracks by listeners of other nodes.
import type { Sequelize } from 'sequelize';
import { execute, select, selectOne, type Transaction } from '../db/index.js';

/** Plays and seconds of a set of remote listens. */
export interface Figures {
  plays: number;
  seconds: number;
}

export interface NewRemoteListen {
  activityId: string;
  actorUri: string;
  origin: string;
  trackId: string;
  channelId: string;
  ownerId: string | null;
  seconds: number;
  /** ISO time of the listen. */
  at: string;
}

const lastDay = "received_at > now() - interval '24 hours'";

export class RemoteListensStore {
  constructor(private readonly db: Sequelize) {}

  /** One Listen of an origin (the actor's host) at a time, so the figures the caps read are exact. */
  async lockOrigin(origin: string, t: Transaction): Promise<void> {
    await execute(this.db, "SELECT pg_advisory_xact_lock(hashtext('remote-listen:' || :origin))", { origin }, t);
  }

  async has(activityId: string, t: Transaction): Promise<boolean> {
    return Boolean(await selectOne(this.db, 'SELECT 1 FROM remote_listens WHERE activity_id = :id', { id: activityId }, t));
  }

  /** An actor's listens of the day (in the time zone) a moment falls on. */
  actorDay(actorUri: string, at: string, timeZone: string, t: Transaction): Promise<Figures> {
    return this.figures('actor_uri = :actor AND day = timezone(:tz, :at::timestamptz)::date', { actor: actorUri, tz: timeZone, at }, t);
  }

  /** An actor's listens received in the last 24 hours. */
  actorLastDay(actorUri: string, t: Transaction): Promise<Figures> {
    return this.figures(`actor_uri = :actor AND ${lastDay}`, { actor: actorUri }, t);
  }

  /** The listens of all actors of an origin received in the last 24 hours. */
  originLastDay(origin: string, t: Transaction): Promise<Figures> {
    return this.figures(`actor_host = :origin AND ${lastDay}`, { origin }, t);
  }

  private async figures(where: string, replacements: Record<string, unknown>, t: Transaction): Promise<Figures> {
    const r = await selectOne<{ plays: string; seconds: string }>(this.db, `SELECT count(*) AS plays, coalesce(sum(seconds), 0) AS seconds FROM remote_listens WHERE ${where}`, replacements, t);
    return { plays: Number(r!.plays), seconds: Number(r!.seconds) };
  }

  /** Stores the listen on its day in the time zone; false when its activity was stored already. */
  async insert(l: NewRemoteListen, timeZone: string, t: Transaction): Promise<boolean> {
    const row = await selectOne<{ activity_id: string }>(
      this.db,
      `INSERT INTO remote_listens (activity_id, actor_uri, actor_host, track_id, channel_id, channel_owner_id, seconds, listened_at, day)
       VALUES (:activityId, :actorUri, :origin, :trackId, :channelId, :ownerId, :seconds, :at, timezone(:tz, :at::timestamptz)::date)
       ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id`,
      { ...l, tz: timeZone },
      t,
    );
    return Boolean(row);
  }

  /** Plays and seconds per track and day of the channels an account owns. */
  async ownerDays(ownerId: string, range: { from: string; to: string }): Promise<({ trackId: string; day: string } & Figures)[]> {
    const rows = await select<{ track_id: string; day: string; plays: string; seconds: string }>(
      this.db,
      `SELECT track_id, day::text AS day, count(*) AS plays, coalesce(sum(seconds), 0) AS seconds
         FROM remote_listens WHERE channel_owner_id = :ownerId AND day BETWEEN :from::date AND :to::date
        GROUP BY track_id, day`,
      { ownerId, ...range },
    );
    return rows.map((r) => ({ trackId: r.track_id, day: r.day, plays: Number(r.plays), seconds: Number(r.seconds) }));
  }
}
