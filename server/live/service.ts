// Live: who may push (stream keys), the streams running in this process, what viewers and
// artists see of them, and what happens when one ends (announcement, replay, clean-up).
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { NodeContext } from '../context.js';
import type { User } from '../accounts/service.js';
import { AppError, conflict, forbidden, notFound } from '../http/errors.js';
import { WindowLimit } from '../http/window-limit.js';
import { clientNetwork } from '../http/client-address.js';
import { ffmpegPath } from '../media/ffmpeg.js';
import { channelActorUri, localChannelNameOf } from '../../shared/actor-uris.js';
import { isUuid } from '../../shared/ids.js';
import { select } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { LiveApi, LiveStreamView, ChannelLiveView, LiveDirectory, LiveAccessView } from './contract.js';
import type * as api from '../../shared/api/index.js';
import type { LiveStreamForListening } from '../listening/contract.js';
import { LiveStore, priceOfRow, type LiveChannelRow, type LivePrice, type StreamRow, type SegmentRow } from './store.js';
import { LiveAccess, type ViewerRequest } from './access.js';
import { WatchLinks } from './watch-links.js';
import type { SegmentRefusal } from '../http/segment-refusal.js';
import type { LiveCatalogPort } from '../money/contract.js';
import { LiveSession, type LiveChannel } from './session.js';
import { RtmpListener, type PublishAnswer, type PublishRequest } from './rtmp-adapter.js';
import { hashOfKey, looksLikeKey, newStreamKey } from './keys.js';
import { LiveEventHub } from './events-hub.js';
import { masterPlaylist, mediaPlaylist } from './playlists.js';
import type { EndReason } from './end-reasons.js';
import type { LiveRendition } from './ladder.js';

const refuse = (reason: string, message: string): PublishAnswer => ({ accept: false, reason, message });

/**
 * How often the ingest checks that its streams may go on: another process of the node (the
 * worker running an account's deletion, a web process where a moderator acted) cannot reach
 * the sessions of this one, so each process looks at the database for its own.
 */
const sessionCheckMs = 3000;
const accountDeletedMessage = "The channel's account is being deleted.";

export class LiveService implements LiveApi {
  readonly store: LiveStore;
  readonly hub: LiveEventHub;
  readonly root: string;
  readonly access: LiveAccess;
  readonly watchLinks: WatchLinks;
  /** Priced live streams, as money sells them. */
  readonly catalog: LiveCatalogPort = {
    // An ended stream sells nothing more (an invoice made before its end cannot be paid after it).
    saleItem: async (id) => {
      const item = isUuid(id) ? await this.access.item(id) : undefined;
      return item && !item.ended ? item.sale : undefined;
    },
    segmentHashes: async (id, rendition, from, to) => (await this.store.hashes(id, rendition)).filter((h) => h.seq >= from && h.seq <= to).map((h) => h.sha256),
  };
  private readonly sessions = new Map<string, LiveSession>();
  /** Pushes past the key check and not yet a session (the cap counts them). */
  private admitting = 0;
  private readonly badKeys: WindowLimit;
  private listener?: RtmpListener;
  private sessionCheck?: NodeJS.Timeout;
  /** Sessions ended because their account is being deleted: they leave no replay. */
  private readonly endedForDeletion = new Set<string>();
  /** The RTMP port in use (0 until listening). */
  rtmpPort = 0;
  private readonly log: Logger;

  constructor(private readonly ctx: NodeContext) {
    this.store = new LiveStore(ctx.db);
    this.log = ctx.logger.child({ component: 'live' });
    this.root = path.join(ctx.config.dataDir, 'live');
    this.hub = new LiveEventHub(() => ctx.config.live.eventStreamsPerAddress, () => ctx.config.live.eventStreams);
    this.badKeys = new WindowLimit(ctx.config.live.badKeysPerMinutePerAddress);
    this.access = new LiveAccess(ctx, this.store, this.log, (id) => this.streamInfo(id), (id) => this.pageUrl(id), (id) => this.liveEdge(id), (userId, stream) => this.watchLinks.creditFor(userId, stream));
    this.watchLinks = new WatchLinks({
      ctx,
      db: ctx.db,
      log: this.log,
      ownedChannel: (user, ref) => this.ownedChannel(user, ref),
      currentStream: (channelId) => this.store.current(channelId),
      stream: (id) => (isUuid(id) ? this.store.stream(id) : Promise.resolve(undefined)),
      closeWatchStreamsOf: (userId) => this.access.closeAllOf(userId),
    });
    ctx.services.money.onTipReceived((tip) => {
      const name = localChannelNameOf(ctx.config.publicUrl, tip.artistUri);
      const session = name ? [...this.sessions.values()].find((s) => s.channel.name === name && s.live) : undefined;
      if (session) this.hub.emit(session.id, 'tip', { amount: tip.amount, currency: tip.currency, message: tip.message, from: tip.tipperUri, at: tip.at });
    });
  }

