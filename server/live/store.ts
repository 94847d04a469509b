// Live's tables: channels' keys and choices, streams, and the segments they wrote.
import type { Sequelize } from 'sequelize';
import { execute, select, selectOne } from '../db/index.js';
import type { LiveRendition } from './ladder.js';

export type StreamState = 'starting' | 'live' | 'reconnecting' | 'ended';

export interface LiveChannelRow {
  channel_id: string;
  key_hash: string | null;
  key_hint: string | null;
  key_created_at: Date | null;
  title: string | null;
  keep_replays: boolean;
  price_per_minute: string;
  free_minutes: string;
  subscriber_discount_percent: number;
}

/** What a stream costs, as its channel set it when it started. */
export interface LivePrice {
  pricePerMinute: number;
  freeMinutes: number;
  subscriberDiscountPercent: number;
}

export interface WatchStreamRow {
  id: string;
  request_key: string;
  payment_stream_id: string | null;
  stream_id: string;
  viewer_id: string;
  price_per_minute: string;
  opened_at: Date;
  watched_until: string;
  closed_at: Date | null;
  close_reason: string | null;
}

export const priceOfRow = (r: { price_per_minute: string | number; free_minutes: string | number; subscriber_discount_percent: number }): LivePrice => ({
  pricePerMinute: Number(r.price_per_minute),
  freeMinutes: Number(r.free_minutes),
  subscriberDiscountPercent: r.subscriber_discount_percent,
});

export interface StreamRow {
  id: string;
  channel_id: string;
  title: string;
  state: StreamState;
  end_reason: string | null;
  end_message: string | null;
  renditions: LiveRendition[];
  source: Record<string, unknown>;
  parts: number;
  peak_viewers: number;
  keep_replay: boolean;
  replay_track_id: string | null;
  replay_error: string | null;
  announced: boolean;
  price_per_minute: string;
  free_minutes: string;
  subscriber_discount_percent: number;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

export interface SegmentRow {
  seq: number;
  part: number;
  file: string;
  duration_ms: number;
  bytes: number;
  sha256: string;
  discontinuity: boolean;
}

export class LiveStore {
  constructor(private readonly db: Sequelize) {}

  channel(channelId: string): Promise<LiveChannelRow | undefined> {
    return selectOne<LiveChannelRow>(this.db, 'SELECT * FROM live_channels WHERE channel_id = :channelId', { channelId });
  }

  channelByKeyHash(keyHash: string): Promise<LiveChannelRow | undefined> {
    return selectOne<LiveChannelRow>(this.db, 'SELECT * FROM live_channels WHERE key_hash = :keyHash', { keyHash });
  }

