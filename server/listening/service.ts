// The listening service: play sessions, qualification against the segment-serve log,
// anomaly holds, remote listens, artist statistics and the monthly figures money reads.
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { select, selectOne, execute, type Transaction } from '../db/index.js';
import { AppError, badRequest, conflict, notFound } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { listeningConfig, type ListeningConfig } from './config.js';
import { intersect, measure, servedSpan, union, type Interval } from './intervals.js';
import { Pseudonyms, monthPattern } from './pseudonyms.js';
import { SegmentLog, type SegmentServed } from './segment-log.js';
import { checkListen, servedEvidence, sessionOutrunsClock, type RuleFinding } from './anomaly-rules.js';
import { channelActorUri, mediaPort, remoteTrackPort, type TrackForListening } from './media-port.js';
import { correctDay } from './daily-report.js';

export type { SegmentServed } from './segment-log.js';

export const progressSchema = z.object({
  positionSeconds: z.number().min(0).max(7 * 86_400),
  playedSeconds: z.number().min(0).max(7 * 86_400),
  state: z.enum(['playing', 'paused', 'ended']),
});
export type Progress = z.infer<typeof progressSchema>;

export const remoteListenSchema = z.object({
  activityId: z.string().url().max(2048),
  actorUri: z.string().url().max(2048),
  trackId: z.string().min(1).max(200),
  seconds: z.number().min(0).max(7 * 86_400),
  at: z.coerce.date(),
});
export type RemoteListen = z.input<typeof remoteListenSchema>;

export type ListenStatus = 'counted' | 'held' | 'rejected';

export interface Listen {
  id: string;
  userId: string;
  trackId: string;
  channelId: string;
  artist: string;
  sessionId: string;
  qualifiedSeconds: number;
  qualifiedAt: string;
  day: string;
  status: ListenStatus;
  heldReason: string | null;
}

export interface ProgressResult {
  sessionId: string;
  coveredSeconds: number;
  claimedSeconds: number;
  qualified: boolean;
  listen: Listen | null;
}

/** One row of a month's qualified listening, per listener and artist (held apart from counted). */
export interface QualifiedSecondsRow {
  userId: string;
  artist: string;
  artistChannelId: string;
  /** The local account that owns the artist's channel. */
  artistUserId: string | null;
  seconds: number;
  plays: number;
  held: boolean;
  tracks: { trackId: string; seconds: number; plays: number }[];
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
  claimed: Interval[];
  started_at: Date;
  last_progress_at: Date | null;
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

const toListen = (r: ListenRow): Listen => ({
  id: r.id,
  userId: r.user_id,
  trackId: r.track_id,
  channelId: r.channel_id,
  artist: r.artist_uri,
  sessionId: r.session_id,
  qualifiedSeconds: Number(r.qualified_seconds),
  qualifiedAt: new Date(r.qualified_at).toISOString(),
  day: dayString(r.day),
  status: r.status,
  heldReason: r.held_reason,
});

/** Postgres `date` values arrive as 'YYYY-MM-DD' strings (pg's default parser keeps them so). */
export const dayString = (d: string | Date) => (typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));

/** A Listen from another node that this node does not count: the code names the reason. */
const refuseRemoteListen = (code: string, message: string) => new AppError(422, code, message);

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const epsilon = 1e-6;
const maxClaimedSpans = 2000;

export class ListeningService {
  readonly segmentLog: SegmentLog;
  readonly pseudonyms: Pseudonyms;
  private readonly log: Logger;

  constructor(private readonly ctx: NodeContext) {
    this.log = ctx.logger.child({ component: 'listening' });
    this.pseudonyms = new Pseudonyms(ctx.db);
    this.segmentLog = new SegmentLog(ctx.db, this.log, () => this.settings.segmentLog, ctx.metrics);
  }

  get settings(): ListeningConfig {
    return listeningConfig(this.ctx);
  }

  private get timeZone(): string {
    return this.ctx.config.money.timeZone;
  }

  /** The entry point media calls for every segment it serves (hot path: buffered). */
  recordSegmentServed = (e: SegmentServed): void => {
    this.segmentLog.record(e);
  };