  get liveSessions(): number {
    return [...this.sessions.values()].filter((s) => s.live).length;
  }

  // ---- ingest -------------------------------------------------------------------------

  /** Ends what a crash or restart left "live", removes folders no stream owns, opens the RTMP port. */
  async start(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    // Every process serving segments keeps its viewers' watch streams.
    this.access.start();
    const c = this.ctx.config.live;
    // Only the ingesting process cleans up: a web process with live off must not end streams another one runs.
    if (!c.enabled) return;
    for (const row of await this.store.unfinished()) {
      if (this.sessions.has(row.id)) continue;
      await this.store.end(row.id, 'node_restarted', 'The node restarted while the stream was live.', 0);
      this.log.warn({ streamId: row.id }, 'live stream left unfinished by a previous run ended');
      if (row.announced) await this.announce(row.channel_id, row.id, row.title, 'ended').catch((err) => this.log.warn({ err }, 'end announcement failed'));
    }
    for (const entry of await readdir(this.root)) if (!this.sessions.has(entry)) await rm(path.join(this.root, entry), { recursive: true, force: true });
    this.listener = new RtmpListener({ host: c.rtmpHost, port: c.rtmpPort, logger: this.log, authorize: (req) => this.authorize(req), maxConnectionsPerAddress: () => this.ctx.config.live.rtmpConnectionsPerAddress, addressKey: (a) => clientNetwork(a, this.ctx.config.auth.throttle.ipv6PrefixLength) });
    this.sessionCheck = setInterval(() => void this.checkSessions().catch((err) => this.log.warn({ err }, 'live session check failed')), sessionCheckMs);
    this.sessionCheck.unref();
    try {
      this.rtmpPort = await this.listener.listen();
      this.log.info({ port: this.rtmpPort, host: c.rtmpHost }, 'rtmp ingest listening');
    } catch (err) {
      // A taken port leaves the rest of the node serving; the admin sees it in the log and at /api/v1/live/ingest.
      this.listener = undefined;
      this.log.error({ err, port: c.rtmpPort }, 'rtmp ingest could not listen; live pushes are off');
    }
  }

  async stop(): Promise<void> {
    if (this.sessionCheck) clearInterval(this.sessionCheck);
    this.access.stop();
    await this.listener?.close();
    await Promise.all([...this.sessions.values()].map((s) => s.end('node_stopping')));
    this.hub.close();
  }

