// Listens from other nodes: federation hands each incoming `Listen` activity of a local track
// here. They count for the artist's statistics only (the listener's own node reports and pays
// them), and another node's word is all there is, so each is checked and capped.
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { AppError } from '../http/errors.js';
import type { RemoteListensStore, Figures } from './remote-listens-store.js';
import type { ListeningTrack, Tracks } from './tracks.js';

export const remoteListenSchema = z.object({
  activityId: z.string().url().max(2048),
  actorUri: z.string().url().max(2048),
  trackId: z.string().min(1).max(200),
  seconds: z.number().min(0).max(7 * 86_400),
  at: z.coerce.date(),
});
export type RemoteListen = z.input<typeof remoteListenSchema>;

/** A Listen from another node that this node does not count: the code names the reason. */
const refuse = (code: string, message: string) => new AppError(422, code, message);

const epsilon = 1e-6;

export class RemoteListens {
  constructor(
    private readonly ctx: NodeContext,
    private readonly store: RemoteListensStore,
    private readonly tracks: Tracks,
  ) {}

  /**
   * A `Listen` from another node (idempotent by activity id). It is bounded: a public track, no
   * more seconds than the track lasts, a time neither in the future (beyond a small clock skew)
   * nor older than `remoteListens.maxAgeDays`, per remote actor at most
   * `maxPlaysPerActorPerDay` listens and `maxSecondsPerActorPerDay` seconds both per listen day
   * and per 24 hours of arrival, and per origin (the actor's host) `maxPlaysPerOriginPerDay`
   * and `maxSecondsPerOriginPerDay` per 24 hours of arrival. A refused Listen throws a 422
   * AppError whose code names the reason (federation stores the item as ignored).
   */
  async record(input: RemoteListen): Promise<{ created: boolean }> {
    const l = remoteListenSchema.parse(input);
    const limits = this.ctx.config.listening.remoteListens;
    const timeZone = this.ctx.config.money.timeZone;
    const origin = new URL(l.actorUri).host.toLowerCase();
    // The track is read before the transaction (media reads it through its own connection); a
    // refusal is thrown once the Listen is known not to be stored already.
    const checked = await this.check(l).catch((err: Error) => err);
    return this.ctx.db.transaction(async (t) => {
      await this.store.lockOrigin(origin, t);
      // A redelivery of a Listen already stored changes nothing (and is not refused by a check or a cap it is part of).
      if (await this.store.has(l.activityId, t)) return { created: false };
      if (checked instanceof Error) throw checked;
      const { track, seconds } = checked;
      const capped = (what: string, has: Figures, maxPlays: number, maxSeconds: number) => {
        if (has.plays + 1 <= maxPlays && has.seconds + seconds <= maxSeconds) return;
        throw refuse('remote_listen_daily_cap', `${what} would exceed the daily cap (${maxPlays} plays, ${maxSeconds} s); it has ${has.plays} plays, ${has.seconds} s`);
      };
      const at = l.at.toISOString();
      // Per actor and listen day (the day the statistics count it on); per actor and per origin
      // by arrival over the last 24 hours, so listens backdated across the time window cannot
      // multiply the daily cap, nor many actors of one node add up without bound.
      capped("The actor's listens of that day", await this.store.actorDay(l.actorUri, at, timeZone, t), limits.maxPlaysPerActorPerDay, limits.maxSecondsPerActorPerDay);
      capped("The actor's listens received in the last 24 hours", await this.store.actorLastDay(l.actorUri, t), limits.maxPlaysPerActorPerDay, limits.maxSecondsPerActorPerDay);
      capped(`The listens from ${origin} received in the last 24 hours`, await this.store.originLastDay(origin, t), limits.maxPlaysPerOriginPerDay, limits.maxSecondsPerOriginPerDay);
      const created = await this.store.insert(
        { activityId: l.activityId, actorUri: l.actorUri, origin, trackId: track.id, channelId: track.channelId, ownerId: track.ownerId, seconds, at },
        timeZone,
        t,
      );
      return { created };
    });
  }

  /** A remote Listen's track and time checks; the seconds to store. */
  private async check(l: z.output<typeof remoteListenSchema>): Promise<{ track: ListeningTrack; seconds: number }> {
    const limits = this.ctx.config.listening.remoteListens;
    const track = await this.tracks.local(l.trackId);
    if (track.visibility !== 'public' || track.status !== 'ready') throw refuse('remote_listen_track_not_public', 'Listens from other nodes count only for public, ready tracks');
    const duration = track.durationSeconds;
    // Whole seconds travel (the sender rounds): up to the next whole second of the track's length.
    if (duration === null || !(duration > 0) || l.seconds > Math.ceil(duration)) {
      throw refuse('remote_listen_too_long', `${l.seconds} s is longer than the track (${duration ?? 'unknown'} s)`);
    }
    const now = Date.now();
    if (l.at.getTime() > now + limits.clockSkewSeconds * 1000) throw refuse('remote_listen_in_future', `The listen's time ${l.at.toISOString()} is in the future`);
    if (l.at.getTime() < now - limits.maxAgeDays * 86_400_000) throw refuse('remote_listen_too_old', `The listen's time ${l.at.toISOString()} is older than ${limits.maxAgeDays} days`);
    return { track, seconds: Math.floor(Math.min(l.seconds, duration) + epsilon) };
  }
}
