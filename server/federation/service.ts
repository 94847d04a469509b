// The federation service: what routes, the domain-event bridge and other capabilities call.
import { select, selectOne } from '../db/index.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import type { Transaction } from 'sequelize';
import { Port } from '../context.js';
import type { FederationRuntime } from './runtime.js';
import type { DeliveryHealth, FederationApi, FlagReceiver, OutgoingFlag, RemoteLiveStream, RemoteObjectInfo, ReportReceiver } from './contract.js';
import { sendFlag } from './send/send-flag.js';
import { describeRemote } from './describe-remote.js';
import { deliveryHealth } from './delivery-health.js';
import type { RemoteTrackForListening } from '../listening/contract.js';
import type { GatedTrack } from '../media/contract.js';
import type { RemoteTrack } from './remote-tracks.js';
import { segmentIndexOf } from '../../shared/hls.js';
import { LocalActors } from './actors.js';
import { Remote, RemoteAddressError } from './remote.js';
import { Blocks } from './blocks.js';
import { Delivery } from './delivery.js';
import { Inbox } from './inbox.js';
import { RemoteTracks } from './remote-tracks.js';
import { RemoteCache } from './remote-cache.js';
import { RemoteLive } from './remote-live.js';
import { InstanceFollows } from './instance-follows.js';
import { Discover } from './discover.js';
import { RemoteCampaigns } from './campaigns.js';
import { sendFollow } from './send/send-follow.js';
import { sendUndoFollow, sendUndoReaction } from './send/send-undo.js';
import { sendLike } from './send/send-like.js';
import { sendAnnounce } from './send/send-announce.js';
import { sendListen, type ListenInput } from './send/send-listen.js';
import { sendStream, type StreamInput } from './send/send-stream.js';
import { followedLiveStreams } from './remote-streams.js';
import { sendSubscription, type SubscriptionInput } from './send/send-subscription.js';
import { hostOf, idOf, typesOf } from './vocabulary.js';
import { isUuid } from '../../shared/ids.js';
import { localChannelNameOf, localTrackIdOf } from '../../shared/actor-uris.js';
import { localFollower, notifyFollowed, notifyLiveStarted } from './notify.js';

export type { ListenInput, StreamInput, SubscriptionInput };

export interface FollowView {
  id: string;
  follower: string;
  following: string;
  state: string;
  createdAt: string;
  actor?: { name: string | null; preferredUsername: string | null; host: string; type: string } | null;
}

/** The segment files of a rendition's hash table (seg-NNNNN.m4s). */
const segmentIndexes = (files: Record<string, string> | undefined): string[] => Object.keys(files ?? {}).filter((f) => segmentIndexOf(f) !== undefined);

/** How long a remote paid track's gate view is kept. */
const GATED_TTL_MS = 5000;

export class FederationService implements FederationApi {
  readonly actors: LocalActors;
  readonly remote: Remote;
  readonly blocks: Blocks;
  readonly delivery: Delivery;
  readonly inbox: Inbox;
  private readonly gated = new Map<string, { track: GatedTrack | undefined; until: number }>();
  readonly tracks: RemoteTracks;
  readonly cache: RemoteCache;
  readonly remoteLive: RemoteLive;
  readonly instanceFollows: InstanceFollows;
  readonly discover: Discover;
  readonly campaigns: RemoteCampaigns;

  constructor(readonly rt: FederationRuntime) {
    this.actors = new LocalActors(rt);
    this.remote = new Remote(rt, this.actors);
    this.blocks = new Blocks(rt);
    this.delivery = new Delivery(rt, this.actors, this.remote, this.blocks);
    this.inbox = new Inbox(rt, this.remote, this.blocks);
    this.tracks = new RemoteTracks(rt, this.remote);
    this.cache = new RemoteCache(rt, this.remote, this.tracks);
    this.remoteLive = new RemoteLive(rt, this.remote);
    this.instanceFollows = new InstanceFollows(this);
    this.discover = new Discover(this);
    this.campaigns = new RemoteCampaigns(rt);
    this.tracks.onRemoved((id) => this.cache.evict(id));
  }