  pseudonym(userId: string, month: string): Promise<string> {
    return this.pseudonyms.pseudonym(userId, month);
  }

  /** The artist URI and owner for a track, from media. */
  private async track(trackId: string): Promise<TrackForListening> {
    const media = mediaPort(this.ctx);
    if (!media) throw new AppError(503, 'media_unavailable', 'The media capability is not available on this node');
    const track = await media.getTrack(trackId);
    if (!track) throw notFound('Track');
    return track;
  }

  /** A track this node can play: its own (media) or a remote one through its cache (federation). */
  private async playable(trackId: string): Promise<{ track: TrackForListening; artist: string }> {
    const media = mediaPort(this.ctx);
    const local = media ? await media.getTrack(trackId) : undefined;
    if (local) return { track: local, artist: this.artistUriOf(local) };
    const remote = await remoteTrackPort(this.ctx)?.trackForListening(trackId);
    if (remote) return { track: remote, artist: remote.artistUri };
    if (!media) throw new AppError(503, 'media_unavailable', 'The media capability is not available on this node');
    throw notFound('Track');
  }

  artistUriOf(track: TrackForListening): string {
    return channelActorUri(this.ctx.config.publicUrl, track.channel.name);
  }

  /** Starts a play session; the player sends its id as `X-Play-Session` on segment requests. */
  async startPlay(user: { id: string; role: string }, trackId: string, client: { ip: string | null; userAgent: string | null }): Promise<{ sessionId: string; trackId: string }> {
    const { track, artist } = await this.playable(trackId);
    const own = user.role === 'admin' || track.channel.ownerId === user.id;
    if (track.visibility === 'private' && !own) throw notFound('Track');
    if (track.status !== 'ready') throw conflict('track_not_playable', `The track is ${track.status}`);
    const userId = user.id;
    const row = await selectOne<{ id: string }>(
      this.ctx.db,
      `INSERT INTO listening_sessions (user_id, track_id, channel_id, channel_owner_id, artist_uri, track_duration_seconds, ip, user_agent)
       VALUES (:userId, :trackId, :channelId, :ownerId, :artist, :duration, :ip, :ua) RETURNING id`,
      {
        userId,
        trackId: String(track.id),
        channelId: String(track.channel.id),
        ownerId: track.channel.ownerId ?? null,
        artist,
        duration: track.durationSeconds ?? null,
        ip: client.ip,
        ua: client.userAgent?.slice(0, 512) ?? null,
      },
    );
    return { sessionId: row!.id, trackId: String(track.id) };
  }

  /**
   * The track-timeline intervals the node served to a session (logged or still buffered): each
   * response stands for its bytes' share of its segment's span (see `servedSpan`).
   */
  private async servedIntervals(session: SessionRow, t: Transaction): Promise<Interval[]> {
    const rows = await select<{ start_seconds: number; duration_seconds: number; byte_start: string | null; bytes: string; segment_bytes: string | null }>(
      this.ctx.db,
      `SELECT DISTINCT start_seconds, duration_seconds, byte_start, bytes, segment_bytes
         FROM segment_serves WHERE session_id = :id AND track_id = :trackId`,
      { id: session.id, trackId: session.track_id },
      t,
    );
    const num = (v: string | null) => (v === null ? null : Number(v));
    const served: Interval[] = rows.map((r) =>
      servedSpan(Number(r.start_seconds), Number(r.duration_seconds), { byteStart: num(r.byte_start), bytes: Number(r.bytes), segmentBytes: num(r.segment_bytes) }),
    );
    for (const e of this.segmentLog.pendingFor(session.id)) {
      if (String(e.trackId) !== session.track_id) continue;
      served.push(servedSpan(e.segmentStartSeconds, e.segmentDurationSeconds, { byteStart: e.byteStart ?? null, bytes: e.bytes, segmentBytes: e.segmentBytes ?? null }));
    }
    return union(served);
  }

