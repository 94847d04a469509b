// Who may have a segment of a priced live stream. A stream is free, or priced per minute with the
// first minutes free for each viewer (a signed-in user, or else the client's network). After
// them a segment needs an L402 credential for its minute (money's metered flow) or a watch
// stream: a rate stream from the viewer's wallet to the artist that the node closes when the
// viewer stops being served (or the live stream ends), so the viewer pays the seconds watched.
// The channel's owner and admins always watch; subscribers pay less the artist's discount.
// Every answer on the segment path comes from memory after a viewer's first segment.
import { randomUUID } from 'node:crypto';
import type { User } from '../accounts/service.js';
import type { NodeContext } from '../context.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import type { SegmentRefusal } from '../http/segment-refusal.js';
import type { LiveSaleItem } from '../money/contract.js';
import type { Logger } from '../logger.js';
import { channelActorUri } from '../../shared/actor-uris.js';
import { priceOfRow, type LivePrice, type LiveStore, type StreamRow, type WatchStreamRow } from './store.js';
import type * as api from '../../shared/api/index.js';

/** A stream's price and sale item are read again after this long (a reconnect may change its renditions). */
const ITEM_TTL_MS = 5_000;
/** A viewer without a watch stream is looked up again after this long (another process may have opened one). */
const NO_WATCH_TTL_MS = 3_000;
/** How often what viewers were served reaches the database, and idle watch streams are closed. */
const FLUSH_MS = 5_000;
const MAX_CACHED = 50_000;
/** A watch stream's state is asked of money again after this long (another process may have closed it). */
const RECHECK_MS = 10_000;

interface Item {
  price: LivePrice;
  channelId: string;
  ownerId: string;
  ended: boolean;
  sale: LiveSaleItem;
  until: number;
}

interface Watch {
  /** The live_watch_streams row. */
  id: string;
  paymentStreamId: string;
  pricePerMinute: number;
  /** Epoch seconds: the escrow runs dry then unless topped up (checked again on the way). */
  runsDryAt: number;
  /** When money was last asked about it (Date.now()). */
  checkedAt: number;
  watchedUntil: number;
  flushedUntil: number;
}

export interface ViewerRequest {
  user: User | undefined;
  /** The client's network (free minutes of viewers not signed in). */
  network: string;
  authorization: string | undefined;
}

export interface LiveStreamInfo {
  row: StreamRow;
  channel: { id: string; name: string; ownerId: string };
}