  /**
   * A remote track as the listening capability plays it (a play session on this node): the
   * artist is the remote channel's actor URI; no local owner.
   */
  async trackForListening(id: string): Promise<RemoteTrackForListening | undefined> {
    const track = await this.tracks.byId(id);
    return track && { id: track.id, artistUri: track.actorUri, durationSeconds: track.durationSeconds };
  }

  /** A remote actor this node has seen (money's port: a tip's recipient). */
  async remoteArtist(uri: string): Promise<{ artistUri: string; name: string | null } | undefined> {
    if (this.rt.isLocal(uri) || (await this.blocks.isBlocked(uri))) return undefined;
    const actor = await this.remote.knownActor(uri);
    return actor && { artistUri: actor.uri, name: actor.name ?? actor.preferredUsername };
  }

  /** A remote track this node has cached (money's port: a tipped track and its artist). */
  async remoteTrack(uri: string): Promise<{ trackUri: string; artistUri: string; title: string } | undefined> {
    const track = await this.tracks.byUri(uri);
    if (!track || (await this.blocks.isBlocked(track.actorUri))) return undefined;
    return { trackUri: track.uri, artistUri: track.actorUri, title: track.title };
  }

  /**
   * A remote track that is not free, as money's segment gate sees it: its renditions and their
   * segment counts from the home node's segment hashes, the segment times of its playlists,
   * and its prices. Undefined when it is free, unknown, blocked, metered in another currency
   * than this node's books, or its playlists do not give every segment a sane duration.
   */
  async remoteGatedTrack(id: string, known?: RemoteTrack): Promise<GatedTrack | undefined> {
    // Kept a few seconds: a player asks for a segment every few seconds, and this reads the track,
    // the blocks and every rendition's playlist. (A change from its home node shows within GATED_TTL_MS.)
    const hit = this.gated.get(id);
    if (hit && hit.until > Date.now()) return hit.track;
    const track = await this.gatedTrackNow(id, known);
    if (this.gated.size > 10_000) this.gated.clear();
    this.gated.set(id, { track, until: Date.now() + GATED_TTL_MS });
    return track;
  }

  private async gatedTrackNow(id: string, known?: RemoteTrack): Promise<GatedTrack | undefined> {
    const t = known ?? (await this.tracks.byId(id));
    if (!t || t.access.mode === 'free' || (await this.blocks.isBlocked(t.actorUri))) return undefined;
    if (t.access.mode === 'metered' && t.access.currency !== this.rt.money.currency) return undefined;
    const renditions = t.renditions.map((r) => ({ name: r.name, segmentCount: segmentIndexes(t.segmentHashes[r.name]).length }));
    // Spans are minutes of the home node's own segment times (its playlists' #EXTINF).
    const timeline: GatedTrack['timeline'] = {};
    for (const r of renditions) {
      const times = await this.cache.timeline(t.id, r.name, t).catch(() => undefined);
      if (!times || times.length < r.segmentCount) return undefined;
      timeline[r.name] = times;
    }
    const prices = t.access.pricesPerMinute;
    if (t.access.mode === 'metered' && !Object.keys(prices).length) return undefined;
    return { id: t.id, uri: t.uri, artistUri: t.actorUri, ownerId: null, title: t.title, access: t.access.mode, pricesPerMinute: prices, renditions, timeline };
  }

  async remoteSegmentHashes(id: string, rendition: string): Promise<string[] | undefined> {
    const t = await this.tracks.byId(id);
    const files = t?.segmentHashes[rendition];
    if (!files) return undefined;
    const out: string[] = [];
    for (const [file, hash] of Object.entries(files)) {
      const i = segmentIndexOf(file);
      if (i !== undefined) out[i] = hash;
    }
    return out;
  }