  /**
   * Records the player's progress. Claimed playback between two reports is the span
   * [position - newly played, position]; only the part of it covered by segments the node
   * really served to this session counts. The listen qualifies at `qualifySeconds` covered.
   */
  async reportProgress(userId: string, sessionId: string, input: Progress): Promise<ProgressResult> {
    const p = progressSchema.parse(input);
    if (!uuidPattern.test(sessionId)) throw notFound('Play session');
    const settings = this.settings;
    const qualified: { listenId?: string } = {};
    const result = await this.ctx.db.transaction(async (t) => {
      const s = await selectOne<SessionRow>(this.ctx.db, 'SELECT * FROM listening_sessions WHERE id = :id FOR UPDATE', { id: sessionId }, t);
      if (!s || s.user_id !== userId) throw notFound('Play session');
      if (s.state === 'ended') throw conflict('session_ended', 'This play session has ended; start a new one');
      const duration = s.track_duration_seconds === null ? Infinity : Number(s.track_duration_seconds);
      const prevPlayed = Number(s.played_seconds);
      const played = Math.max(prevPlayed, p.playedSeconds);
      const position = Math.min(p.positionSeconds, duration);
      const delta = Math.min(played - prevPlayed, position);
      const claimed = union([...(s.claimed ?? []), [position - delta, position]]);
      if (claimed.length > maxClaimedSpans) throw badRequest('too_many_spans', `A play session keeps at most ${maxClaimedSpans} separate played spans; start a new session`);
      const served = await this.servedIntervals(s, t);
      const covered = measure(intersect(claimed, served));
      await execute(
        this.ctx.db,
        `UPDATE listening_sessions SET position_seconds = :position, played_seconds = :played, claimed = :claimed::jsonb,
                covered_seconds = :covered, state = :state, last_progress_at = now() WHERE id = :id`,
        { id: s.id, position, played, claimed: JSON.stringify(claimed), covered, state: p.state },
        t,
      );
      let listen = await selectOne<ListenRow>(this.ctx.db, 'SELECT * FROM listens WHERE session_id = :id', { id: s.id }, t);
      if (!listen && covered + epsilon >= settings.qualifySeconds) {
        listen = await this.qualify(s, covered, settings, t);
        qualified.listenId = listen.id;
      } else if (listen && listen.status !== 'rejected' && Math.floor(covered + epsilon) > Number(listen.qualified_seconds)) {
        listen = await this.grow(s, listen, covered, settings, t);
      }
      return {
        sessionId: s.id,
        coveredSeconds: Math.round(covered * 1000) / 1000,
        claimedSeconds: Math.round(measure(claimed) * 1000) / 1000,
        qualified: Boolean(listen),
        listen: listen ? toListen(listen) : null,
      };
    });
    if (qualified.listenId) this.ctx.events.emit('listen.qualified', { listenId: qualified.listenId });
    return result;
  }

  private async qualify(s: SessionRow, covered: number, settings: ListeningConfig, t: Transaction): Promise<ListenRow> {
    // One qualification per listener at a time, so the per-listener counts the rules read are exact.
    await execute(this.ctx.db, "SELECT pg_advisory_xact_lock(hashtext('listening:' || :userId))", { userId: s.user_id }, t);
    const now = await selectOne<{ day: string; month: string }>(
      this.ctx.db,
      "SELECT timezone(:tz, now())::date::text AS day, to_char(timezone(:tz, now()), 'YYYY-MM') AS month",
      { tz: this.timeZone },
      t,
    );
    const findings: RuleFinding[] = await checkListen({
      db: this.ctx.db,
      t,
      rules: settings.rules,
      timeZone: this.timeZone,
      pseudonyms: this.pseudonyms,
      month: now!.month,
      day: now!.day,
      userId: s.user_id,
      trackId: s.track_id,
      sessionId: s.id,
      sessionStartedAt: s.started_at,
      coveredSeconds: covered,
      ip: s.ip,
      userAgent: s.user_agent,
    });
    const listen = await selectOne<ListenRow>(
      this.ctx.db,
      `INSERT INTO listens (user_id, track_id, channel_id, channel_owner_id, artist_uri, session_id, qualified_seconds, qualified_at, day, status, held_reason)
       VALUES (:userId, :trackId, :channelId, :ownerId, :artist, :sessionId, :seconds, now(), :day, :status, :reason) RETURNING *`,
      {
        userId: s.user_id,
        trackId: s.track_id,
        channelId: s.channel_id,
        ownerId: s.channel_owner_id,
        artist: s.artist_uri,
        sessionId: s.id,
        seconds: Math.floor(covered + epsilon),
        day: now!.day,
        status: findings.length ? 'held' : 'counted',
        reason: findings.length ? findings.map((f) => f.rule).join(',') : null,
      },
      t,
    );
    if (findings.length) await this.flag(listen!.id, s, covered, findings, t);
    return listen!;
  }