  /** Decides a push before any transcoding: the key names a channel that is not live already, and the node has room. */
  async authorize(req: PublishRequest): Promise<PublishAnswer> {
    const c = this.ctx.config.live;
    if (req.app !== 'live') return refuse('wrong_app', 'Push to rtmp://<host>/live/<stream key>.');
    // Counted per client network (an IPv6 client's whole prefix), as the connection limit is.
    const network = clientNetwork(req.remoteAddress, this.ctx.config.auth.throttle.ipv6PrefixLength);
    if (this.badKeys.peek(network) >= c.badKeysPerMinutePerAddress) {
      return refuse('too_many_bad_keys', 'Too many wrong stream keys from this address; wait a minute.');
    }
    const row = looksLikeKey(req.key) ? await this.store.channelByKeyHash(hashOfKey(req.key)) : undefined;
    if (!row) {
      this.badKeys.take(network);
      this.log.warn({ remoteAddress: req.remoteAddress, reason: req.key ? 'unknown_key' : 'no_key' }, 'rtmp push refused: wrong stream key');
      return refuse('bad_key', 'The stream key is not valid (it may have been rotated).');
    }
    const channel = await this.ctx.services.media.getChannel(row.channel_id);
    if (!channel) return refuse('bad_key', 'The stream key is not valid (its channel is gone).');
    // A suspended or silenced account publishes nothing, live included (its key stays valid for later).
    const owner = await this.ctx.services.accounts.byId(channel.ownerId);
    if (!owner || owner.disabled || owner.silenced || owner.deleted) {
      this.log.warn({ channel: channel.name, remoteAddress: req.remoteAddress }, 'rtmp push refused: the account may not publish');
      return refuse('not_allowed', "This channel's account may not stream now (suspended or silenced by a moderator).");
    }
    const running = [...this.sessions.values()].find((s) => s.channel.id === channel.id && s.live);
    if (running) {
      if (running.state === 'reconnecting') return { accept: true, session: running.attach(req.close) };
      this.log.warn({ channel: channel.name, remoteAddress: req.remoteAddress }, 'rtmp push refused: channel already live');
      return refuse('already_live', 'This channel is live already; stop the other push first.');
    }
    // Pushes being admitted right now count too: two at once cannot both take the last place.
    if (this.liveSessions + this.admitting >= c.maxConcurrentStreams) {
      this.log.warn({ channel: channel.name, max: c.maxConcurrentStreams }, 'rtmp push refused: node at its live stream limit');
      return refuse('node_full', 'This node is at its limit of live streams; try again later.');
    }
    this.admitting++;
    try {
      return await this.admit(req, channel, row);
    } finally {
      this.admitting--;
    }
  }

  private async admit(req: PublishRequest, channel: { id: string; name: string; displayName: string; ownerId: string }, row: LiveChannelRow): Promise<PublishAnswer> {
    const id = randomUUID();
    const title = row.title?.trim() || `${channel.displayName} live`;
    const created = await this.store.createStream({ id, channelId: channel.id, title, keepReplay: row.keep_replays, price: priceOfRow(row) });
    if (!created) return refuse('already_live', 'This channel is live already; stop the other push first.');
    const session = new LiveSession(id, { id: channel.id, name: channel.name, displayName: channel.displayName, ownerId: channel.ownerId }, title, row.keep_replays, this.root, {
      config: () => this.ctx.config.live,
      logger: this.log,
      store: this.store,
      started: (s) => this.onStarted(s),
      ended: (s, reason) => this.onEnded(s, reason),
      emit: (streamId, event, data) => this.hub.emit(streamId, event, data),
    });
    try {
      await mkdir(session.dir, { recursive: true });
    } catch (err) {
      // The row must not stay "starting" (it would hold the channel): it ends with the reason.
      this.log.error({ err, streamId: id }, 'live stream folder could not be made');
      await this.store.end(id, 'transcoder_failed', 'The node could not make the stream\'s folder (see its log).', 0);
      return refuse('node_error', 'The node could not start the stream; try again later.');
    }
    this.sessions.set(id, session);
    return { accept: true, session: session.attach(req.close) };
  }

  private async onStarted(s: LiveSession): Promise<void> {
    await this.announce(s.channel.id, s.id, s.title, 'started');
    await this.store.update(s.id, { announced: true });
  }

  private async announce(channelId: string, streamId: string, title: string, state: 'started' | 'ended'): Promise<void> {
    await this.ctx.services.federation.announceStream({ channel: channelId, streamId, state, name: title, url: this.pageUrl(streamId), hls: `${this.hlsBase(streamId)}/master.m3u8` });
  }

  private async onEnded(s: LiveSession, reason: EndReason): Promise<void> {
    const row = await this.store.stream(s.id);
    if (row?.announced) await this.announce(s.channel.id, s.id, s.title, 'ended').catch((err) => this.log.warn({ err, streamId: s.id }, 'end announcement failed'));
    setTimeout(() => this.hub.close(s.id), 1000).unref();
    await this.access.streamEnded(s.id).catch((err) => this.log.warn({ err, streamId: s.id }, 'closing watch streams failed'));
    try {
      if (s.keepReplay && row?.started_at && reason !== 'node_stopping' && !this.endedForDeletion.has(s.id)) await this.makeReplay(s);
    } finally {
      this.endedForDeletion.delete(s.id);
      this.sessions.delete(s.id);
      await rm(s.dir, { recursive: true, force: true });
    }
  }