  /** media's RelayPort: a trusted node's cache fetching a paid track's segments (federation.meteredRelays). */
  relayOf(req: { method: string; url: string; headers: Record<string, string | string[] | undefined> }): Promise<string | undefined> {
    const relays = this.rt.config.federation.meteredRelays;
    return relays.length ? this.inbox.signedBy(req.method, req.url, req.headers, relays) : Promise.resolve(undefined);
  }

  instanceActorUri(): string {
    return this.rt.instanceActorUri();
  }

  async sendFromInstance(t: Transaction, toActorUri: string, activity: Record<string, unknown>): Promise<{ uri: string; inboxes: number }> {
    const actorUri = this.rt.instanceActorUri();
    const objectUri = typeof activity.object === 'string' ? activity.object : undefined;
    const { uri, inboxes } = await this.delivery.queue({ actorUri, activity: { ...activity, actor: actorUri }, toActors: [toActorUri], objectUri }, t);
    return { uri, inboxes };
  }

  /** Where dispute Flags go (disputes, wired by node.ts). */
  readonly flagReceiver = new Port<FlagReceiver>('dispute flags');

  useFlagReceiver(receiver: FlagReceiver): void {
    this.flagReceiver.wire(receiver);
  }

  /** Where moderation Flags go (moderation, wired by node.ts). */
  readonly reportReceiver = new Port<ReportReceiver>('moderation reports');

  useReportReceiver(receiver: ReportReceiver): void {
    this.reportReceiver.wire(receiver);
  }

  sendFlag(flag: OutgoingFlag): Promise<{ uri: string; inboxes: number }> {
    return sendFlag(this, flag);
  }

  describeRemote(uri: string): Promise<RemoteObjectInfo | undefined> {
    return describeRemote(this, uri);
  }

  async block(kind: 'actor' | 'domain', value: string, reason?: string): Promise<void> {
    await this.blocks.add(kind, value, reason);
  }

  deliveryHealth(): Promise<DeliveryHealth[]> {
    return deliveryHealth(this);
  }

  /** A segment of a remote track served from this node's cache: logged by listening (never throws). */
  async recordRemoteSegmentServed(e: { trackId: string; rendition: string; file: string; bytes: number; userId: string | null; sessionId: string | null; ip: string | null; userAgent: string | null }): Promise<void> {
    const listening = this.rt.listening;
    if (!/\.(m4s|ts|aac|mp3|mp4)$/.test(e.file) || e.file.startsWith('init')) return;
    try {
      const at = new Date();
      const timing = await this.cache.segmentTiming(e.trackId, e.rendition, e.file);
      if (!timing) return;
      listening.recordSegmentServed({
        trackId: e.trackId,
        rendition: e.rendition,
        segmentIndex: timing.index,
        segmentStartSeconds: timing.start,
        segmentDurationSeconds: timing.duration,
        bytes: e.bytes,
        userId: e.userId,
        sessionId: e.sessionId,
        ip: e.ip,
        userAgent: e.userAgent,
        at,
      });
    } catch (err) {
      this.rt.log.warn({ err, trackId: e.trackId, file: e.file }, 'a remote segment serve could not be logged');
    }
  }

  /** The actor that owns an object: local tracks belong to their channel; remote ones from our cache or their document. */
  async ownerOf(objectUri: string): Promise<string | undefined> {
    const remoteTrack = await this.tracks.byUri(objectUri);
    if (remoteTrack) return remoteTrack.actorUri;
    const localId = localTrackIdOf(this.rt.publicUrl, objectUri);
    if (localId) {
      const track = await this.rt.media.getTrack(localId).catch(() => undefined);
      return track ? this.rt.channelActorUri(track.channel.name) : undefined;
    }
    if (this.rt.isLocal(objectUri)) return undefined;
    try {
      const doc = await this.remote.fetchDocument(objectUri);
      const owner = idOf(doc.attributedTo) ?? idOf(doc.actor);
      return owner && hostOf(owner) === hostOf(objectUri) ? owner : undefined;
    } catch {
      return undefined;
    }
  }