  /**
   * Listening goes on after qualifying: the listen's seconds follow the session's covered
   * seconds until its day is reported (then the day is frozen). A counted listen whose session
   * runs ahead of the time since it started is held with its evidence, so seconds added after
   * qualifying cannot be counted without a wall-clock check. That check is plain arithmetic on
   * the locked session row; the day-wide one (all the listener's sessions together) runs in the
   * end-of-day sweep, before anything of the day is reported or paid.
   */
  private async grow(s: SessionRow, listen: ListenRow, covered: number, settings: ListeningConfig, t: Transaction): Promise<ListenRow> {
    const seconds = Math.floor(covered + epsilon);
    const tolerance = settings.rules.wallClockToleranceSeconds;
    const own = listen.status === 'counted' ? sessionOutrunsClock(s.started_at, covered, tolerance) : null;
    const findings: RuleFinding[] = own ? [{ rule: 'listening_exceeds_wall_clock', evidence: { day: dayString(listen.day), ...own, toleranceSeconds: tolerance } }] : [];
    const hold = findings.length > 0;
    const row = await selectOne<ListenRow>(
      this.ctx.db,
      `UPDATE listens SET qualified_seconds = :seconds, updated_at = now()
              ${hold ? ", status = 'held', held_reason = :reason" : ''}
        WHERE id = :id AND NOT EXISTS (SELECT 1 FROM daily_reports d WHERE d.day = listens.day) RETURNING *`,
      { id: listen.id, seconds, reason: findings.map((f) => f.rule).join(',') },
      t,
    );
    if (!row) return listen;
    if (hold) await this.flag(row.id, s, covered, findings, t, { afterQualifying: true, countedSecondsBefore: Number(listen.qualified_seconds) });
    return row;
  }

  /** Stores a held listen's flags, each with the rule's evidence and what was served to the session. */
  private async flag(listenId: string, s: SessionRow, covered: number, findings: RuleFinding[], t: Transaction, extra: Record<string, unknown> = {}): Promise<void> {
    // Evidence of what was served: flush the buffer so the log has this session's rows.
    await this.segmentLog.flush().catch(() => undefined);
    const served = await servedEvidence(this.ctx.db, s.id, t);
    const session = {
      sessionId: s.id,
      startedAt: new Date(s.started_at).toISOString(),
      coveredSeconds: Math.round(covered * 1000) / 1000,
      ...served,
    };
    for (const f of findings) {
      await execute(
        this.ctx.db,
        `INSERT INTO listening_flags (listen_id, rule, evidence) VALUES (:listenId, :rule, :evidence::jsonb)
         ON CONFLICT (listen_id, rule) DO NOTHING`,
        { listenId, rule: f.rule, evidence: JSON.stringify({ ...f.evidence, ...extra, session }) },
        t,
      );
    }
    this.log.info({ listenId, rules: findings.map((f) => f.rule), ...extra }, 'listen held by anomaly rules');
  }

  async getListen(id: string): Promise<Listen | undefined> {
    if (!uuidPattern.test(id)) return undefined;
    const row = await selectOne<ListenRow>(this.ctx.db, 'SELECT * FROM listens WHERE id = :id', { id });
    return row ? toListen(row) : undefined;
  }