  /** The pushed recording (every part, joined) becomes an ordinary track of the channel. */
  private async makeReplay(s: LiveSession): Promise<void> {
    if (s.recordingLost) return void (await this.store.setReplay(s.id, null, 'The recording fell behind the disk and was dropped: no replay was kept.'));
    const parts: string[] = [];
    for (const f of s.recordings()) if (((await stat(f).catch(() => undefined))?.size ?? 0) > 1024) parts.push(f);
    if (!parts.length) return;
    const out = path.join(s.dir, `replay-${s.id}.mp4`);
    const list = path.join(s.dir, 'parts.txt');
    await writeFile(list, parts.map((p) => `file '${p.replace(/'/g, "'\\''")}'`).join('\n'));
    try {
      await run(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', out]);
      const date = (s.startedAt ?? new Date()).toISOString().slice(0, 10);
      // A priced stream's replay is not given away: it is kept private for the artist to publish (or meter) as they choose.
      const priced = ((await this.store.stream(s.id))?.price_per_minute ?? '0') !== '0';
      const { trackId } = await this.ctx.services.media.importRecording({ channelId: s.channel.id, file: out, title: `${s.title} (live ${date})`, visibility: priced ? 'private' : 'public' });
      await this.store.setReplay(s.id, trackId, null);
      this.log.info({ streamId: s.id, trackId }, 'live replay kept as a track');
    } catch (err) {
      const message = (err as Error).message.slice(0, 500);
      await this.store.setReplay(s.id, null, message);
      this.log.warn({ err, streamId: s.id }, 'live replay could not be made');
    }
  }

  // ---- artists ------------------------------------------------------------------------

  private async ownedChannel(user: User, channelRef: string) {
    const channel = await this.ctx.services.media.getChannel(channelRef);
    if (!channel) throw notFound('Channel');
    if (channel.ownerId !== user.id && user.role !== 'admin') throw forbidden('Only the channel owner (or an admin) manages its live streams');
    return channel;
  }

  /** A new stream key (the old one stops working at once); shown this once. */
  async rotateKey(user: User, channelRef: string): Promise<{ key: string; keyHint: string; server: string; url: string }> {
    const channel = await this.ownedChannel(user, channelRef);
    const k = newStreamKey();
    await this.store.setKey(channel.id, k.hash, k.hint);
    this.log.info({ channel: channel.name, by: user.id }, 'stream key rotated');
    return { key: k.key, keyHint: k.hint, server: this.rtmpServer(), url: `${this.rtmpServer()}/${k.key}` };
  }

  async revokeKey(user: User, channelRef: string): Promise<void> {
    const channel = await this.ownedChannel(user, channelRef);
    await this.store.setKey(channel.id, null, null);
    this.log.info({ channel: channel.name, by: user.id }, 'stream key revoked');
  }

  async setChoices(user: User, channelRef: string, choices: { title?: string | null; keepReplays?: boolean } & Partial<LivePrice>): Promise<ChannelLiveView> {
    const channel = await this.ownedChannel(user, channelRef);
    await this.store.setChoices(channel.id, choices);
    return this.channelLive(user, channel.id);
  }

  /** Ends the live streams of a user's channels (a moderator suspended or silenced the account). */
  async endStreamsOf(userId: string): Promise<number> {
    const sessions = [...this.sessions.values()].filter((s) => s.channel.ownerId === userId && s.live);
    await Promise.all(sessions.map((s) => s.end('account_restricted')));
    if (sessions.length) this.log.info({ userId, streams: sessions.length }, 'live streams ended: the account was suspended or silenced');
    return sessions.length;
  }

  /**
   * Ends this process's streams whose account may no longer stream: deleted or being deleted
   * (its channel's live settings gone, or the account closed), suspended or silenced. The same
   * process learns of a moderator's measure at once ('account.standing'); this finds what other
   * processes did.
   */
  private async checkSessions(): Promise<void> {
    const running = [...this.sessions.values()].filter((s) => s.live);
    if (!running.length) return;
    const rows = await select<{ channel_id: string }>(this.ctx.db, 'SELECT channel_id FROM live_channels WHERE channel_id IN (:ids)', { ids: running.map((s) => s.channel.id) });
    const kept = new Set(rows.map((r) => r.channel_id));
    for (const s of running) {
      const owner = await this.ctx.services.accounts.byId(s.channel.ownerId);
      if (!kept.has(s.channel.id) || !owner || owner.deleted) void this.endForDeletion(s);
      else if (owner.disabled || owner.silenced) void s.end('account_restricted');
    }
  }

  private endForDeletion(s: LiveSession): Promise<void> {
    this.endedForDeletion.add(s.id);
    return s.end('account_restricted', accountDeletedMessage);
  }

  /**
   * Live's part of deleting an account: ends the channels' streams running in this process (no
   * replay), and returns the channels whose stream still runs in another process (that one's
   * session check ends it once the account is closed or the channel's settings are gone).
   */
  async endForDeletionOf(channelIds: readonly string[]): Promise<string[]> {
    const here = [...this.sessions.values()].filter((s) => channelIds.includes(s.channel.id) && s.live);
    await Promise.all(here.map((s) => this.endForDeletion(s)));
    const elsewhere: string[] = [];
    for (const id of channelIds) if (await this.store.current(id)) elsewhere.push(id);
    return elsewhere;
  }

  async stopStream(user: User, channelRef: string): Promise<LiveStreamView> {
    const channel = await this.ownedChannel(user, channelRef);
    const session = [...this.sessions.values()].find((s) => s.channel.id === channel.id && s.live);
    if (!session) {
      const row = await this.store.current(channel.id);
      if (row) throw new AppError(409, 'not_here', 'The stream runs in another process of this node; stop it there (or restart that process)');
      throw conflict('not_live', 'The channel is not live');
    }
    await session.end(channel.ownerId === user.id ? 'stopped_by_owner' : 'stopped_by_admin');
    return (await this.view(session.id))!;
  }

  async channelLive(user: User, channelRef: string): Promise<ChannelLiveView> {
    const channel = await this.ownedChannel(user, channelRef);
    const row = await this.store.channel(channel.id);
    const recent = await this.store.recent(channel.id, 10);
    const current = recent.find((r) => r.state !== 'ended');
    const session = current ? this.sessions.get(current.id) : undefined;
    return {
      channel: { id: channel.id, name: channel.name, displayName: channel.displayName },
      hasKey: !!row?.key_hash,
      keyHint: row?.key_hint ?? null,
      keyCreatedAt: row?.key_created_at?.toISOString() ?? null,
      title: row?.title ?? null,
      keepReplays: row?.keep_replays ?? false,
      price: { ...priceOfRow(row ?? { price_per_minute: 0, free_minutes: 0, subscriber_discount_percent: 0 }), currency: this.ctx.services.money.currency },
      server: this.rtmpServer(),
      ingest: this.ingest(),
      current: current ? this.toView(current, channel) : null,
      health: session ? session.health() : null,
      recent: recent.filter((r) => r.state === 'ended').map((r) => this.toView(r, channel)),
    };
  }

  ingest(): { enabled: boolean; listening: boolean; port: number | null; server: string; liveNow: number; maxConcurrentStreams: number } {
    const c = this.ctx.config.live;
    return { enabled: c.enabled, listening: !!this.listener, port: this.listener ? this.rtmpPort : null, server: this.rtmpServer(), liveNow: this.liveSessions, maxConcurrentStreams: c.maxConcurrentStreams };
  }

  private rtmpServer(): string {
    const c = this.ctx.config.live;
    const host = c.rtmpPublicHost ?? new URL(this.ctx.config.publicUrl).hostname;
    const port = this.rtmpPort || c.rtmpPort;
    return `rtmp://${host}${port === 1935 ? '' : `:${port}`}/live`;
  }

  // ---- viewers ------------------------------------------------------------------------

  async directory(): Promise<LiveDirectory> {
    const rows = await this.store.liveNow();
    const local: LiveStreamView[] = [];
    for (const r of rows) {
      const channel = await this.ctx.services.media.getChannel(r.channel_id);
      if (channel) local.push(this.toView(r, channel));
    }
    return { local, remote: await this.ctx.services.federation.followedLiveStreams() };
  }

  async view(id: string): Promise<LiveStreamView | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.store.stream(id);
    if (!row) return undefined;
    const channel = await this.ctx.services.media.getChannel(row.channel_id);
    return channel ? this.toView(row, channel) : undefined;
  }

