// Discovery across nodes: what is new (this node's public tracks and those of the channels and
// nodes it follows), what is trending (qualified listens of the last days, Listens other nodes
// reported included), and finding a remote track or channel by pasting its URL or @name@host.
import { select } from '../db/index.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import type { FederationService } from './service.js';
import type { TrackView } from './runtime.js';
import { RemoteAddressError } from './remote.js';
import { INSTANCE_ACTOR_TYPES } from './instance-follows.js';
import { followsNodeSql } from './remote-tracks.js';
import { hostOf, idOf, typesOf } from './vocabulary.js';
import { localChannelNameOf, localTrackIdOf } from '../../shared/actor-uris.js';
import { isUuid } from '../../shared/ids.js';
import type * as api from '../../shared/api/index.js';

export type DiscoverTrack = api.DiscoverTrack;
export type DiscoverChannel = api.DiscoverChannel;
export type LookupResult = api.LookupResult;
export type SearchResult = api.SearchResult;

const FOLD = `nt_fold(:text)`;

/** Most items a "new" page reaches back to (merged from two sources, so paged by offset within it). */
export const NEW_WINDOW = 200;
export const TRENDING_DAYS = 7;

const ACTOR_TYPES = ['Person', 'Group', 'Service', 'Application', 'Organization'];

interface RemoteRow {
  id: string; uri: string; actor_uri: string; host: string; kind: 'audio' | 'video'; title: string; artist: string | null;
  duration_seconds: number | null; cover_url: string | null; published_at: Date | null; received_at: Date; access: 'free' | 'subscribers' | 'metered';
  actor_name: string | null; actor_username: string | null;
}

export class Discover {
  constructor(private readonly svc: FederationService) {}

  private get rt() {
    return this.svc.rt;
  }

  private localItem(t: TrackView): DiscoverTrack {
    return {
      origin: 'local', id: t.id, uri: this.rt.trackUri(t.id), kind: t.kind, title: t.title, artist: t.artist,
      channel: { uri: this.rt.channelActorUri(t.channel.name), name: t.channel.displayName || t.channel.name, handle: `${t.channel.name}@${this.rt.host}`, host: this.rt.host },
      durationSeconds: t.durationSeconds, coverUrl: t.coverUrl, publishedAt: t.publishedAt ?? t.createdAt, access: t.access.mode,
      pageUrl: `${this.rt.publicUrl}/tracks/${t.id}`, masterPlaylistUrl: t.streaming.masterPlaylistUrl,
    };
  }

  private remoteItem(r: RemoteRow): DiscoverTrack {
    return {
      origin: 'remote', id: r.id, uri: r.uri, kind: r.kind, title: r.title, artist: r.artist,
      channel: { uri: r.actor_uri, name: r.actor_name ?? r.actor_username, handle: r.actor_username ? `${r.actor_username}@${r.host}` : null, host: r.host },
      durationSeconds: r.duration_seconds, coverUrl: r.cover_url, publishedAt: new Date(r.published_at ?? r.received_at).toISOString(), access: r.access ?? 'free',
      pageUrl: `${this.rt.publicUrl}/remote/${r.id}`, masterPlaylistUrl: `${this.rt.publicUrl}/api/v1/federation/tracks/${r.id}/hls/master.m3u8`,
    };
  }

  private remoteRows(where: string, params: Record<string, unknown>, order = 'COALESCE(t.published_at, t.received_at) DESC, t.id'): Promise<RemoteRow[]> {
    return select<RemoteRow>(
      this.rt.db,
      `SELECT t.id, t.uri, t.actor_uri, t.host, t.kind, t.title, t.artist, t.duration_seconds, t.cover_url, t.published_at, t.received_at, t.access,
              ra.name AS actor_name, ra.preferred_username AS actor_username
         FROM federation_remote_tracks t LEFT JOIN federation_remote_actors ra ON ra.uri = t.actor_uri
        WHERE ${where} ORDER BY ${order} LIMIT :limit`,
      { ...params, instance: this.rt.instanceActorUri() },
    );
  }