  /**
   * A dispute's outcome for held listening: count it after all, or reject it for good. Held
   * listening is part of the daily report already, so counting it changes no reported figure;
   * a listen rejected after its day was reported corrects that day's report (a new version
   * without it).
   */
  async resolveHeldListen(listenId: string, decision: 'counted' | 'rejected', reason = `held listening ${decision} by dispute`): Promise<Listen> {
    if (!uuidPattern.test(listenId)) throw notFound('Listen');
    const listen = await this.ctx.db.transaction(async (t) => {
      const row = await selectOne<ListenRow>(
        this.ctx.db,
        "UPDATE listens SET status = :decision, updated_at = now() WHERE id = :id AND status = 'held' RETURNING *",
        { id: listenId, decision },
        t,
      );
      if (!row) throw conflict('not_held', 'That listen is not held');
      if (decision === 'rejected') await correctDay(this.ctx, this.pseudonyms, dayString(row.day), reason, t);
      return toListen(row);
    });
    // Counted at last: what follows qualified listens (a Listen to a remote track's home node) runs now.
    if (decision === 'counted') this.ctx.events.emit('listen.qualified', { listenId });
    return listen;
  }

  /** A listener's held listens for an artist in a month, with what was served (for a dispute's evidence). */
  async heldListens(userId: string, artist: string, month: string): Promise<HeldListenEvidence[]> {
    if (!monthPattern.test(month) || !uuidPattern.test(userId)) return [];
    const rows = await select<{ id: string; day: string; qualified_seconds: number; played_seconds: number; started_at: Date; rules: string[]; segments: string; first_served: Date | null; last_served: Date | null }>(
      this.ctx.db,
      `SELECT l.id, l.day::text AS day, l.qualified_seconds, s.played_seconds, s.started_at,
              coalesce((SELECT array_agg(DISTINCT f.rule ORDER BY f.rule) FROM listening_flags f WHERE f.listen_id = l.id), '{}') AS rules,
              g.segments, g.first_served, g.last_served
         FROM listens l JOIN listening_sessions s ON s.id = l.session_id
         LEFT JOIN LATERAL (SELECT count(*) AS segments, min(served_at) AS first_served, max(served_at) AS last_served
                              FROM segment_serves WHERE session_id = l.session_id) g ON true
        WHERE l.user_id = :userId AND l.artist_uri = :artist AND l.status = 'held'
          AND l.day >= :start::date AND l.day < (:start::date + interval '1 month')::date
        ORDER BY l.qualified_at, l.id`,
      { userId, artist, start: `${month}-01` },
    );
    const iso = (v: Date | null) => (v ? new Date(v).toISOString() : null);
    return rows.map((r) => ({
      listenId: r.id,
      day: r.day,
      qualifiedSeconds: Number(r.qualified_seconds),
      playedSeconds: Math.round(Number(r.played_seconds) * 10) / 10,
      rules: r.rules ?? [],
      segmentsServed: Number(r.segments),
      firstServedAt: iso(r.first_served),
      lastServedAt: iso(r.last_served),
      sessionStartedAt: new Date(r.started_at).toISOString(),
    }));
  }

