// Tracks and playlists of artists on other nodes, as their home node federated them.
// Stored only for actors someone here follows; played from the home node's HLS, whose
// segment hashes are fetched from the home node and checked.
import { createHash } from 'node:crypto';
import { execute, select, selectOne } from '../db/index.js';
import type { FederationRuntime } from './runtime.js';
import type { Remote } from './remote.js';
import { hostOf, idOf, parseIsoDuration, typesOf } from './vocabulary.js';
import { sanitizeHtml, sanitizeText } from './sanitize.js';
import type * as api from '../../shared/api/index.js';
import { isUuid } from '../../shared/ids.js';

export type RemoteRendition = api.RemoteRendition;

export type RemoteTrack = api.RemoteTrack;

interface Row {
  id: string; uri: string; actor_uri: string; host: string; kind: 'audio' | 'video'; title: string; artist: string | null; album: string | null;
  position: number | null; duration_seconds: number | null; license: string | null; cover_url: string | null; url: string | null;
  master_playlist_url: string | null; renditions: RemoteRendition[]; segment_hashes: Record<string, Record<string, string>>;
  published_at: Date | null; received_at: Date; access: 'free' | 'subscribers' | 'metered'; currency: string | null;
}

const toTrack = (r: Row): RemoteTrack => ({
  id: r.id, uri: r.uri, actorUri: r.actor_uri, host: r.host, kind: r.kind, title: r.title, artist: r.artist, album: r.album,
  position: r.position, durationSeconds: r.duration_seconds, license: r.license, coverUrl: r.cover_url, url: r.url,
  masterPlaylistUrl: r.master_playlist_url, renditions: r.renditions, segmentHashes: r.segment_hashes,
  publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null, receivedAt: new Date(r.received_at).toISOString(),
  access: {
    mode: r.access ?? 'free',
    currency: r.currency ?? null,
    pricesPerMinute: Object.fromEntries((r.renditions ?? []).filter((x) => x.pricePerMinute !== undefined).map((x) => [x.name, x.pricePerMinute!])),
  },
});

const httpUrl = (v: unknown): string | null => (typeof v === 'string' && /^https?:\/\//.test(v) && v.length < 2048 ? v : null);

/** Reads the `url` entries of an AudioTrack into playback links. */
function linksOf(obj: Record<string, unknown>) {
  const entries = (Array.isArray(obj.url) ? obj.url : [obj.url]).filter((u): u is Record<string, unknown> => !!u && typeof u === 'object');
  let page: string | null = typeof obj.url === 'string' ? httpUrl(obj.url) : null;
  let master: string | null = null;
  const renditions = new Map<string, RemoteRendition>();
  const rendition = (name: unknown) => {
    const n = typeof name === 'string' ? name.slice(0, 50) : 'default';
    if (!renditions.has(n)) renditions.set(n, { name: n, playlistUrl: null, torrentUrl: null, magnetUri: null, segmentHashesUrl: null });
    return renditions.get(n)!;
  };
  for (const e of entries) {
    const href = e.href;
    const rel = typeof e.rel === 'string' ? e.rel : Array.isArray(e.rel) ? String(e.rel[0]) : '';
    if (rel === 'alternate' && e.mediaType === 'text/html') page = httpUrl(href);
    else if (rel === 'hls-master') master = httpUrl(href);
    else if (rel === 'hls-playlist') {
      const r = rendition(e.name);
      r.playlistUrl = httpUrl(href);
      // A metered track's price per minute of this rendition (minor units of the track's currency).
      if (Number.isSafeInteger(e.pricePerMinute) && (e.pricePerMinute as number) >= 1 && (e.pricePerMinute as number) <= 100_000) r.pricePerMinute = e.pricePerMinute as number;
    }
    else if (rel === 'torrent') rendition(e.name).torrentUrl = httpUrl(href);
    else if (rel === 'magnet') rendition(e.name).magnetUri = typeof href === 'string' && href.startsWith('magnet:') ? href.slice(0, 4096) : null;
    else if (rel === 'segment-hashes') rendition(e.name).segmentHashesUrl = httpUrl(href);
    else if (!master && typeof e.mediaType === 'string' && /mpegurl/i.test(e.mediaType)) master = httpUrl(href);
  }
  return { page, master, renditions: [...renditions.values()] };
}

/** Turns a segment-hash document into { segmentName: sha256hex } (accepts the common shapes). */
export function normaliseSegmentHashes(doc: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (name: unknown, hash: unknown) => {
    if (typeof name === 'string' && typeof hash === 'string' && /^[0-9a-f]{64}$/i.test(hash)) out[name.split('/').pop()!] = hash.toLowerCase();
  };
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      for (const s of v) if (s && typeof s === 'object') {
        const o = s as Record<string, unknown>;
        put(o.file ?? o.name ?? o.uri ?? o.segment ?? o.path, o.sha256 ?? o.hash);
      }
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.files && typeof o.files === 'object') walk(o.files);
      if (o.segments) return walk(o.segments);
      if (o.files) return;
      for (const [k, h] of Object.entries(o)) put(k, h);
    }
  };
  walk(doc);
  return out;
}

