// What listening adds up to: a month's qualified listening per listener and artist (money's
// month close reads it), a listener's own month, and an artist's plays per track and day,
// local and from other nodes.
import type { NodeContext } from '../context.js';
import { select } from '../db/index.js';
import { assertMonth } from '../http/month.js';
import { requireMonth, type Month } from '../../shared/month.js';
import { compareKeys } from '../../shared/money/index.js';
import type { ListensStore } from './listens-store.js';
import type { RemoteListensStore } from './remote-listens-store.js';

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

interface PlayFigures {
  localPlays: number;
  localSeconds: number;
  remotePlays: number;
  remoteSeconds: number;
  heldPlays: number;
}

const zero = (): PlayFigures => ({ localPlays: 0, localSeconds: 0, remotePlays: 0, remoteSeconds: 0, heldPlays: 0 });

export class Statistics {
  constructor(
    private readonly ctx: NodeContext,
    private readonly listens: ListensStore,
    private readonly remoteListens: RemoteListensStore,
  ) {}

  /**
   * A month's qualified listening per local listener and artist (for the month close),
   * counted and held listening in separate rows; rejected listening is left out.
   */
  async qualifiedSeconds(month: Month): Promise<QualifiedSecondsRow[]> {
    const out = new Map<string, QualifiedSecondsRow>();
    for (const r of await this.listens.monthFigures(requireMonth(month))) {
      const key = `${r.userId}\u0000${r.artist}\u0000${r.channelId}\u0000${r.held}`;
      let agg = out.get(key);
      if (!agg) {
        agg = { userId: r.userId, artist: r.artist, artistChannelId: r.channelId, artistUserId: r.ownerId, seconds: 0, plays: 0, held: r.held, tracks: [] };
        out.set(key, agg);
      }
      agg.seconds += r.seconds;
      agg.plays += r.plays;
      agg.tracks.push({ trackId: r.trackId, seconds: r.seconds, plays: r.plays });
    }
    return [...out.values()];
  }

  /**
   * The most listened tracks since `since`: qualified listens counted on this node (its own
   * tracks and other nodes' played here) plus Listens other nodes reported for this node's
   * tracks. Held and rejected listens are left out.
   */
  async trending(since: Date, limit: number, channelId?: string): Promise<{ trackId: string; listens: number }[]> {
    const channel = channelId ? 'AND channel_id = :channelId' : '';
    const rows = await select<{ track_id: string; n: string }>(
      this.ctx.db,
      `SELECT track_id, sum(n) AS n FROM (
         SELECT track_id, count(*) AS n FROM listens WHERE day >= CAST(:sinceDay AS date) AND status = 'counted' AND qualified_at >= :since ${channel} GROUP BY track_id
         UNION ALL
         SELECT track_id, count(*) AS n FROM remote_listens WHERE day >= CAST(:sinceDay AS date) AND listened_at >= :since ${channel} GROUP BY track_id
       ) x GROUP BY track_id ORDER BY sum(n) DESC, track_id LIMIT :limit`,
      // The day columns (in the node's time zone, indexed: listens_day, remote_listens_day) narrow
      // the scan; a day's margin covers any zone.
      { since, sinceDay: new Date(since.getTime() - 86_400_000).toISOString().slice(0, 10), limit, channelId },
    );
    return rows.map((r) => ({ trackId: r.track_id, listens: Number(r.n) }));
  }

  /** The tracks a listener played last (a play session that played: a preloaded next track that never did is not), newest first, from the last 90 days. */
  async recentTracks(userId: string, limit: number): Promise<{ trackId: string; playedAt: string }[]> {
    const rows = await select<{ track_id: string; at: Date }>(
      this.ctx.db,
      `SELECT track_id, max(started_at) AS at FROM listening_sessions
        WHERE user_id = :userId AND started_at > now() - interval '90 days' AND played_seconds > 0 GROUP BY track_id ORDER BY max(started_at) DESC LIMIT :limit`,
      { userId, limit },
    );
    return rows.map((r) => ({ trackId: r.track_id, playedAt: new Date(r.at).toISOString() }));
  }

  /** A listener's own listening in a month: per artist, and the listens themselves (newest first). */
  async myListening(userId: string, month: Month, limit = 100) {
    return { month, ...(await this.listens.listenerMonth(userId, assertMonth(month), limit)) };
  }

  /** Plays and qualified seconds per track and day for the channels an artist owns. */
  async artistStats(ownerId: string, range: { from: string; to: string }) {
    const [local, remote] = await Promise.all([this.listens.ownerDays(ownerId, range), this.remoteListens.ownerDays(ownerId, range)]);
    const tracks = new Map<string, { trackId: string } & PlayFigures & { days: Map<string, { day: string } & PlayFigures> }>();
    const figuresOf = (trackId: string, day: string) => {
      let track = tracks.get(trackId);
      if (!track) tracks.set(trackId, (track = { trackId, ...zero(), days: new Map() }));
      let d = track.days.get(day);
      if (!d) track.days.set(day, (d = { day, ...zero() }));
      return [track, d];
    };
    for (const r of local) {
      for (const f of figuresOf(r.trackId, r.day)) {
        f.localPlays += r.plays;
        f.localSeconds += r.seconds;
        f.heldPlays += r.heldPlays;
      }
    }
    for (const r of remote) {
      for (const f of figuresOf(r.trackId, r.day)) {
        f.remotePlays += r.plays;
        f.remoteSeconds += r.seconds;
      }
    }
    const list = [...tracks.values()]
      .sort((a, b) => compareKeys(a.trackId, b.trackId))
      .map((t) => ({ ...t, plays: t.localPlays + t.remotePlays, seconds: t.localSeconds + t.remoteSeconds, days: [...t.days.values()].sort((a, b) => compareKeys(a.day, b.day)) }));
    const totals = list.reduce(
      (a, t) => ({ plays: a.plays + t.plays, seconds: a.seconds + t.seconds, localPlays: a.localPlays + t.localPlays, localSeconds: a.localSeconds + t.localSeconds, remotePlays: a.remotePlays + t.remotePlays, remoteSeconds: a.remoteSeconds + t.remoteSeconds, heldPlays: a.heldPlays + t.heldPlays }),
      { plays: 0, seconds: 0, ...zero() },
    );
    return { from: range.from, to: range.to, timeZone: this.ctx.config.money.timeZone, totals, tracks: list };
  }
}