  /**
   * A `Listen` from another node (idempotent by activity id): counts for the artist's statistics
   * only. Another node's word is all there is, so it is bounded: a public track, no more seconds
   * than the track lasts, a time neither in the future (beyond a small clock skew) nor older than
   * `remoteListens.maxAgeDays`, per remote actor at most `maxPlaysPerActorPerDay` listens and
   * `maxSecondsPerActorPerDay` seconds both per listen day and per 24 hours of arrival, and per
   * origin (the actor's host) `maxPlaysPerOriginPerDay` and `maxSecondsPerOriginPerDay` per 24
   * hours of arrival. A refused Listen
   * throws a 422 AppError whose code names the reason (federation stores the item as ignored).
   */
  async recordRemoteListen(input: RemoteListen): Promise<{ created: boolean }> {
    const l = remoteListenSchema.parse(input);
    const limits = this.settings.remoteListens;
    const origin = new URL(l.actorUri).host.toLowerCase();
    // The track is read before the transaction (media reads it through its own connection); a
    // refusal is thrown once the Listen is known not to be stored already.
    const checked = await this.checkRemoteListen(l).catch((err: Error) => err);
    return this.ctx.db.transaction(async (t) => {
      // One Listen of an origin (the actor's host) at a time, so the figures the caps read are exact.
      await execute(this.ctx.db, "SELECT pg_advisory_xact_lock(hashtext('remote-listen:' || :origin))", { origin }, t);
      // A redelivery of a Listen already stored changes nothing (and is not refused by a check or a cap it is part of).
      if (await selectOne(this.ctx.db, 'SELECT 1 FROM remote_listens WHERE activity_id = :id', { id: l.activityId }, t)) return { created: false };
      if (checked instanceof Error) throw checked;
      const { track, seconds } = checked;
      const figures = async (where: string, replacements: Record<string, unknown>) => {
        const r = await selectOne<{ plays: string; seconds: string }>(this.ctx.db, `SELECT count(*) AS plays, coalesce(sum(seconds), 0) AS seconds FROM remote_listens WHERE ${where}`, replacements, t);
        return { plays: Number(r!.plays), seconds: Number(r!.seconds) };
      };
      const capped = (what: string, has: { plays: number; seconds: number }, maxPlays: number, maxSeconds: number) => {
        if (has.plays + 1 <= maxPlays && has.seconds + seconds <= maxSeconds) return;
        throw refuseRemoteListen('remote_listen_daily_cap', `${what} would exceed the daily cap (${maxPlays} plays, ${maxSeconds} s); it has ${has.plays} plays, ${has.seconds} s`);
      };
      const at = l.at.toISOString();
      // Per actor and listen day (the day the statistics count it on); per actor and per origin
      // by arrival over the last 24 hours, so listens backdated across the time window cannot
      // multiply the daily cap, nor many actors of one node add up without bound.
      capped("The actor's listens of that day", await figures('actor_uri = :actor AND day = timezone(:tz, :at::timestamptz)::date', { actor: l.actorUri, tz: this.timeZone, at }), limits.maxPlaysPerActorPerDay, limits.maxSecondsPerActorPerDay);
      const lastDay = "received_at > now() - interval '24 hours'";
      capped("The actor's listens received in the last 24 hours", await figures(`actor_uri = :actor AND ${lastDay}`, { actor: l.actorUri }), limits.maxPlaysPerActorPerDay, limits.maxSecondsPerActorPerDay);
      capped(`The listens from ${origin} received in the last 24 hours`, await figures(`actor_host = :origin AND ${lastDay}`, { origin }), limits.maxPlaysPerOriginPerDay, limits.maxSecondsPerOriginPerDay);
      const row = await selectOne<{ activity_id: string }>(
        this.ctx.db,
        `INSERT INTO remote_listens (activity_id, actor_uri, actor_host, track_id, channel_id, channel_owner_id, seconds, listened_at, day)
         VALUES (:activityId, :actorUri, :origin, :trackId, :channelId, :ownerId, :seconds, :at, timezone(:tz, :at::timestamptz)::date)
         ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id`,
        {
          activityId: l.activityId,
          actorUri: l.actorUri,
          origin,
          trackId: String(track.id),
          channelId: String(track.channel.id),
          ownerId: track.channel.ownerId ?? null,
          seconds,
          at,
          tz: this.timeZone,
        },
        t,
      );
      return { created: Boolean(row) };
    });
  }

  /** A remote Listen's track and time checks; the seconds to store. */
  private async checkRemoteListen(l: z.output<typeof remoteListenSchema>): Promise<{ track: TrackForListening; seconds: number }> {
    const limits = this.settings.remoteListens;
    const track = await this.track(l.trackId);
    if (track.visibility !== 'public' || track.status !== 'ready') throw refuseRemoteListen('remote_listen_track_not_public', 'Listens from other nodes count only for public, ready tracks');
    const duration = track.durationSeconds;
    // Whole seconds travel (the sender rounds): up to the next whole second of the track's length.
    if (duration === null || !(duration > 0) || l.seconds > Math.ceil(duration)) {
      throw refuseRemoteListen('remote_listen_too_long', `${l.seconds} s is longer than the track (${duration ?? 'unknown'} s)`);
    }
    const now = Date.now();
    if (l.at.getTime() > now + limits.clockSkewSeconds * 1000) throw refuseRemoteListen('remote_listen_in_future', `The listen's time ${l.at.toISOString()} is in the future`);
    if (l.at.getTime() < now - limits.maxAgeDays * 86_400_000) throw refuseRemoteListen('remote_listen_too_old', `The listen's time ${l.at.toISOString()} is older than ${limits.maxAgeDays} days`);
    return { track, seconds: Math.floor(Math.min(l.seconds, duration) + epsilon) };
  }