  async setKey(channelId: string, keyHash: string | null, hint: string | null): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO live_channels (channel_id, key_hash, key_hint, key_created_at) VALUES (:channelId, :keyHash, :hint, CASE WHEN :keyHash::text IS NULL THEN NULL ELSE now() END)
       ON CONFLICT (channel_id) DO UPDATE SET key_hash = EXCLUDED.key_hash, key_hint = EXCLUDED.key_hint, key_created_at = EXCLUDED.key_created_at, updated_at = now()`,
      { channelId, keyHash, hint },
    );
  }

  async setChoices(channelId: string, choices: { title?: string | null; keepReplays?: boolean } & Partial<LivePrice>): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO live_channels (channel_id, title, keep_replays, price_per_minute, free_minutes, subscriber_discount_percent)
       VALUES (:channelId, :title, COALESCE(:keep, false), COALESCE(:price, 0), COALESCE(:free, 0), COALESCE(:discount, 0))
       ON CONFLICT (channel_id) DO UPDATE SET
         title = CASE WHEN :setTitle THEN EXCLUDED.title ELSE live_channels.title END,
         keep_replays = COALESCE(:keep, live_channels.keep_replays),
         price_per_minute = COALESCE(:price, live_channels.price_per_minute),
         free_minutes = COALESCE(:free, live_channels.free_minutes),
         subscriber_discount_percent = COALESCE(:discount, live_channels.subscriber_discount_percent),
         updated_at = now()`,
      {
        channelId, title: choices.title ?? null, setTitle: choices.title !== undefined, keep: choices.keepReplays ?? null,
        price: choices.pricePerMinute ?? null, free: choices.freeMinutes ?? null, discount: choices.subscriberDiscountPercent ?? null,
      },
    );
  }

  /** A new stream, or undefined when the channel already has one that has not ended. */
  async createStream(s: { id: string; channelId: string; title: string; keepReplay: boolean; price: LivePrice }): Promise<StreamRow | undefined> {
    return selectOne<StreamRow>(
      this.db,
      `INSERT INTO live_streams (id, channel_id, title, state, keep_replay, price_per_minute, free_minutes, subscriber_discount_percent)
       VALUES (:id, :channelId, :title, 'starting', :keepReplay, :price, :free, :discount)
       ON CONFLICT (channel_id) WHERE state <> 'ended' DO NOTHING RETURNING *`,
      { id: s.id, channelId: s.channelId, title: s.title, keepReplay: s.keepReplay, price: s.price.pricePerMinute, free: s.price.freeMinutes, discount: s.price.subscriberDiscountPercent },
    );
  }

  // ---- viewers' free minutes and watch streams ----

  /** The sequence number a viewer's free minutes started at: the first asked, once. */
  async freePass(streamId: string, viewer: string, seq: number): Promise<number> {
    const row = await selectOne<{ first_seq: number }>(
      this.db,
      `WITH ins AS (INSERT INTO live_free_passes (stream_id, viewer, first_seq) VALUES (:streamId, :viewer, :seq) ON CONFLICT DO NOTHING RETURNING first_seq)
       SELECT first_seq FROM ins UNION ALL SELECT first_seq FROM live_free_passes WHERE stream_id = :streamId AND viewer = :viewer LIMIT 1`,
      { streamId, viewer, seq },
    );
    return row!.first_seq;
  }

  /** The viewer's open (or opening: no payment stream yet) watch stream of a live stream. */
  openWatchStream(streamId: string, viewerId: string): Promise<WatchStreamRow | undefined> {
    return selectOne<WatchStreamRow>(this.db, 'SELECT * FROM live_watch_streams WHERE stream_id = :streamId AND viewer_id = :viewerId AND closed_at IS NULL', { streamId, viewerId });
  }

  /** Takes the viewer's one open slot before money is asked; undefined when it is taken (open, or opening). */
  beginWatchStream(w: { streamId: string; viewerId: string; requestKey: string; pricePerMinute: number; watchedUntil: number }): Promise<WatchStreamRow | undefined> {
    return selectOne<WatchStreamRow>(
      this.db,
      `INSERT INTO live_watch_streams (stream_id, viewer_id, request_key, price_per_minute, watched_until)
       VALUES (:streamId, :viewerId, :requestKey, :pricePerMinute, :watchedUntil) ON CONFLICT DO NOTHING RETURNING *`,
      w,
    );
  }

  /** Ties money's stream to the slot, unless the slot was undone meanwhile (undefined then). */
  async attachPayment(id: string, paymentStreamId: string): Promise<WatchStreamRow | undefined> {
    return selectOne<WatchStreamRow>(this.db, 'UPDATE live_watch_streams SET payment_stream_id = :paymentStreamId WHERE id = :id AND closed_at IS NULL RETURNING *', { id, paymentStreamId });
  }

  async watched(id: string, until: number): Promise<void> {
    await execute(this.db, 'UPDATE live_watch_streams SET watched_until = GREATEST(watched_until, :until) WHERE id = :id', { id, until });
  }

  openWatchStreamsOf(viewerId: string): Promise<WatchStreamRow[]> {
    return select<WatchStreamRow>(this.db, 'SELECT * FROM live_watch_streams WHERE viewer_id = :viewerId AND closed_at IS NULL', { viewerId });
  }

  /** The sequence number a viewer's free minutes started at, if they were served any. */
  async freePassOf(streamId: string, viewer: string): Promise<number | undefined> {
    return (await selectOne<{ first_seq: number }>(this.db, 'SELECT first_seq FROM live_free_passes WHERE stream_id = :streamId AND viewer = :viewer', { streamId, viewer }))?.first_seq;
  }

  /** Marks a watch stream closed (after money closed it: a crash in between leaves it open, and the next sweep closes it again, moving nothing twice). */
  async markClosed(id: string, reason: string): Promise<void> {
    await execute(this.db, 'UPDATE live_watch_streams SET closed_at = now(), close_reason = :reason WHERE id = :id AND closed_at IS NULL', { id, reason });
  }

  /**
   * Open watch streams of a live stream; or those nobody was served on since `idleBefore` (epoch
   * seconds), whose live stream ended, or left opening by a crash (no payment stream after 30 s).
   */
  openWatchStreams(filter: { streamId: string } | { idleBefore: number }): Promise<WatchStreamRow[]> {
    return 'streamId' in filter
      ? select<WatchStreamRow>(this.db, 'SELECT * FROM live_watch_streams WHERE stream_id = :streamId AND closed_at IS NULL', filter)
      : select<WatchStreamRow & { stream_state: StreamState }>(
        this.db,
        `SELECT w.*, s.state AS stream_state FROM live_watch_streams w JOIN live_streams s ON s.id = w.stream_id
          WHERE w.closed_at IS NULL
            AND (w.watched_until < :idleBefore OR s.state = 'ended' OR (w.payment_stream_id IS NULL AND w.opened_at < now() - interval '30 seconds'))
          LIMIT 500`,
        filter,
      );
  }

  stream(id: string): Promise<StreamRow | undefined> {
    return selectOne<StreamRow>(this.db, 'SELECT * FROM live_streams WHERE id = :id', { id });
  }

  current(channelId: string): Promise<StreamRow | undefined> {
    return selectOne<StreamRow>(this.db, "SELECT * FROM live_streams WHERE channel_id = :channelId AND state <> 'ended'", { channelId });
  }

  recent(channelId: string, limit = 10): Promise<StreamRow[]> {
    return select<StreamRow>(this.db, 'SELECT * FROM live_streams WHERE channel_id = :channelId ORDER BY created_at DESC LIMIT :limit', { channelId, limit });
  }

  /** Streams that are live now (listed once their first segment is out). */
  liveNow(limit = 200): Promise<StreamRow[]> {
    return select<StreamRow>(this.db, "SELECT * FROM live_streams WHERE state IN ('live', 'reconnecting') ORDER BY started_at DESC LIMIT :limit", { limit });
  }

  unfinished(): Promise<StreamRow[]> {
    return select<StreamRow>(this.db, "SELECT * FROM live_streams WHERE state <> 'ended'");
  }

  async update(id: string, set: Partial<{ state: StreamState; renditions: LiveRendition[]; source: Record<string, unknown>; parts: number; peak_viewers: number; announced: boolean; started: boolean }>): Promise<void> {
    const parts: string[] = [];
    const repl: Record<string, unknown> = { id };
    if (set.state) (parts.push('state = :state'), (repl.state = set.state));
    if (set.renditions) (parts.push('renditions = CAST(:renditions AS jsonb)'), (repl.renditions = JSON.stringify(set.renditions)));
    if (set.source) (parts.push('source = CAST(:source AS jsonb)'), (repl.source = JSON.stringify(set.source)));
    if (set.parts !== undefined) (parts.push('parts = :parts'), (repl.parts = set.parts));
    if (set.peak_viewers !== undefined) (parts.push('peak_viewers = GREATEST(peak_viewers, :peak)'), (repl.peak = set.peak_viewers));
    if (set.announced !== undefined) (parts.push('announced = :announced'), (repl.announced = set.announced));
    if (set.started) parts.push('started_at = COALESCE(started_at, now())');
    if (parts.length) await execute(this.db, `UPDATE live_streams SET ${parts.join(', ')} WHERE id = :id`, repl);
  }

  /** Ends a stream once: false when it had ended already. */
  async end(id: string, reason: string, message: string, peak: number): Promise<boolean> {
    const rows = await select(
      this.db,
      `UPDATE live_streams SET state = 'ended', end_reason = :reason, end_message = :message, ended_at = now(), peak_viewers = GREATEST(peak_viewers, :peak)
       WHERE id = :id AND state <> 'ended' RETURNING id`,
      { id, reason, message, peak },
    );
    return rows.length > 0;
  }

  async setReplay(id: string, trackId: string | null, error: string | null): Promise<void> {
    await execute(this.db, 'UPDATE live_streams SET replay_track_id = :trackId, replay_error = :error WHERE id = :id', { id, trackId, error });
  }

  async addSegment(streamId: string, rendition: string, s: SegmentRow): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO live_segments (stream_id, rendition, seq, part, file, duration_ms, bytes, sha256, discontinuity)
       VALUES (:streamId, :rendition, :seq, :part, :file, :duration, :bytes, :sha256, :discontinuity) ON CONFLICT DO NOTHING`,
      { streamId, rendition, seq: s.seq, part: s.part, file: s.file, duration: s.duration_ms, bytes: s.bytes, sha256: s.sha256, discontinuity: s.discontinuity },
    );
  }

  /** The last `limit` segments of a rendition, oldest first, with the count of discontinuities before them. */
  async window(streamId: string, rendition: string, limit: number): Promise<{ segments: SegmentRow[]; discontinuitiesBefore: number }> {
    const segments = (
      await select<SegmentRow>(
        this.db,
        'SELECT seq, part, file, duration_ms, bytes, sha256, discontinuity FROM live_segments WHERE stream_id = :streamId AND rendition = :rendition ORDER BY seq DESC LIMIT :limit',
        { streamId, rendition, limit },
      )
    ).reverse();
    const first = segments[0]?.seq ?? 0;
    const row = await selectOne<{ n: string }>(
      this.db,
      'SELECT count(*) AS n FROM live_segments WHERE stream_id = :streamId AND rendition = :rendition AND seq < :first AND discontinuity',
      { streamId, rendition, first },
    );
    return { segments, discontinuitiesBefore: Number(row?.n ?? 0) };
  }

  segment(streamId: string, rendition: string, seq: number): Promise<SegmentRow | undefined> {
    return selectOne<SegmentRow>(
      this.db,
      'SELECT seq, part, file, duration_ms, bytes, sha256, discontinuity FROM live_segments WHERE stream_id = :streamId AND rendition = :rendition AND seq = :seq',
      { streamId, rendition, seq },
    );
  }

  async hashes(streamId: string, rendition: string, from = 0): Promise<{ seq: number; sha256: string }[]> {
    return select<{ seq: number; sha256: string }>(
      this.db,
      'SELECT seq, sha256 FROM live_segments WHERE stream_id = :streamId AND rendition = :rendition AND seq >= :from ORDER BY seq',
      { streamId, rendition, from },
    );
  }
}