export class LiveAccess {
  private readonly items = new Map<string, Item>();
  private readonly passes = new Map<string, number>();
  private readonly watches = new Map<string, Watch | { none: number }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ctx: NodeContext,
    private readonly store: LiveStore,
    private readonly log: Logger,
    private readonly streamInfo: (id: string) => Promise<LiveStreamInfo | undefined>,
    private readonly pageUrl: (id: string) => string,
    /** The newest segment's sequence number of a stream. */
    private readonly liveEdge: (streamId: string) => Promise<number | undefined>,
    /** The watch link a guest's watch stream of this stream draws on (live's watch links). */
    private readonly watchLinkCredit: (userId: string, stream: { id: string; channelId: string }) => Promise<string | undefined>,
  ) {}

  private get money() {
    return this.ctx.services.money.live;
  }

  private now(): number {
    return Math.floor(Date.now() / 1000);
  }

  /** Flushes what viewers were served and closes watch streams nobody is served on (every process that serves segments). */
  start(): void {
    this.timer = setInterval(() => void this.sweep().catch((err) => this.log.warn({ err }, 'live watch stream sweep failed')), FLUSH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  // ---- the stream's price, as money sells it ----

  /** The stream's price and sale item if known and fresh (the fast path: no waiting). */
  peekItem(id: string): Item | undefined {
    const hit = this.items.get(id);
    return hit && hit.until > Date.now() ? hit : undefined;
  }

  async item(id: string): Promise<Item | undefined> {
    const hit = this.items.get(id);
    if (hit && hit.until > Date.now()) return hit;
    const info = await this.streamInfo(id);
    if (!info) return undefined;
    const { row, channel } = info;
    const price = priceOfRow(row);
    const renditions = row.renditions.map((r) => ({ name: r.name, segmentCount: Number.MAX_SAFE_INTEGER, bitrateKbps: r.bitrateKbps, ...(r.height ? { height: r.height } : {}) }));
    const item: Item = {
      price,
      channelId: channel.id,
      ownerId: channel.ownerId,
      ended: row.state === 'ended',
      until: Date.now() + ITEM_TTL_MS,
      sale: {
        id: row.id,
        uri: this.pageUrl(row.id),
        artistUri: channelActorUri(this.ctx.config.publicUrl, channel.name),
        ownerId: channel.ownerId,
        title: row.title,
        access: 'metered',
        pricesPerMinute: Object.fromEntries(renditions.map((r) => [r.name, price.pricePerMinute])),
        renditions,
        timeline: {},
        live: { segmentSeconds: this.ctx.config.live.segmentSeconds, subscriberDiscountPercent: price.subscriberDiscountPercent, pricePerMinute: price.pricePerMinute },
      },
    };
    if (this.items.size >= MAX_CACHED) this.items.clear();
    this.items.set(id, item);
    return item;
  }

  private freeSegments(price: LivePrice): number {
    return Math.ceil((price.freeMinutes * 60) / this.ctx.config.live.segmentSeconds);
  }

  private viewerKey(v: Pick<ViewerRequest, 'user' | 'network'>): string {
    return v.user ? `u:${v.user.id}` : `a:${v.network}`;
  }

  // ---- the gate (every segment of a priced stream) ----

  /** Undefined: serve it. Otherwise why not, with the challenge for its minute. */
  async decide(streamId: string, rendition: string, seq: number, durationSeconds: number, v: ViewerRequest): Promise<SegmentRefusal | undefined> {
    const item = await this.item(streamId);
    if (!item || item.price.pricePerMinute === 0) return undefined;
    if (v.user && (v.user.id === item.ownerId || v.user.role === 'admin')) return undefined;
    if (v.authorization && /^(L402|LSAT) /i.test(v.authorization)) {
      const d = this.money.credential(item.sale, rendition, seq, v.authorization);
      return d.ok ? undefined : d;
    }
    if (v.user) {
      if ((await this.money.priceFor(item.sale, v.user.id)) === 0) return undefined;
      const watch = await this.watchOf(streamId, v.user.id);
      if (watch) {
        const state = await this.stillFunded(streamId, v.user.id, watch);
        // Closed elsewhere: the viewer may have opened another one in another process since.
        const now = state === 'closed' ? await this.currentWatch(streamId, v.user.id) : watch;
        if (state === 'ok' || (now && now.id !== watch.id)) {
          (now ?? watch).watchedUntil = Math.max((now ?? watch).watchedUntil, this.now() + Math.ceil(durationSeconds));
          return undefined;
        }
        if (state === 'wallet_empty') {
          const why = v.user.guest
            ? "The watch link's credit is used up: the watch stream stopped. Claim your account and top up your wallet to keep watching."
            : 'Your wallet ran out: the watch stream stopped. Top up your wallet and start it again to keep watching.';
          return this.refuse(item, rendition, seq, v, 'credit_exhausted', why);
        }
        return this.refuse(item, rendition, seq, v, 'payment_required', 'Your watch stream was stopped.');
      }
    }
    const free = this.freeSegments(item.price);
    if (free > 0) {
      const key = `${streamId}|${this.viewerKey(v)}`;
      let first = this.passes.get(key);
      // A pass made by another process (or before this one's cache was cleared) is the pass.
      if (first === undefined) first = await this.store.freePassOf(streamId, this.viewerKey(v));
      if (first === undefined) {
        // Free minutes start near the live edge only: asking for an old segment first spends none
        // of them (for a network, that would be everyone behind it).
        const edge = await this.liveEdge(streamId);
        if (edge !== undefined && seq < edge - this.ctx.config.live.playlistSegments) {
          return this.refuse(item, rendition, seq, v, 'payment_required', 'Free minutes are for watching live; older segments are paid.');
        }
        first = await this.store.freePass(streamId, this.viewerKey(v), seq);
        if (this.passes.size >= MAX_CACHED) this.passes.clear();
        this.passes.set(key, first);
      }
      // A player starts a few segments behind the live edge: those count as free too.
      if (seq >= first - this.ctx.config.live.playlistSegments && seq < first + free) return undefined;
      return this.refuse(item, rendition, seq, v, 'free_minutes_used', `The ${formatMinutes(item.price.freeMinutes)} free of this stream are used.`);
    }
    return this.refuse(item, rendition, seq, v, 'payment_required', 'This live stream is paid as you watch.');
  }

  private refuse(item: Item, rendition: string, seq: number, v: ViewerRequest, code: string, why: string): SegmentRefusal {
    const base = `${this.ctx.config.publicUrl}/api/v1/live/streams/${item.sale.id}`;
    const how = v.user
      ? `Keep watching with a watch stream (POST ${base}/watch-stream, charged per second watched) or buy minutes (POST ${base}/offers, then send "Authorization: L402 <macaroon>:<preimage>"), paid from your wallet.`
      : 'Sign in to keep watching, paid from your wallet as you watch.';
    const d = this.money.paymentRequired(item.sale, rendition, seq, code, `${why} ${how}`, {
      pricePerMinute: item.price.pricePerMinute,
      currency: this.ctx.services.money.currency,
      freeMinutes: item.price.freeMinutes,
      watchStream: `${base}/watch-stream`,
      offers: `${base}/offers`,
      wallet: `${this.ctx.config.publicUrl}/me`,
    });
    if (d.ok) throw new Error('a refusal was expected');
    return d;
  }

  private async watchOf(streamId: string, userId: string): Promise<Watch | undefined> {
    const key = `${streamId}|${userId}`;
    const hit = this.watches.get(key);
    if (hit && !('none' in hit)) return hit;
    if (hit && hit.none > Date.now()) return undefined;
    const row = await this.store.openWatchStream(streamId, userId);
    if (!row?.payment_stream_id) {
      this.cacheWatch(key, { none: Date.now() + NO_WATCH_TTL_MS });
      return undefined;
    }
    const watch = this.watchFrom(row, row.payment_stream_id, await this.money.watchStream(row.payment_stream_id));
    this.cacheWatch(key, watch);
    return watch;
  }

  /** The viewer's open watch stream as the database has it now (the cache is dropped when it names another). */
  private async currentWatch(streamId: string, userId: string): Promise<Watch | undefined> {
    const key = `${streamId}|${userId}`;
    const cached = this.watches.get(key);
    const row = await this.store.openWatchStream(streamId, userId);
    if (cached && !('none' in cached) && cached.id === row?.id) return cached;
    this.watches.delete(key);
    return this.watchOf(streamId, userId);
  }

  /** Closes at its start the money stream an open made under `requestKey`, if it made one. */
  private async undoOpen(viewerId: string, requestKey: string): Promise<string | undefined> {
    const made = await this.money.watchStreamByKey(viewerId, requestKey);
    if (made) await this.money.closeWatchStream(made.id, 0);
    return made?.id;
  }

  private cacheWatch(key: string, w: Watch | { none: number }): void {
    if (this.watches.size >= MAX_CACHED) for (const [k, x] of this.watches) if ('none' in x) this.watches.delete(k);
    this.watches.set(key, w);
  }

  private watchFrom(row: WatchStreamRow, paymentStreamId: string, stream: api.PaymentStream | undefined): Watch {
    const until = Number(row.watched_until);
    return {
      id: row.id,
      paymentStreamId,
      pricePerMinute: Number(row.price_per_minute),
      runsDryAt: stream?.runsDryAt && !stream.stoppedAt ? Math.floor(Date.parse(stream.runsDryAt) / 1000) : 0,
      checkedAt: Date.now(),
      watchedUntil: until,
      flushedUntil: until,
    };
  }

  /**
   * Whether the watch stream still pays: asked of money every RECHECK_MS (another process may
   * have closed it) and when its escrow is about to run dry (money tops it up on the way, or
   * finds the wallet empty: then it is closed here and the viewer is told).
   */
  private async stillFunded(streamId: string, userId: string, w: Watch): Promise<'ok' | 'wallet_empty' | 'closed'> {
    const now = this.now();
    if (Date.now() - w.checkedAt < RECHECK_MS && w.runsDryAt - now > 2 * this.ctx.config.live.segmentSeconds) return 'ok';
    w.checkedAt = Date.now();
    const stream = await this.money.watchStream(w.paymentStreamId);
    if (stream && !stream.stoppedAt && stream.runsDryAt) {
      w.runsDryAt = Math.floor(Date.parse(stream.runsDryAt) / 1000);
      if (w.runsDryAt > now) return 'ok';
    }
    if (stream?.stopReason === 'closed') {
      // Closed by another process of the node (the viewer's DELETE, its sweep), which marks the
      // row with its reason (or, had it crashed, the next sweep does): nothing more here.
      this.watches.delete(`${streamId}|${userId}`);
      return 'closed';
    }
    await this.close(streamId, userId, w, 'wallet_empty', w.watchedUntil);
    return 'wallet_empty';
  }

  // ---- watch streams (the viewer's word) ----

  /**
   * Opens a watch stream for the viewer (their open one, if any: one per viewer and stream, so a
   * retry opens nothing more). The viewer's slot is taken before money is asked, under a key
   * money's stream is made with: a crash in between is found by the sweep and undone.
   */
  async openWatch(user: User, streamId: string): Promise<{ watch: api.LiveWatch; opened: boolean }> {
    const item = await this.item(streamId);
    if (!item) throw notFound('Live stream');
    if (item.ended) throw conflict('stream_ended', 'This live stream has ended');
    if (item.price.pricePerMinute === 0) throw conflict('stream_free', 'This live stream is free: there is nothing to pay');
    if (user.id === item.ownerId) throw new AppError(400, 'invalid_recipient', 'Your own stream is free for you');
    if (user.role === 'admin') throw conflict('watches_free', 'Admins watch every stream of this node free');
    const price = await this.money.priceFor(item.sale, user.id);
    if (price === 0) throw conflict('subscriber_plays_free', 'You subscribe: this live stream is free for you');
    const existing = await this.currentWatch(streamId, user.id);
    if (existing) return { watch: await this.watchView(existing, streamId), opened: false };
    const requestKey = `live-watch:${randomUUID()}`;
    const slot = await this.store.beginWatchStream({ streamId, viewerId: user.id, requestKey, pricePerMinute: price, watchedUntil: this.now() });
    if (!slot) {
      const other = await this.store.openWatchStream(streamId, user.id);
      this.watches.delete(`${streamId}|${user.id}`);
      const theirs = other?.payment_stream_id ? await this.watchOf(streamId, user.id) : undefined;
      if (theirs) return { watch: await this.watchView(theirs, streamId), opened: false };
      throw new AppError(409, 'watch_stream_opening', 'Your watch stream is being opened; try again in a moment');
    }
    let stream: api.PaymentStream;
    try {
      // A guest from a watch link watches on its credit; everyone else on their wallet.
      const link = user.guest ? await this.watchLinkCredit(user.id, { id: streamId, channelId: item.channelId }) : undefined;
      stream = await this.money.openWatchStream(user, item.ownerId, price, requestKey, link);
    } catch (err) {
      // Money may have made the stream before failing: undo it (closed at its start, all returned).
      await this.undoOpen(user.id, requestKey).catch((e) => this.log.error({ err: e, requestKey }, 'undoing a failed watch stream open failed; the sweep tries again'));
      await this.store.markClosed(slot.id, 'open_failed');
      throw err;
    }
    if (!(await this.store.attachPayment(slot.id, stream.id))) {
      // The slot was undone meanwhile (a sweep took it for a crash's leftover): so is this stream.
      await this.money.closeWatchStream(stream.id, 0);
      throw new AppError(409, 'watch_stream_opening', 'Opening your watch stream took too long and was undone; try again');
    }
    this.watches.delete(`${streamId}|${user.id}`);
    const watch = await this.watchOf(streamId, user.id);
    if (!watch) throw new Error('the watch stream was not recorded');
    this.log.info({ streamId, viewer: user.id, paymentStream: watch.paymentStreamId, pricePerMinute: price }, 'live watch stream opened');
    return { watch: await this.watchView(watch, streamId), opened: true };
  }

  /** The viewer stops their watch stream now. */
  async closeWatch(user: User, streamId: string): Promise<api.LiveWatch> {
    const watch = await this.currentWatch(streamId, user.id);
    if (!watch) throw notFound('Open watch stream');
    // Another process may have served the viewer later than this one knows: the row has the latest.
    const row = await this.store.openWatchStream(streamId, user.id);
    const served = Math.max(watch.watchedUntil, Number(row?.watched_until ?? 0));
    const stream = await this.close(streamId, user.id, watch, 'viewer_stopped', Math.min(this.now(), served));
    return { paymentStream: stream, pricePerMinute: watch.pricePerMinute, streamId, open: false };
  }

  private async watchView(w: Watch, streamId: string): Promise<api.LiveWatch> {
    const stream = await this.money.watchStream(w.paymentStreamId);
    if (!stream) throw new Error('watch stream without its payment stream');
    return { paymentStream: stream, pricePerMinute: w.pricePerMinute, streamId, open: !stream.stoppedAt };
  }

  /** Money first (closing twice moves nothing), then the row: a crash in between is closed again by the next sweep. */
  private async close(streamId: string, userId: string, w: Watch, reason: string, at: number): Promise<api.PaymentStream> {
    const stream = await this.money.closeWatchStream(w.paymentStreamId, at);
    await this.store.watched(w.id, w.watchedUntil);
    await this.store.markClosed(w.id, reason);
    this.watches.delete(`${streamId}|${userId}`);
    this.log.info({ streamId, viewer: userId, paymentStream: w.paymentStreamId, reason, streamed: stream.streamed, stoppedAt: stream.stoppedAt }, 'live watch stream closed');
    return stream;
  }

  /** Every open watch stream of a viewer, closed now (a guest claiming their account). */
  async closeAllOf(userId: string): Promise<void> {
    for (const row of await this.store.openWatchStreamsOf(userId)) {
      if (!row.payment_stream_id && Date.now() - row.opened_at.getTime() < 30_000) continue; // being opened: it attaches or is undone
      await this.closeRow(row, 'viewer_stopped');
    }
  }

  /** Every open watch stream of a live stream that ended, at what each viewer was served. */
  async streamEnded(streamId: string): Promise<void> {
    this.items.delete(streamId);
    for (const row of await this.store.openWatchStreams({ streamId })) await this.closeRow(row, 'stream_ended').catch((err) => this.log.warn({ err, streamId }, 'closing a watch stream failed'));
  }

  private async closeRow(row: WatchStreamRow, reason: string): Promise<void> {
    if (!row.payment_stream_id) {
      // Left opening by a crash: money's stream (if it was made) closes at its start, all of it returned.
      const made = await this.undoOpen(row.viewer_id, row.request_key);
      await this.store.markClosed(row.id, 'open_failed');
      this.log.warn({ streamId: row.stream_id, viewer: row.viewer_id, paymentStream: made ?? null }, 'a watch stream left opening was undone');
      return;
    }
    const key = `${row.stream_id}|${row.viewer_id}`;
    const cached = this.watches.get(key);
    const w = cached && !('none' in cached) && cached.id === row.id ? cached : this.watchFrom(row, row.payment_stream_id, undefined);
    await this.close(row.stream_id, row.viewer_id, w, reason, Math.min(this.now(), Math.max(w.watchedUntil, Number(row.watched_until))));
  }

  /** Writes what viewers were served; closes watch streams idle past live.watchIdleSeconds, of ended streams, or left opening. */
  async sweep(): Promise<void> {
    for (const [key, w] of this.watches) {
      if ('none' in w) {
        if (w.none <= Date.now()) this.watches.delete(key);
        continue;
      }
      if (w.watchedUntil > w.flushedUntil) {
        await this.store.watched(w.id, w.watchedUntil);
        w.flushedUntil = w.watchedUntil;
      }
    }
    const idleBefore = this.now() - this.ctx.config.live.watchIdleSeconds;
    for (const row of await this.store.openWatchStreams({ idleBefore })) {
      const ended = (row as { stream_state?: string }).stream_state === 'ended';
      // Being opened right now: not a crash's leftover yet.
      if (!row.payment_stream_id && Date.now() - row.opened_at.getTime() < 30_000) continue;
      const cached = this.watches.get(`${row.stream_id}|${row.viewer_id}`);
      // Served here since the flush above: not idle.
      if (row.payment_stream_id && !ended && cached && !('none' in cached) && cached.watchedUntil >= idleBefore) continue;
      await this.closeRow(row, ended ? 'stream_ended' : 'viewer_left').catch((err) => this.log.warn({ err, watchStream: row.id }, 'closing a watch stream failed'));
    }
  }

  // ---- what the player shows ----

  async status(streamId: string, v: Pick<ViewerRequest, 'user' | 'network'>, liveEdge: number | undefined): Promise<api.LiveAccess> {
    const item = await this.item(streamId);
    if (!item) throw notFound('Live stream');
    const { price } = item;
    const mine = !!v.user && (v.user.id === item.ownerId || v.user.role === 'admin');
    const yours = mine ? 0 : await this.money.priceFor(item.sale, v.user?.id);
    const free = this.freeSegments(price);
    let freeSecondsLeft = price.freeMinutes * 60;
    const first = this.passes.get(`${streamId}|${this.viewerKey(v)}`) ?? (await this.store.freePassOf(streamId, this.viewerKey(v)));
    if (first !== undefined && liveEdge !== undefined) freeSecondsLeft = Math.max(0, (first + free - 1 - liveEdge) * this.ctx.config.live.segmentSeconds);
    const watch = v.user && yours > 0 ? await this.watchOf(streamId, v.user.id) : undefined;
    return {
      streamId,
      free: price.pricePerMinute === 0 || yours === 0,
      currency: this.ctx.services.money.currency,
      pricePerMinute: price.pricePerMinute,
      yourPricePerMinute: yours,
      freeMinutes: price.freeMinutes,
      freeSecondsLeft: Math.round(freeSecondsLeft),
      subscriberDiscountPercent: price.subscriberDiscountPercent,
      watchStream: watch ? (await this.watchView(watch, streamId)).paymentStream : null,
    };
  }
}

function formatMinutes(m: number): string {
  if (m >= 1) return `${m} minute${m === 1 ? '' : 's'}`;
  return `${Math.round(m * 60)} seconds`;
}