/**
 * SQL: this node follows the node at `hostSql` (its instance actor follows that host's instance
 * actor; `states`: accepted only, or also pending). The query names `:instance`.
 */
export const followsNodeSql = (hostSql: string, states: 'accepted' | 'not rejected' = 'accepted') =>
  `EXISTS (SELECT 1 FROM federation_follows nf JOIN federation_remote_actors na ON na.uri = nf.following_uri
     WHERE nf.follower_uri = :instance AND nf.local_follower AND nf.state ${states === 'accepted' ? "= 'accepted'" : "<> 'rejected'"} AND na.host = ${hostSql})`;

export class RemoteTracks {
  private removedListeners: ((id: string) => Promise<void>)[] = [];

  constructor(private readonly rt: FederationRuntime, private readonly remote: Remote) {}

  /** Called with each removed track's id (the local cache drops its files). */
  onRemoved(fn: (id: string) => Promise<void>): void {
    this.removedListeners.push(fn);
  }

  private async removed(ids: string[]): Promise<void> {
    for (const id of ids) for (const fn of this.removedListeners) await fn(id).catch((err) => this.rt.log.warn({ err, id }, 'evicting a removed track failed'));
  }

  /**
   * Whether any local actor follows (or asked to follow) this remote actor, or this node follows
   * its node (an accepted instance follow: every public track of that node comes here).
   */
  async followedHere(actorUri: string): Promise<boolean> {
    // A channel of this node may be followed here too: that says nothing of a remote actor.
    if (this.rt.isLocal(actorUri)) return false;
    const r = await selectOne(
      this.rt.db,
      `SELECT 1 WHERE EXISTS (SELECT 1 FROM federation_follows WHERE following_uri = :a AND local_follower AND state <> 'rejected') OR ${followsNodeSql(':host')}`,
      { a: actorUri, instance: this.rt.instanceActorUri(), host: hostOf(actorUri) },
    );
    return !!r;
  }

  /**
   * Forgets the tracks, playlists and campaigns of `host` that nobody here follows by channel, unless this
   * node still follows that node (an instance follow ended, or was refused).
   */
  async forgetUnfollowedOn(host: string): Promise<number> {
    const stillFollowed = await selectOne(
      this.rt.db,
      `SELECT 1 WHERE ${followsNodeSql(':host', 'not rejected')}`,
      { instance: this.rt.instanceActorUri(), host },
    );
    if (stillFollowed) return 0;
    const unfollowed = `NOT EXISTS (SELECT 1 FROM federation_follows f WHERE f.following_uri = x.actor_uri AND f.local_follower AND f.state <> 'rejected')`;
    const rows = await select<{ id: string }>(this.rt.db, `DELETE FROM federation_remote_tracks x WHERE x.host = :host AND ${unfollowed} RETURNING id`, { host });
    await execute(this.rt.db, `DELETE FROM federation_remote_playlists x WHERE lower(split_part(x.actor_uri, '/', 3)) = :host AND ${unfollowed}`, { host });
    await execute(this.rt.db, `DELETE FROM federation_remote_campaigns x WHERE x.host = :host AND ${unfollowed}`, { host });
    await this.removed(rows.map((r) => r.id));
    return rows.length;
  }