  /** Remote tracks of channels someone here follows, or of nodes this node follows. */
  private static readonly FOLLOWED = `(EXISTS (SELECT 1 FROM federation_follows f WHERE f.local_follower AND f.state = 'accepted' AND f.following_uri = t.actor_uri)
    OR ${followsNodeSql('t.host')})`;

  /** The newest tracks: this node's public ones and those of the channels and nodes it follows, newest first. */
  async latest(opts: { limit: number; offset: number; origin?: 'local' | 'remote' }): Promise<DiscoverTrack[]> {
    const want = opts.limit + opts.offset;
    if (want > NEW_WINDOW) throw badRequest('invalid_page', `"new" reaches back ${NEW_WINDOW} tracks: limit + offset at most ${NEW_WINDOW}`);
    const local = opts.origin === 'remote' ? [] : (await this.rt.media.latestPublicTracks(want, 0)).map((t) => this.localItem(t));
    const remote = opts.origin === 'local' ? [] : (await this.remoteRows(Discover.FOLLOWED, { limit: want })).map((r) => this.remoteItem(r));
    return [...local, ...remote]
      .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt) || a.uri.localeCompare(b.uri))
      .slice(opts.offset, want);
  }

  /**
   * Search across this node and what the channels and nodes it follows federated: tracks (this
   * node's first, each part best first), channels, albums (this node's) and playlists. A URL or
   * @name@host is looked up instead (signed-in users: it may fetch from another server).
   */
  async search(text: string, limit: number, opts: { lookup: boolean }): Promise<SearchResult> {
    const q = text.trim();
    const empty = { query: q, tracks: [], channels: [], albums: [], playlists: [] };
    if (/^https?:\/\//i.test(q) || /^@?[^@\s/]+@[^@\s/]+\.[^@\s/]+$/.test(q) || /^@?[^@\s/]+@[^@\s/]+:\d+$/.test(q)) {
      if (!opts.lookup) throw new AppError(401, 'unauthenticated', 'Sign in to look up a URL or handle on another node');
      return { ...empty, resolved: await this.lookup(q) };
    }
    const [local, remoteTracks, remoteChannels, remotePlaylists] = await Promise.all([
      this.rt.media.search(q, limit),
      this.remoteRows(
        `${Discover.FOLLOWED} AND ${FOLD} <% nt_fold(t.title || ' ' || coalesce(t.artist, '') || ' ' || coalesce(t.album, ''))`,
        { text: q, limit },
        `word_similarity(${FOLD}, nt_fold(t.title || ' ' || coalesce(t.artist, '') || ' ' || coalesce(t.album, ''))) DESC, t.id`,
      ),
      select<{ uri: string; host: string; name: string | null; preferred_username: string | null; summary: string | null; icon_url: string | null }>(
        this.rt.db,
        `SELECT ra.uri, ra.host, ra.name, ra.preferred_username, ra.summary, ra.icon_url FROM federation_remote_actors ra
          WHERE ${FOLD} <% nt_fold(coalesce(ra.name, '') || ' ' || coalesce(ra.preferred_username, ''))
            AND EXISTS (SELECT 1 FROM federation_follows f WHERE f.following_uri = ra.uri AND f.local_follower AND f.state = 'accepted')
          ORDER BY word_similarity(${FOLD}, nt_fold(coalesce(ra.name, '') || ' ' || coalesce(ra.preferred_username, ''))) DESC, ra.uri LIMIT :limit`,
        { text: q, limit },
      ),
      select<{ uri: string; actor_uri: string; name: string; items: string[] }>(
        this.rt.db,
        `SELECT p.uri, p.actor_uri, p.name, p.items FROM federation_remote_playlists p WHERE ${FOLD} <% nt_fold(p.name)
            AND EXISTS (SELECT 1 FROM federation_follows f WHERE f.following_uri = p.actor_uri AND f.local_follower AND f.state = 'accepted')
          ORDER BY word_similarity(${FOLD}, nt_fold(p.name)) DESC, p.uri LIMIT :limit`,
        { text: q, limit },
      ),
    ]);
    const pub = this.rt.publicUrl;
    return {
      query: q,
      tracks: [...local.tracks.map((t) => this.localItem(t)), ...remoteTracks.map((r) => this.remoteItem(r))],
      channels: [
        ...local.channels.map((c) => this.localChannelItem(c)),
        ...remoteChannels.map((a) => ({
          origin: 'remote' as const, uri: a.uri, name: a.name ?? a.preferred_username, handle: a.preferred_username ? `${a.preferred_username}@${a.host}` : null,
          host: a.host, summary: a.summary, iconUrl: a.icon_url, followed: true, pageUrl: null,
        })),
      ],
      albums: local.albums,
      playlists: [
        ...local.playlists.map((p) => ({ origin: 'local' as const, id: p.id, uri: this.rt.playlistUri(p.id), title: p.title, by: p.channel?.displayName ?? p.owner.username, tracks: p.tracks.length, pageUrl: `${pub}/playlists/${p.id}` })),
        ...remotePlaylists.map((p) => ({ origin: 'remote' as const, id: null, uri: p.uri, title: p.name, by: p.actor_uri, tracks: p.items.length, pageUrl: null })),
      ],
    };
  }

  /** The most listened tracks of the last `days` days (qualified listens here, and Listens other nodes reported), of one local channel when given. */
  async trending(opts: { limit: number; days?: number; channel?: string }): Promise<(DiscoverTrack & { listens: number })[]> {
    const days = opts.days ?? TRENDING_DAYS;
    let channelId: string | undefined;
    if (opts.channel) {
      const c = await this.rt.media.getChannel(opts.channel);
      if (!c) throw notFound('Channel');
      channelId = c.id;
    }
    // Some counted ids are not tracks any more (deleted, private, a live stream): ask for a margin.
    const counts = await this.rt.ctx.services.listening.trending(new Date(Date.now() - days * 86_400_000), opts.limit * 2 + 20, channelId);
    return (await this.resolveTracks(counts.map((c) => c.trackId), opts.limit)).map(({ item, index }) => ({ ...item, listens: counts[index].listens }));
  }

  /** What a listener played last, newest first (tracks that are gone or private are left out). */
  async recent(userId: string, limit: number): Promise<(DiscoverTrack & { playedAt: string })[]> {
    const played = await this.rt.ctx.services.listening.recentTracks(userId, limit + 20);
    return (await this.resolveTracks(played.map((p) => p.trackId), limit)).map(({ item, index }) => ({ ...item, playedAt: played[index].playedAt }));
  }

  /** The newest tracks of the channels a listener follows, on this node and on others. */
  async following(userId: string, limit: number): Promise<DiscoverTrack[]> {
    const me = await this.svc.actors.forUser(userId);
    const [rows, follows] = await Promise.all([
      this.remoteRows(`EXISTS (SELECT 1 FROM federation_follows f WHERE f.follower_uri = :me AND f.following_uri = t.actor_uri AND f.state = 'accepted')`, { me: me.uri, limit }),
      select<{ following_uri: string }>(this.rt.db, `SELECT following_uri FROM federation_follows WHERE follower_uri = :me AND starts_with(following_uri, :local) AND state = 'accepted'`, {
        me: me.uri, local: this.rt.channelActorUri(''),
      }),
    ]);
    const names = follows.map((f) => localChannelNameOf(this.rt.publicUrl, f.following_uri)).filter((n): n is string => !!n);
    const ids = (await Promise.all(names.map((n) => this.rt.media.getChannel(n)))).flatMap((c) => (c ? [c.id] : []));
    const local = ids.length ? (await this.rt.media.latestPublicTracks(limit, 0, ids)).map((t) => this.localItem(t)) : [];
    return [...local, ...rows.map((r) => this.remoteItem(r))]
      .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt) || a.uri.localeCompare(b.uri))
      .slice(0, limit);
  }

  /** Track ids (local or remote) as listed items, in order, at most `limit`; unknown, private and unready ones left out. */
  private async resolveTracks(ids: string[], limit: number): Promise<{ item: DiscoverTrack; index: number }[]> {
    const remoteIds = ids.filter(isUuid);
    const remote = new Map(
      remoteIds.length ? (await this.remoteRows('t.id IN (:ids)', { ids: remoteIds, limit: remoteIds.length })).map((r) => [r.id, this.remoteItem(r)] as const) : [],
    );
    const out: { item: DiscoverTrack; index: number }[] = [];
    for (const [index, id] of ids.entries()) {
      if (out.length >= limit) break;
      let item = remote.get(id);
      if (!item) {
        const t = await this.rt.media.getTrack(id).catch(() => undefined);
        if (t && t.status === 'ready' && t.visibility === 'public') item = this.localItem(t);
      }
      if (item) out.push({ item, index });
    }
    return out;
  }

  /**
   * A track or channel by its URL (an ActivityPub id, or a page that points at one) or its
   * @name@host, on this node or another. A remote track is listed here so it plays through
   * this node; a remote channel's newest tracks too.
   */
  async lookup(query: string): Promise<LookupResult> {
    const q = query.trim();
    const local = this.localLookup(q);
    if (local) return local;
    try {
      if (/^https?:\/\//i.test(q)) return await this.remoteUrl(q);
      const handle = /^@?([^@\s/]+)@([^@\s/]+)$/.exec(q);
      if (!handle) throw badRequest('invalid_lookup', 'Paste a track or channel URL, or a handle like @name@host');
      return await this.remoteActor(await this.svc.remote.resolveHandle(q));
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof RemoteAddressError) throw new AppError(422, 'private_address', err.message);
      throw new AppError(422, 'unresolvable', `Could not find ${q}: ${(err as Error).message}`);
    }
  }

  /** A handle or URL of this node: answered from here, without a request to itself. */
  private localLookup(q: string): Promise<LookupResult> | undefined {
    const rt = this.rt;
    const handle = /^@?([^@\s/]+)@([^@\s/]+)$/.exec(q);
    if (handle && handle[2].toLowerCase() === rt.host) return this.localChannel(handle[1]);
    if (!/^https?:\/\//i.test(q)) return undefined;
    let url: URL;
    try {
      url = new URL(q);
    } catch {
      return undefined;
    }
    if (url.origin !== new URL(rt.publicUrl).origin) return undefined;
    const href = `${rt.publicUrl}${url.pathname}`;
    const decoded = (part: string | undefined) => {
      if (part === undefined) return undefined;
      try {
        return decodeURIComponent(part);
      } catch {
        return '';
      }
    };
    const trackId = localTrackIdOf(rt.publicUrl, href) ?? decoded(/^\/tracks\/([^/]+)\/?$/.exec(url.pathname)?.[1]);
    if (trackId !== undefined) return this.localTrack(trackId);
    const channel = localChannelNameOf(rt.publicUrl, href) ?? decoded(/^\/channels\/([^/]+)\/?$/.exec(url.pathname)?.[1]);
    if (channel !== undefined) return this.localChannel(channel);
    return Promise.reject(notFound('Track or channel'));
  }

  private async localTrack(id: string): Promise<LookupResult> {
    const t = isUuid(id) ? await this.rt.media.getTrack(id) : undefined;
    if (!t || t.status !== 'ready' || t.visibility === 'private') throw notFound('Track');
    return { type: 'track', track: this.localItem(t) };
  }

  private async localChannel(name: string): Promise<LookupResult> {
    const c = name ? await this.rt.media.getChannel(name) : undefined;
    if (!c) throw notFound('Channel');
    const tracks = await this.rt.media.latestPublicTracks(20, 0, [c.id]);
    return { type: 'channel', channel: this.localChannelItem(c), tracks: tracks.map((t) => this.localItem(t)) };
  }

  private localChannelItem(c: { name: string; displayName: string; description?: string }): DiscoverChannel {
    return {
      origin: 'local', uri: this.rt.channelActorUri(c.name), name: c.displayName || c.name, handle: `${c.name}@${this.rt.host}`, host: this.rt.host,
      summary: c.description || null, iconUrl: null, followed: false, pageUrl: `${this.rt.publicUrl}/channels/${encodeURIComponent(c.name)}`,
    };
  }

  /** A remote document by its URL; its id, when it is another URL, is fetched again from that id (so its host vouches for it). */
  private async remoteUrl(url: string): Promise<LookupResult> {
    if (await this.svc.blocks.isBlocked(url)) throw new AppError(403, 'blocked', 'That server is blocked by this node');
    let doc = await this.svc.remote.fetchDocument(url);
    const id = idOf(doc);
    if (!id) throw new AppError(422, 'unresolvable', `${url} is not an ActivityPub object`);
    if (id !== url) {
      doc = await this.svc.remote.fetchDocument(id);
      if (idOf(doc) !== id) throw new AppError(422, 'unresolvable', `${id} does not answer with itself`);
    }
    const types = typesOf(doc.type);
    if (types.some((t) => ACTOR_TYPES.includes(t))) return this.remoteActor(id);
    if (!types.includes('Audio') && !types.includes('Video')) throw new AppError(422, 'unsupported_object', `${id} is a ${types.join('/') || 'document'}, not a track or a channel`);
    const owner = idOf(doc.attributedTo) ?? idOf(doc.actor);
    if (!owner || hostOf(owner) !== hostOf(id)) throw new AppError(422, 'unresolvable', `${id} names no owner on its own host`);
    if (await this.svc.blocks.isBlocked(owner)) throw new AppError(403, 'blocked', 'That server or actor is blocked by this node');
    await this.svc.remote.actor(owner);
    const stored = await this.svc.tracks.upsert(owner, doc);
    if (!stored) throw new AppError(422, 'unsupported_object', `${id} is not a track this node can play`);
    const [row] = await this.remoteRows('t.id = :id', { id: stored.id, limit: 1 });
    return { type: 'track', track: this.remoteItem(row) };
  }

  /** A remote channel (or any actor): its profile and newest tracks, listed here from its outbox. */
  private async remoteActor(uri: string): Promise<LookupResult> {
    if (this.rt.isLocal(uri)) return this.localChannel(localChannelNameOf(this.rt.publicUrl, uri) ?? '');
    if (await this.svc.blocks.isBlocked(uri)) throw new AppError(403, 'blocked', 'That server or actor is blocked by this node');
    const actor = await this.svc.remote.actor(uri, { refresh: true });
    // A channel's newest page of tracks only (a lookup is one request's worth of fetches); a
    // node's instance actor is not browsed this way: its node is followed instead.
    if (!INSTANCE_ACTOR_TYPES.has(actor.type)) {
      await this.svc.backfill(actor.uri, { pages: 1 }).catch((err) => this.rt.log.warn({ err, uri }, 'a looked-up actor\'s outbox could not be read'));
    }
    const rows = await this.remoteRows('t.actor_uri = :a', { a: actor.uri, limit: 20 });
    const followed = await this.svc.tracks.followedHere(actor.uri);
    const known = await select<{ summary: string | null; icon_url: string | null }>(this.rt.db, 'SELECT summary, icon_url FROM federation_remote_actors WHERE uri = :u', { u: actor.uri });
    return {
      type: 'channel',
      channel: {
        origin: 'remote', uri: actor.uri, name: actor.name ?? actor.preferredUsername, handle: actor.preferredUsername ? `${actor.preferredUsername}@${actor.host}` : null,
        host: actor.host, summary: known[0]?.summary ?? null, iconUrl: known[0]?.icon_url ?? null, followed, pageUrl: null,
      },
      tracks: rows.map((r) => this.remoteItem(r)),
    };
  }
}