  /** Fetches a remote actor not seen yet (its name and handle show with its tracks); never throws. */
  async knowActor(uri: string): Promise<void> {
    if (await this.remote.knownActor(uri)) return;
    await this.remote.actor(uri).catch((err) => this.rt.log.warn({ err, uri }, 'a remote actor could not be fetched'));
  }

  /**
   * Lists a followed actor's existing tracks from the newest pages of its outbox (at most 100
   * activities). A node's instance actor lists its channels' tracks: Creates by any actor of
   * the outbox's own host are taken.
   */
  async backfill(actorUri: string, opts: { pages?: number } = {}): Promise<number> {
    const actor = await this.remote.actor(actorUri);
    if (!actor.outbox || hostOf(actor.outbox) !== hostOf(actorUri)) return 0;
    let doc = await this.remote.fetchDocument(actor.outbox);
    const first = doc.first;
    if (first && !Array.isArray(doc.orderedItems)) doc = typeof first === 'string' ? await this.remote.fetchDocument(first) : (first as Record<string, unknown>);
    let n = 0;
    let seen = 0;
    for (let pages = 0; pages < (opts.pages ?? 5) && seen < 100; pages++) {
      const items = (Array.isArray(doc.orderedItems) ? doc.orderedItems : Array.isArray(doc.items) ? doc.items : []).slice(0, 100 - seen);
      seen += items.length;
      for (const item of items) {
        if (!item || typeof item !== 'object') continue;
        const a = item as Record<string, unknown>;
        const by = idOf(a.actor);
        if (!typesOf(a.type).includes('Create') || !by || (by !== actorUri && hostOf(by) !== hostOf(actorUri))) continue;
        const obj = a.object;
        if (!obj || typeof obj !== 'object') continue;
        if (by !== actorUri) await this.knowActor(by);
        if (await this.tracks.upsert(by, obj as Record<string, unknown>)) n++;
      }
      const next = typeof doc.next === 'string' ? doc.next : idOf(doc.next);
      if (!next || !items.length || hostOf(next) !== hostOf(actorUri)) break;
      doc = await this.remote.fetchDocument(next);
    }
    return n;
  }

  // --- follows (signed-in users) ---

  async follow(userId: string, handle: string): Promise<FollowView> {
    const here = /^@?([^@\s/]+)@([^@\s/]+)$/.exec(handle.trim().replace(/^acct:/, ''));
    let actorUri: string;
    if (here && here[2].toLowerCase() === this.rt.host) actorUri = this.rt.channelActorUri(here[1]);
    else {
      try {
        actorUri = await this.remote.resolveHandle(handle);
      } catch (err) {
        if (err instanceof RemoteAddressError) throw new AppError(422, 'private_address', err.message);
        throw new AppError(422, 'unresolvable', `Could not find ${handle}: ${(err as Error).message}`);
      }
    }
    if (this.rt.isLocal(actorUri)) return this.followLocalChannel(userId, actorUri);
    if (await this.blocks.isBlocked(actorUri)) throw new AppError(403, 'blocked', 'That server or actor is blocked by this node');
    const local = await this.actors.forUser(userId);
    try {
      const { followId } = await sendFollow(this, local.uri, actorUri);
      return (await this.followById(followId))!;
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError(422, 'unresolvable', `Could not fetch ${actorUri}: ${(err as Error).message}`);
    }
  }

  /**
   * A listener follows a channel of this node: recorded at once as accepted (no activity leaves
   * the node), so its news shows with the remote channels' (discover/following).
   */
  private async followLocalChannel(userId: string, actorUri: string): Promise<FollowView> {
    const name = localChannelNameOf(this.rt.publicUrl, actorUri);
    const channel = name ? await this.rt.media.getChannel(name) : undefined;
    if (!channel) throw badRequest('local_actor', 'Only channels can be followed; that account on this node is not one');
    const me = await this.actors.forUser(userId);
    const uri = this.rt.channelActorUri(channel.name);
    const row = await selectOne<{ id: string }>(
      this.rt.db,
      `INSERT INTO federation_follows (follower_uri, following_uri, state, activity_uri, local_follower) VALUES (:f, :g, 'accepted', :a, true)
       ON CONFLICT (follower_uri, following_uri) DO UPDATE SET state = 'accepted', updated_at = now() RETURNING id`,
      { f: me.uri, g: uri, a: `${uri}#followed-by-${encodeURIComponent(me.uri)}` },
    );
    const followed = await this.actors.forChannel(channel.id);
    if (followed) await notifyFollowed(this, localFollower(me), followed);
    return (await this.followById(row!.id))!;
  }