  /** Stores (or updates) a track object sent or served by its home node. */
  async upsert(actorUri: string, obj: Record<string, unknown>): Promise<RemoteTrack | undefined> {
    const types = typesOf(obj.type);
    const kind = types.includes('Video') ? 'video' : types.includes('Audio') ? 'audio' : undefined;
    const uri = idOf(obj);
    if (!kind || !uri || hostOf(uri) !== hostOf(actorUri)) return undefined;
    const attributedTo = idOf(obj.attributedTo) ?? actorUri;
    if (hostOf(attributedTo) !== hostOf(actorUri)) return undefined;
    const { page, master, renditions } = linksOf(obj);
    const cover = httpUrl(idOf((obj.image as { url?: unknown })?.url) ?? idOf((obj.icon as { url?: unknown })?.url));
    const title = sanitizeText(typeof obj.name === 'string' ? obj.name : 'Untitled', 300);
    const published = typeof obj.published === 'string' && !Number.isNaN(Date.parse(obj.published)) ? obj.published : null;
    const position = typeof obj.position === 'number' && Number.isInteger(obj.position) ? obj.position : null;
    // Who may play it, as its home node says; a metered track without prices is not playable here.
    const access = obj.access === 'subscribers' || obj.access === 'metered' ? obj.access : 'free';
    const currency = typeof obj.currency === 'string' && /^[A-Z]{3,5}$/.test(obj.currency) ? obj.currency : null;
    await execute(
      this.rt.db,
      `INSERT INTO federation_remote_tracks (uri, actor_uri, host, kind, title, artist, album, position, duration_seconds, license, cover_url, url,
         master_playlist_url, renditions, summary, raw, published_at, updated_at, access, currency)
       VALUES (:uri, :actor, :host, :kind, :title, :artist, :album, :position, :duration, :license, :cover, :page, :master, CAST(:renditions AS jsonb),
         :summary, CAST(:raw AS jsonb), :published, now(), :access, :currency)
       ON CONFLICT (uri) DO UPDATE SET title = EXCLUDED.title, artist = EXCLUDED.artist, album = EXCLUDED.album, position = EXCLUDED.position,
         duration_seconds = EXCLUDED.duration_seconds, license = EXCLUDED.license, cover_url = EXCLUDED.cover_url, url = EXCLUDED.url,
         master_playlist_url = EXCLUDED.master_playlist_url, renditions = EXCLUDED.renditions, summary = EXCLUDED.summary, raw = EXCLUDED.raw,
         published_at = COALESCE(EXCLUDED.published_at, federation_remote_tracks.published_at), updated_at = now(),
         access = EXCLUDED.access, currency = EXCLUDED.currency`,
      {
        uri, actor: attributedTo, host: hostOf(uri), kind, title,
        artist: typeof obj.artist === 'string' ? sanitizeText(obj.artist, 300) : null,
        album: typeof obj.album === 'string' ? sanitizeText(obj.album, 300) : null,
        position, duration: parseIsoDuration(obj.duration) ?? null,
        license: typeof obj.license === 'string' ? obj.license.slice(0, 500) : null,
        cover, page, master, renditions: JSON.stringify(renditions),
        summary: typeof obj.content === 'string' ? sanitizeHtml(obj.content) : null,
        raw: JSON.stringify(obj), published, access, currency,
      },
    );
    await this.fetchSegmentHashes(uri).catch((err) => this.rt.log.warn({ err, uri }, 'segment hashes of a remote track could not be fetched'));
    return this.byUri(uri);
  }

  /** Fetches each rendition's segment-hash document from the home node (same host only). */
  async fetchSegmentHashes(uri: string): Promise<void> {
    const track = await this.byUri(uri);
    if (!track) return;
    const hashes: Record<string, Record<string, string>> = {};
    for (const r of track.renditions) {
      if (!r.segmentHashesUrl || hostOf(r.segmentHashesUrl) !== track.host) continue;
      // Capped (federation.maxDocumentBytes) while it streams; no redirects off the home node.
      // One rendition's missing or malformed file does not cost the others theirs.
      try {
        hashes[r.name] = normaliseSegmentHashes(await this.remote.fetchJson(r.segmentHashesUrl, { redirect: 'error' }));
      } catch (err) {
        this.rt.log.warn({ err, uri, rendition: r.name }, 'segment hashes of a rendition could not be fetched');
      }
    }
    await execute(this.rt.db, 'UPDATE federation_remote_tracks SET segment_hashes = CAST(:h AS jsonb) WHERE uri = :uri', { uri, h: JSON.stringify(hashes) });
  }

  /** Checks segment bytes (fetched from the home node or a local cache) against the home node's hash. */
  async checkSegment(trackId: string, rendition: string, segmentName: string, bytes: Uint8Array): Promise<{ ok: boolean; expected: string | null; actual: string }> {
    const track = await this.byId(trackId);
    const expected = track?.segmentHashes[rendition]?.[segmentName.split('/').pop()!] ?? null;
    const actual = createHash('sha256').update(bytes).digest('hex');
    return { ok: expected === actual, expected, actual };
  }

  async remove(uri: string, actorUri: string): Promise<boolean> {
    const rows = await select<{ id: string }>(this.rt.db, 'DELETE FROM federation_remote_tracks WHERE uri = :uri AND host = :host RETURNING id', { uri, host: hostOf(actorUri) });
    await this.removed(rows.map((r) => r.id));
    return rows.length > 0;
  }

