// Listens that listeners' apps submit (Subsonic `scrobble`, ListenBrainz `submit-listens`). Each is
// stored for the listener's own statistics (`submitted_listens`) and matched to a play session
// of theirs that this node served: the same track (by its id, or by title and artist) started
// around the listen's time. A match confirms the session; a Subsonic scrobble also reports the
// session's progress, so its listen qualifies by the bytes the node served, as the web player's
// does. An unmatched listen never counts: the node did not serve it.
import type { NodeContext } from '../context.js';
import { execute, select, selectOne } from '../db/index.js';
import { AppError } from '../http/errors.js';
import type { Plays, ProgressResult } from './plays.js';

export type ListenSource = 'listenbrainz' | 'subsonic';

export interface SubmittedListen {
  /** When the playback started (ListenBrainz's listened_at; Subsonic's `time`). */
  listenedAt: Date;
  artistName: string;
  trackName: string;
  releaseName?: string | null;
  durationSeconds?: number | null;
  /** A track of this node the app names (a Subsonic song id; ListenBrainz additional_info). */
  trackId?: string | null;
  payload: Record<string, unknown>;
}

export interface SubmitOutcome {
  /** Listens stored (a listen submitted twice is stored once). */
  stored: number;
  /** Listens matched to a play session this node served. */
  matched: number;
  /** The progress of matched sessions, when progress was reported (Subsonic scrobble). */
  progress: ProgressResult[];
}

interface SessionNear {
  id: string;
  track_id: string;
  started_at: Date;
  confirmed_at: Date | null;
}

/** How far before a listen's time its play session may have started (prefetching apps ask for the next track early; playback may pause). */
const matchBeforeSeconds = 3 * 3600;
/** How far after it (clocks differ; an app may send the time it submitted). */
const matchAfterSeconds = 15 * 60;

/** Case, accents, punctuation and spacing folded, for matching by title and artist. */
const fold = (s: string | null | undefined) =>
  (s ?? '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

export class AppListens {
  constructor(
    private readonly ctx: NodeContext,
    private readonly plays: Plays,
  ) {}

  async submit(userId: string, source: ListenSource, listens: SubmittedListen[], opts: { reportProgress: boolean }): Promise<SubmitOutcome> {
    const out: SubmitOutcome = { stored: 0, matched: 0, progress: [] };
    for (const l of listens) {
      const session = await this.match(userId, l);
      if (session) {
        out.matched++;
        // Only a door that reports progress (a Subsonic scrobble) uses the session up: a
        // ListenBrainz listen of it is noted, and leaves it for the app's scrobble.
        if (opts.reportProgress) {
          const progress = await this.claimWholeTrack(userId, session.id);
          if (progress) out.progress.push(progress);
          await execute(this.ctx.db, 'UPDATE listening_sessions SET confirmed_at = coalesce(confirmed_at, now()) WHERE id = :id', { id: session.id });
        }
      }
      const row = await selectOne(
        this.ctx.db,
        `INSERT INTO submitted_listens (user_id, source, listened_at, artist_name, track_name, release_name, duration_seconds, track_id, session_id, payload)
         VALUES (:userId, :source, :at, :artist, :title, :release, :duration, :trackId, :sessionId, :payload::jsonb)
         ON CONFLICT DO NOTHING RETURNING id`,
        {
          userId,
          source,
          at: l.listenedAt,
          artist: l.artistName,
          title: l.trackName,
          release: l.releaseName ?? null,
          duration: l.durationSeconds ?? null,
          trackId: session?.track_id ?? l.trackId ?? null,
          sessionId: session?.id ?? null,
          payload: JSON.stringify(l.payload),
        },
      );
      if (row) out.stored++;
    }
    return out;
  }

  /** The listener's latest unconfirmed session of the listen's track that started around its time. */
  private async match(userId: string, l: SubmittedListen): Promise<SessionNear | undefined> {
    const sessions = await select<SessionNear>(
      this.ctx.db,
      `SELECT id, track_id, started_at, confirmed_at FROM listening_sessions
        WHERE user_id = :userId AND confirmed_at IS NULL
          AND started_at BETWEEN :at::timestamptz - make_interval(secs => :before) AND :at::timestamptz + make_interval(secs => :after)
        ORDER BY started_at DESC LIMIT 200`,
      { userId, at: l.listenedAt, before: matchBeforeSeconds + (l.durationSeconds ?? 0), after: matchAfterSeconds },
    );
    if (l.trackId) return sessions.find((s) => s.track_id === l.trackId);
    const title = fold(l.trackName);
    const artist = fold(l.artistName);
    const checked = new Map<string, boolean>();
    for (const s of sessions) {
      let same = checked.get(s.track_id);
      if (same === undefined) {
        const track = await this.ctx.services.media.getTrack(s.track_id);
        same = !!track && fold(track.title) === title && [track.artist, track.channel.displayName, track.channel.name].some((a) => fold(a) === artist);
        checked.set(s.track_id, same);
      }
      if (same) return s;
    }
    return undefined;
  }

  /** The app says the track was played: the claim is the whole track; only what was served to the session covers it. */
  private async claimWholeTrack(userId: string, sessionId: string): Promise<ProgressResult | undefined> {
    const s = await selectOne<{ track_duration_seconds: number | null }>(this.ctx.db, 'SELECT track_duration_seconds FROM listening_sessions WHERE id = :id', { id: sessionId });
    const duration = Number(s?.track_duration_seconds ?? 0);
    if (!(duration > 0)) return undefined;
    try {
      return await this.plays.reportProgress(userId, sessionId, { positionSeconds: duration, playedSeconds: duration, state: 'ended' });
    } catch (err) {
      // A session the player already ended keeps what it reported.
      if (err instanceof AppError && err.code === 'session_ended') return undefined;
      throw err;
    }
  }
}