  /**
   * A month's qualified listening per local listener and artist (for the month close),
   * counted and held listening in separate rows; rejected listening is left out.
   */
  async qualifiedSeconds(month: string): Promise<QualifiedSecondsRow[]> {
    if (!monthPattern.test(month)) throw new Error(`month must be YYYY-MM, got ${month}`);
    const rows = await select<{ user_id: string; artist_uri: string; channel_id: string; owner: string | null; held: boolean; track_id: string; seconds: string; plays: string }>(
      this.ctx.db,
      `SELECT user_id, artist_uri, channel_id, max(channel_owner_id) AS owner, status = 'held' AS held, track_id,
              sum(qualified_seconds) AS seconds, count(*) AS plays
         FROM listens
        WHERE day >= :start::date AND day < (:start::date + interval '1 month')::date AND status IN ('counted', 'held')
        GROUP BY user_id, artist_uri, channel_id, status, track_id
        ORDER BY user_id, artist_uri, held, track_id`,
      { start: `${month}-01` },
    );
    const out = new Map<string, QualifiedSecondsRow>();
    for (const r of rows) {
      const key = `${r.user_id}\u0000${r.artist_uri}\u0000${r.channel_id}\u0000${r.held}`;
      let agg = out.get(key);
      if (!agg) {
        agg = { userId: r.user_id, artist: r.artist_uri, artistChannelId: r.channel_id, artistUserId: r.owner, seconds: 0, plays: 0, held: r.held, tracks: [] };
        out.set(key, agg);
      }
      agg.seconds += Number(r.seconds);
      agg.plays += Number(r.plays);
      agg.tracks.push({ trackId: r.track_id, seconds: Number(r.seconds), plays: Number(r.plays) });
    }
    return [...out.values()];
  }

  /** A listener's own listening in a month: per artist, and the listens themselves (newest first). */
  async myListening(userId: string, month: string, limit = 100) {
    if (!monthPattern.test(month)) throw badRequest('invalid_month', 'month must be YYYY-MM');
    const range = { userId, start: `${month}-01`, limit };
    const where = "user_id = :userId AND day >= :start::date AND day < (:start::date + interval '1 month')::date";
    const artists = await select<{ artist_uri: string; seconds: string; plays: string; held_seconds: string; held_plays: string }>(
      this.ctx.db,
      `SELECT artist_uri,
              coalesce(sum(qualified_seconds) FILTER (WHERE status = 'counted'), 0) AS seconds, count(*) FILTER (WHERE status = 'counted') AS plays,
              coalesce(sum(qualified_seconds) FILTER (WHERE status = 'held'), 0) AS held_seconds, count(*) FILTER (WHERE status = 'held') AS held_plays
         FROM listens WHERE ${where} GROUP BY artist_uri ORDER BY seconds DESC, artist_uri`,
      range,
    );
    const listens = await select<ListenRow>(this.ctx.db, `SELECT * FROM listens WHERE ${where} ORDER BY qualified_at DESC, id LIMIT :limit`, range);
    return {
      month,
      artists: artists.map((a) => ({ artist: a.artist_uri, seconds: Number(a.seconds), plays: Number(a.plays), heldSeconds: Number(a.held_seconds), heldPlays: Number(a.held_plays) })),
      listens: listens.map(toListen),
    };
  }