  async removeAllOf(actorUri: string): Promise<void> {
    const rows = await select<{ id: string }>(this.rt.db, 'DELETE FROM federation_remote_tracks WHERE actor_uri = :a RETURNING id', { a: actorUri });
    await execute(this.rt.db, 'DELETE FROM federation_remote_playlists WHERE actor_uri = :a', { a: actorUri });
    await this.removed(rows.map((r) => r.id));
  }

  async byUri(uri: string): Promise<RemoteTrack | undefined> {
    const row = await selectOne<Row>(this.rt.db, 'SELECT * FROM federation_remote_tracks WHERE uri = :uri', { uri });
    return row && toTrack(row);
  }

  async byId(id: string): Promise<RemoteTrack | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await selectOne<Row>(this.rt.db, 'SELECT * FROM federation_remote_tracks WHERE id = CAST(:id AS uuid)', { id });
    return row && toTrack(row);
  }

  async list(opts: { actorUri?: string; limit: number; offset: number }): Promise<{ total: number; data: RemoteTrack[] }> {
    const where = opts.actorUri ? 'WHERE actor_uri = :actor' : '';
    const rows = await select<Row>(this.rt.db, `SELECT * FROM federation_remote_tracks ${where} ORDER BY published_at DESC NULLS LAST, received_at DESC LIMIT :limit OFFSET :offset`, {
      actor: opts.actorUri ?? null, limit: opts.limit, offset: opts.offset,
    });
    const n = await selectOne<{ n: string }>(this.rt.db, `SELECT count(*) AS n FROM federation_remote_tracks ${where}`, { actor: opts.actorUri ?? null });
    return { total: Number(n?.n ?? 0), data: rows.map(toTrack) };
  }

  async upsertPlaylist(actorUri: string, obj: Record<string, unknown>): Promise<void> {
    const uri = idOf(obj);
    if (!uri || hostOf(uri) !== hostOf(actorUri)) return;
    const items = (Array.isArray(obj.orderedItems) ? obj.orderedItems : []).map(idOf).filter((x): x is string => !!x).slice(0, 5000);
    await execute(
      this.rt.db,
      `INSERT INTO federation_remote_playlists (uri, actor_uri, name, items, raw) VALUES (:uri, :actor, :name, CAST(:items AS jsonb), CAST(:raw AS jsonb))
       ON CONFLICT (uri) DO UPDATE SET name = EXCLUDED.name, items = EXCLUDED.items, raw = EXCLUDED.raw, updated_at = now()`,
      { uri, actor: actorUri, name: sanitizeText(typeof obj.name === 'string' ? obj.name : 'Playlist', 300), items: JSON.stringify(items), raw: JSON.stringify(obj) },
    );
  }

  /** Remote playlists stored here, newest change first; each item with this node's remote track id when it is listed here. */
  async listPlaylists(opts: { actorUri?: string; limit: number; offset: number }) {
    const where = opts.actorUri ? 'WHERE actor_uri = :actor' : '';
    const rows = await select<{ uri: string; actor_uri: string; name: string; items: string[]; raw: Record<string, unknown>; updated_at: Date; total: string }>(
      this.rt.db,
      `SELECT uri, actor_uri, name, items, raw, updated_at, count(*) OVER () AS total FROM federation_remote_playlists ${where}
        ORDER BY updated_at DESC, uri LIMIT :limit OFFSET :offset`,
      { actor: opts.actorUri ?? null, limit: opts.limit, offset: opts.offset },
    );
    const uris = [...new Set(rows.flatMap((r) => r.items))];
    const known = uris.length
      ? new Map((await select<{ uri: string; id: string }>(this.rt.db, 'SELECT uri, id FROM federation_remote_tracks WHERE uri IN (:uris)', { uris })).map((t) => [t.uri, t.id]))
      : new Map<string, string>();
    return {
      total: Number(rows[0]?.total ?? 0),
      data: rows.map((r) => ({
        uri: r.uri,
        actorUri: r.actor_uri,
        name: r.name,
        summary: typeof r.raw.summary === 'string' ? sanitizeText(r.raw.summary, 5000) : null,
        items: r.items.map((uri) => ({ uri, trackId: known.get(uri) ?? null })),
        updatedAt: new Date(r.updated_at).toISOString(),
      })),
    };
  }

  async removePlaylist(uri: string, actorUri: string): Promise<boolean> {
    const rows = await select(this.rt.db, 'DELETE FROM federation_remote_playlists WHERE uri = :uri AND actor_uri = :a RETURNING uri', { uri, a: actorUri });
    return rows.length > 0;
  }
}