  private toView(r: StreamRow, channel: { id: string; name: string; displayName: string }): LiveStreamView {
    const session = this.sessions.get(r.id);
    const base = this.hlsBase(r.id);
    const state = session?.state ?? r.state;
    return {
      id: r.id,
      title: r.title,
      state,
      channel: { id: channel.id, name: channel.name, displayName: channel.displayName, uri: channelActorUri(this.ctx.config.publicUrl, channel.name) },
      createdAt: r.created_at.toISOString(),
      startedAt: (session?.startedAt ?? r.started_at)?.toISOString() ?? null,
      endedAt: (r.ended_at ?? session?.outcome?.at)?.toISOString() ?? null,
      endReason: r.end_reason ?? session?.outcome?.reason ?? null,
      endMessage: r.end_message ?? session?.outcome?.message ?? null,
      viewers: session ? session.viewersNow() : null,
      peakViewers: Math.max(r.peak_viewers, session?.peakViewers ?? 0),
      renditions: (session?.plan ?? r.renditions).map((x) => ({ name: x.name, kind: x.kind, height: x.height ?? null, bitrateKbps: x.bitrateKbps })),
      playlistUrl: `${base}/master.m3u8`,
      audioPlaylistUrl: `${base}/audio/index.m3u8`,
      pageUrl: this.pageUrl(r.id),
      replayTrackId: r.replay_track_id,
      replayError: r.replay_error,
      price: { ...priceOfRow(r), currency: this.ctx.services.money.currency },
      segmentSeconds: this.ctx.config.live.segmentSeconds,
    };
  }