  async unfollow(userId: string, followId: string): Promise<void> {
    const local = await this.actors.forUser(userId);
    if (!isUuid(followId)) throw notFound('Follow');
    // A channel of this node: the row is all there is (nothing was sent, nothing to undo).
    const here = await select(
      this.rt.db,
      `DELETE FROM federation_follows WHERE id = :id AND follower_uri = :me AND local_follower AND starts_with(following_uri, :here) RETURNING id`,
      { id: followId, me: local.uri, here: `${this.rt.publicUrl}/` },
    );
    if (here.length) return;
    if (!(await sendUndoFollow(this, local.uri, followId))) throw notFound('Follow');
  }

  private async followById(id: string): Promise<FollowView | undefined> {
    return (await this.followsWhere('f.id = :id', { id }))[0];
  }

  private async followsWhere(where: string, params: Record<string, unknown>): Promise<FollowView[]> {
    const rows = await select<{ id: string; follower_uri: string; following_uri: string; state: string; created_at: Date; name: string | null; preferred_username: string | null; host: string | null; type: string | null }>(
      this.rt.db,
      `SELECT f.*, ra.name, ra.preferred_username, ra.host, ra.type FROM federation_follows f
       LEFT JOIN federation_remote_actors ra ON ra.uri = f.following_uri WHERE ${where} ORDER BY f.created_at DESC LIMIT 500`,
      params,
    );
    const views: FollowView[] = [];
    for (const r of rows) {
      let actor: FollowView['actor'] = r.host ? { name: r.name, preferredUsername: r.preferred_username, host: r.host, type: r.type! } : null;
      // A channel of this node (followed here): named from media.
      const local = !actor ? localChannelNameOf(this.rt.publicUrl, r.following_uri) : undefined;
      const channel = local ? await this.rt.media.getChannel(local) : undefined;
      if (channel) actor = { name: channel.displayName, preferredUsername: channel.name, host: this.rt.host, type: 'Group' };
      views.push({ id: r.id, follower: r.follower_uri, following: r.following_uri, state: r.state, createdAt: new Date(r.created_at).toISOString(), actor });
    }
    return views;
  }

  async followsOf(userId: string): Promise<FollowView[]> {
    const local = await this.actors.forUser(userId);
    return this.followsWhere('f.follower_uri = :u', { u: local.uri });
  }

  /** Remote actors someone here follows (artists' channels on other nodes), with their track counts. */
  async remoteChannels(limit: number, offset: number) {
    const rows = await select<{ uri: string; host: string; type: string; preferred_username: string | null; name: string | null; summary: string | null; icon_url: string | null; software: string | null; tracks: string; followers_here: string }>(
      this.rt.db,
      `SELECT ra.uri, ra.host, ra.type, ra.preferred_username, ra.name, ra.summary, ra.icon_url, ra.software,
         (SELECT count(*) FROM federation_remote_tracks t WHERE t.actor_uri = ra.uri) AS tracks,
         (SELECT count(*) FROM federation_follows f WHERE f.following_uri = ra.uri AND f.local_follower AND f.state = 'accepted') AS followers_here
       FROM federation_remote_actors ra
       WHERE EXISTS (SELECT 1 FROM federation_follows f WHERE f.following_uri = ra.uri AND f.local_follower AND f.state = 'accepted')
       ORDER BY ra.name NULLS LAST, ra.uri LIMIT :limit OFFSET :offset`,
      { limit, offset },
    );
    return rows.map((r) => ({
      uri: r.uri, host: r.host, type: r.type, handle: r.preferred_username ? `${r.preferred_username}@${r.host}` : null, name: r.name, summary: r.summary,
      iconUrl: r.icon_url, software: r.software, tracks: Number(r.tracks), followersHere: Number(r.followers_here),
    }));
  }