  /** Flags with their evidence, newest first (admins). */
  async listFlags(opts: { limit: number; offset: number; status?: ListenStatus }) {
    const where = opts.status ? 'WHERE l.status = :status' : '';
    const rows = await select<{
      id: string; rule: string; evidence: Record<string, unknown>; created_at: Date;
      listen_id: string; user_id: string; username: string | null; track_id: string; artist_uri: string;
      qualified_seconds: number; qualified_at: Date; day: string; status: ListenStatus; held_reason: string | null; total: string;
    }>(
      this.ctx.db,
      `SELECT f.id, f.rule, f.evidence, f.created_at, l.id AS listen_id, l.user_id, u.username, l.track_id, l.artist_uri,
              l.qualified_seconds, l.qualified_at, l.day::text AS day, l.status, l.held_reason, count(*) OVER () AS total
         FROM listening_flags f JOIN listens l ON l.id = f.listen_id LEFT JOIN users u ON u.id = l.user_id
         ${where}
        ORDER BY f.created_at DESC, f.id LIMIT :limit OFFSET :offset`,
      { ...opts },
    );
    const items = await Promise.all(
      rows.map(async (r) => ({
        id: r.id,
        rule: r.rule,
        createdAt: new Date(r.created_at).toISOString(),
        evidence: r.evidence,
        listen: {
          id: r.listen_id,
          // Local to this node's admins; the pseudonym is what may leave the node.
          userId: r.user_id,
          username: r.username,
          pseudonym: await this.pseudonym(r.user_id, r.day.slice(0, 7)),
          trackId: r.track_id,
          artist: r.artist_uri,
          qualifiedSeconds: Number(r.qualified_seconds),
          qualifiedAt: new Date(r.qualified_at).toISOString(),
          day: r.day,
          status: r.status,
          heldReason: r.held_reason,
        },
      })),
    );
    return { total: Number(rows[0]?.total ?? 0), items };
  }

  /** Plays and qualified seconds per track and day for the channels an artist owns. */
  async artistStats(ownerId: string, range: { from: string; to: string }) {
    const rows = await select<{ track_id: string; day: string; origin: 'local' | 'remote'; plays: string; seconds: string | null; held: string }>(
      this.ctx.db,
      `SELECT track_id, day::text AS day, 'local' AS origin,
              count(*) FILTER (WHERE status = 'counted') AS plays,
              coalesce(sum(qualified_seconds) FILTER (WHERE status = 'counted'), 0) AS seconds,
              count(*) FILTER (WHERE status = 'held') AS held
         FROM listens WHERE channel_owner_id = :ownerId AND day BETWEEN :from::date AND :to::date
        GROUP BY track_id, day
       UNION ALL
       SELECT track_id, day::text, 'remote', count(*), coalesce(sum(seconds), 0), 0
         FROM remote_listens WHERE channel_owner_id = :ownerId AND day BETWEEN :from::date AND :to::date
        GROUP BY track_id, day
       ORDER BY track_id, day`,
      { ownerId, ...range },
    );
    type Day = { day: string; localPlays: number; localSeconds: number; remotePlays: number; remoteSeconds: number; heldPlays: number };
    const tracks = new Map<string, { trackId: string; localPlays: number; localSeconds: number; remotePlays: number; remoteSeconds: number; heldPlays: number; days: Map<string, Day> }>();
    const zero = () => ({ localPlays: 0, localSeconds: 0, remotePlays: 0, remoteSeconds: 0, heldPlays: 0 });
    for (const r of rows) {
      let tr = tracks.get(r.track_id);
      if (!tr) tracks.set(r.track_id, (tr = { trackId: r.track_id, ...zero(), days: new Map() }));
      let d = tr.days.get(r.day);
      if (!d) tr.days.set(r.day, (d = { day: r.day, ...zero() }));
      const plays = Number(r.plays);
      const seconds = Number(r.seconds ?? 0);
      if (r.origin === 'local') {
        d.localPlays += plays; d.localSeconds += seconds; d.heldPlays += Number(r.held);
        tr.localPlays += plays; tr.localSeconds += seconds; tr.heldPlays += Number(r.held);
      } else {
        d.remotePlays += plays; d.remoteSeconds += seconds;
        tr.remotePlays += plays; tr.remoteSeconds += seconds;
      }
    }
    const list = [...tracks.values()].map((t) => ({ ...t, plays: t.localPlays + t.remotePlays, seconds: t.localSeconds + t.remoteSeconds, days: [...t.days.values()] }));
    const totals = list.reduce(
      (a, t) => ({ plays: a.plays + t.plays, seconds: a.seconds + t.seconds, localPlays: a.localPlays + t.localPlays, localSeconds: a.localSeconds + t.localSeconds, remotePlays: a.remotePlays + t.remotePlays, remoteSeconds: a.remoteSeconds + t.remoteSeconds, heldPlays: a.heldPlays + t.heldPlays }),
      { plays: 0, seconds: 0, ...zero() },
    );
    return { from: range.from, to: range.to, timeZone: this.timeZone, totals, tracks: list };
  }
}