  private hlsBase(id: string): string {
    return `${this.ctx.config.publicUrl}/live-hls/${id}`;
  }

  private pageUrl(id: string): string {
    return `${this.ctx.config.publicUrl}/live/${id}`;
  }

  private async renditionsOf(id: string): Promise<{ row: StreamRow; renditions: LiveRendition[] } | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.store.stream(id);
    if (!row) return undefined;
    const session = this.sessions.get(id);
    return { row, renditions: session?.plan ?? row.renditions };
  }

  async master(id: string): Promise<string | undefined> {
    const s = await this.renditionsOf(id);
    if (!s || !s.renditions.length) return undefined;
    return masterPlaylist(s.renditions, this.hlsBase(id));
  }

  async mediaPlaylist(id: string, rendition: string): Promise<string | undefined> {
    const s = await this.renditionsOf(id);
    if (!s || !s.renditions.some((r) => r.name === rendition)) return undefined;
    const c = this.ctx.config.live;
    const session = this.sessions.get(id);
    const limit = c.playlistSegments;
    const window = session?.windowOf(rendition, limit) ?? (await this.store.window(id, rendition, limit));
    return mediaPlaylist(window, { segmentSeconds: c.segmentSeconds, ended: (session?.state ?? s.row.state) === 'ended' });
  }

  /** A live segment's file, if this node still has it and the viewer may have it (then they count as watching). */
  async segment(id: string, rendition: string, seq: number, viewer: ViewerRequest & { key: string }): Promise<{ file: string; row: SegmentRow; priced: boolean } | { refusal: SegmentRefusal } | undefined> {
    if (!isUuid(id) || !Number.isSafeInteger(seq) || seq < 0) return undefined;
    const session = this.sessions.get(id);
    const kept = session?.segmentOf(rendition, seq);
    const row = kept ?? (await this.store.segment(id, rendition, seq));
    if (!row) return undefined;
    // Older than the window this process keeps (or another process's stream): its file may be
    // gone, and a segment that cannot be served is neither sold nor charged for.
    if (!kept && !(await stat(path.join(this.root, id, row.file)).catch(() => undefined))) return undefined;
    const refusal = await this.access.decide(id, rendition, seq, row.duration_ms / 1000, viewer);
    if (refusal) return { refusal };
    session?.touchViewer(viewer.key);
    return { file: path.join(this.root, id, row.file), row, priced: ((await this.access.item(id))?.price.pricePerMinute ?? 0) > 0 };
  }

  /** What watching a stream costs this viewer, and their free minutes left. */
  async accessOf(id: string, v: Pick<ViewerRequest, 'user' | 'network'>): Promise<LiveAccessView> {
    if (!isUuid(id)) throw notFound('Live stream');
    return this.access.status(id, v, await this.liveEdge(id));
  }

  /** Minutes of a priced stream as an L402 offer (paid with POST /api/v1/metered/pay). */
  async offer(user: User, id: string, input: { rendition: string; fromSeq: number; minutes: number }): Promise<api.MeteredOffer> {
    const item = isUuid(id) ? await this.access.item(id) : undefined;
    if (!item) throw notFound('Live stream');
    if (item.ended) throw conflict('stream_ended', 'This live stream has ended');
    if (item.price.pricePerMinute === 0) throw conflict('stream_free', 'This live stream is free: there is nothing to pay');
    if (user.id === item.ownerId) throw new AppError(400, 'invalid_recipient', 'Your own stream is free for you');
    if (user.role === 'admin') throw conflict('watches_free', 'Admins watch every stream of this node free');
    // Minutes not made yet are sold up to an hour ahead of the live edge, never further.
    const edge = (await this.liveEdge(id)) ?? 0;
    const perMinute = Math.max(1, Math.round(60 / this.ctx.config.live.segmentSeconds));
    if (input.fromSeq + input.minutes * perMinute > edge + 60 * perMinute) throw new AppError(400, 'invalid_span', `The span would end more than an hour past the live edge (segment ${edge})`, { liveEdge: edge });
    return this.ctx.services.money.live.offer(item.sale, input, user);
  }

  /** A stream as listening counts it (listening's port). */
  async streamForListening(id: string): Promise<LiveStreamForListening | undefined> {
    if (!isUuid(id)) return undefined;
    const info = await this.streamInfo(id);
    if (!info) return undefined;
    const state = this.sessions.get(id)?.state ?? info.row.state;
    return { id, channelId: info.channel.id, ownerId: info.channel.ownerId, artistUri: channelActorUri(this.ctx.config.publicUrl, info.channel.name), live: state !== 'ended' };
  }

  /**
   * A served segment counts for listening like an on-demand one: on the stream's timeline (seq ×
   * segment length). Only served to a play session: listening reads its log by session, and a
   * row without one would be written for nothing.
   */
  served(e: { streamId: string; rendition: string; row: SegmentRow; userId: string | null; sessionId: string | null; ip: string; userAgent: string | null }): void {
    if (!e.sessionId) return;
    this.ctx.services.listening.recordSegmentServed({
      trackId: e.streamId,
      rendition: e.rendition,
      segmentIndex: e.row.seq,
      segmentStartSeconds: e.row.seq * this.ctx.config.live.segmentSeconds,
      segmentDurationSeconds: e.row.duration_ms / 1000,
      bytes: e.row.bytes,
      userId: e.userId,
      sessionId: e.sessionId,
      ip: e.ip,
      userAgent: e.userAgent,
      at: new Date(),
    });
  }

  /** The newest segment's sequence number of a stream (its live edge). */
  async liveEdge(id: string): Promise<number | undefined> {
    const session = this.sessions.get(id);
    const w = session?.windowOf('audio', 1) ?? (isUuid(id) ? await this.store.window(id, 'audio', 1) : undefined);
    return w?.segments.at(-1)?.seq;
  }

  private async streamInfo(id: string): Promise<{ row: StreamRow; channel: { id: string; name: string; ownerId: string } } | undefined> {
    const row = await this.store.stream(id);
    if (!row) return undefined;
    const channel = await this.ctx.services.media.getChannel(row.channel_id);
    if (!channel) return undefined;
    const session = this.sessions.get(id);
    return { row: session?.plan?.length ? { ...row, renditions: session.plan } : row, channel: { id: channel.id, name: channel.name, ownerId: channel.ownerId } };
  }

  /** SHA-256 of every segment a rendition of a stream wrote, by sequence number. */
  async hashes(id: string, rendition: string, from = 0): Promise<{ seq: number; sha256: string }[] | undefined> {
    const s = await this.renditionsOf(id);
    if (!s || !s.renditions.some((r) => r.name === rendition)) return undefined;
    return this.store.hashes(id, rendition, from);
  }

  session(id: string): LiveSession | undefined {
    return this.sessions.get(id);
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-1000)));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err.trim()}`))));
  });
}