  // --- activities other capabilities send ---

  sendListen(input: ListenInput) {
    return sendListen(this, input);
  }

  /** Live streaming calls this when a stream starts or ends. */
  sendStream(input: StreamInput) {
    return sendStream(this, input);
  }

  async announceStream(input: StreamInput): Promise<void> {
    await sendStream(this, input);
    await notifyLiveStarted(this, input);
  }

  followedLiveStreams(): Promise<RemoteLiveStream[]> {
    return followedLiveStreams(this.rt.db, this.rt.publicUrl).then((all) => all.map(({ hlsUrl: _hls, ...s }) => s));
  }

  /** Money (or the bridge) calls this when a subscription changes. */
  sendSubscription(input: SubscriptionInput) {
    return sendSubscription(this, input);
  }

  async like(userId: string, objectUri: string) {
    const local = await this.actors.forUser(userId);
    return sendLike(this, local.uri, objectUri);
  }

  async unlike(userId: string, objectUri: string) {
    const local = await this.actors.forUser(userId);
    return sendUndoReaction(this, local.uri, 'Like', objectUri);
  }

  /** A boost is publishing: a silenced account (moderation) is refused it (403 account_silenced). */
  async announce(userId: string, objectUri: string) {
    const user = await this.rt.ctx.services.accounts.byId(userId);
    if (user && 'silenced' in user && user.silenced === true) throw new AppError(403, 'account_silenced', 'A moderator has silenced this account: it cannot publish until that is lifted');
    const local = await this.actors.forUser(userId);
    return sendAnnounce(this, local.uri, objectUri);
  }

  // --- what arrived (for other capabilities and admins) ---

  async receivedListens(trackId?: string) {
    return select<{ activity_uri: string; actor_uri: string; track_id: string; seconds: number; listened_at: Date }>(
      this.rt.db,
      `SELECT * FROM federation_listens ${trackId ? 'WHERE track_id = :t' : ''} ORDER BY listened_at DESC LIMIT 1000`,
      { t: trackId },
    );
  }

  async subscriptions(direction?: 'in' | 'out') {
    return select(this.rt.db, `SELECT * FROM federation_subscriptions ${direction ? 'WHERE direction = :d' : ''} ORDER BY received_at DESC LIMIT 1000`, { d: direction });
  }

  async streams(direction?: 'in' | 'out') {
    return select(this.rt.db, `SELECT * FROM federation_streams ${direction ? 'WHERE direction = :d' : ''} ORDER BY received_at DESC LIMIT 1000`, { d: direction });
  }

  async rotateKeys(actorUri: string) {
    const actor = await this.actors.resolveUri(actorUri);
    if (!actor) throw notFound('Actor');
    const rotated = await this.actors.rotateKeys(actor.uri);
    if (actor.kind === 'instance') this.remote.resetLoader();
    return rotated;
  }

  async stats() {
    const r = await selectOne<Record<string, string>>(
      this.rt.db,
      `SELECT (SELECT count(*) FROM federation_remote_actors) AS remote_actors,
              (SELECT count(*) FROM federation_follows WHERE NOT local_follower AND state = 'accepted') AS remote_followers,
              (SELECT count(*) FROM federation_follows WHERE local_follower AND state = 'accepted' AND NOT starts_with(following_uri, :here)) AS following,
              (SELECT count(*) FROM federation_remote_tracks) AS remote_tracks,
              (SELECT count(*) FROM federation_deliveries WHERE state = 'pending') AS pending_deliveries,
              (SELECT count(*) FROM federation_deliveries WHERE state IN ('dead', 'skipped')) AS dead_letters,
              (SELECT count(*) FROM federation_inbox_items) AS inbox_items`,
      { here: `${this.rt.publicUrl}/` },
    );
    return Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, Number(v)]));
  }
}
