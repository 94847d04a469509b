// The catalogue as a listener browses it: search (ranked full-text over title, artist, album and
// genre, accents folded, typos forgiven by trigram similarity), albums (from the tracks' album
// tags, in track-number order), and genres. Only ready public tracks and public playlists.
import type { Sequelize } from 'sequelize';
import { select } from '../db/index.js';
import { notFound } from '../http/errors.js';
import { trackSelect } from './tracks.js';
import type { Tracks } from './tracks.js';
import type { Channels } from './channels.js';
import type { Playlists } from './playlists.js';
import type { Channel, TrackRow, TrackView } from './model.js';
import type { PlaylistView } from './playlists.js';
import { isUuid } from './storage.js';

/** An album: the ready public tracks of one channel that share an album tag. */
export interface AlbumSummary {
  channel: { id: string; name: string; displayName: string };
  title: string;
  tracks: number;
  durationSeconds: number;
  /** The cover of its first track that has one. */
  coverUrl: string | null;
  publishedAt: string;
}

export interface CatalogSearch {
  tracks: TrackView[];
  channels: Channel[];
  albums: AlbumSummary[];
  playlists: PlaylistView[];
}

const LISTED = `t.status = 'ready' AND t.visibility = 'public' AND NOT t.hidden`;
/** How many best tracks a search ranks fully (and finds its albums among). */
const CANDIDATES = 200;

/**
 * The query as SQL pieces: `q` the prefix tsquery of its folded words (every word, each a
 * prefix), `raw` the folded text for trigram similarity. Built in SQL so the folding is the one
 * the indexes were built with.
 */
const QUERY = `(SELECT to_tsquery('simple', coalesce(string_agg(quote_literal(w) || CASE WHEN length(w) > 1 THEN ':*' ELSE '' END, ' & '), '')) AS q, nt_fold(:text) AS raw
   FROM regexp_split_to_table(nt_fold(:text), '[^[:alnum:]]+') AS w WHERE w <> '')`;

export class Catalog {
  constructor(
    private readonly db: Sequelize,
    private readonly tracks: Tracks,
    private readonly channels: Channels,
    private readonly playlists: Playlists,
    private readonly publicUrl: () => string,
  ) {}

  /**
   * Tracks, channels, albums and playlists matching `text`, best first (at most `limit` of each).
   * Albums are those of the best tracks (up to 200) whose album tag itself matches.
   */
  async search(text: string, limit: number): Promise<CatalogSearch> {
    const repl = { text, limit };
    const [hits, channelRows, playlistRows] = await Promise.all([
      this.trackHits(repl),
      select<{ id: string }>(
        this.db,
        `SELECT c.id FROM media_channels c, ${QUERY} s
          WHERE s.raw <% nt_fold(c.name || ' ' || c.display_name)
          ORDER BY word_similarity(s.raw, nt_fold(c.name || ' ' || c.display_name)) DESC, c.id LIMIT :limit`,
        repl,
      ),
      select<{ id: string }>(
        this.db,
        `SELECT p.id FROM media_playlists p, ${QUERY} s
          WHERE p.visibility = 'public' AND s.raw <% nt_fold(p.title)
          ORDER BY word_similarity(s.raw, nt_fold(p.title)) DESC, p.id LIMIT :limit`,
        repl,
      ),
    ]);
    const topIds = hits.slice(0, limit).map((h) => h.id);
    const trackRows = topIds.length ? await select<TrackRow>(this.db, `${trackSelect} WHERE t.id IN (:ids)`, { ids: topIds }) : [];
    const byId = new Map(trackRows.map((r) => [r.id, r]));
    const albumKeys = new Map<string, { channelId: string; album: string }>();
    for (const h of hits) if (h.album_match && albumKeys.size < limit) albumKeys.set(`${h.channel_id}\u0000${h.album}`, { channelId: h.channel_id, album: h.album! });
    const [channels, albums, playlists] = await Promise.all([
      this.channels.getMany(channelRows.map((c) => c.id)),
      this.albumsNamed([...albumKeys.values()]),
      this.playlists.getMany(playlistRows.map((p) => p.id)),
    ]);
    return { tracks: topIds.flatMap((id) => (byId.has(id) ? [this.tracks.view(byId.get(id)!)] : [])), channels, albums, playlists };
  }

  /**
   * The best tracks for a query: full-text matches (every word a prefix) ranked by ts_rank; when
   * there are fewer than `limit`, typo matches (trigram word similarity) after them. Typos are
   * looked for only then: a short or common query matches a trigram of a large share of the
   * catalogue, and every such row would need its similarity computed.
   */
  private async trackHits(repl: { text: string; limit: number }) {
    type Hit = { id: string; channel_id: string; album: string | null; score: number; album_match: boolean };
    const albumMatch = `(h.album IS NOT NULL AND (to_tsvector('simple', nt_fold(h.album)) @@ s.q OR s.raw <% nt_fold(h.album)))`;
    const exact = await select<Hit>(
      this.db,
      `WITH s AS ${QUERY},
       hits AS (
         SELECT t.id, t.channel_id, t.album, 1 + ts_rank(t.search_doc, s.q) AS score FROM media_tracks t, s
          WHERE ${LISTED} AND t.search_doc @@ s.q ORDER BY score DESC, t.id LIMIT ${CANDIDATES})
       SELECT h.*, ${albumMatch} AS album_match FROM hits h, s ORDER BY h.score DESC, h.id`,
      repl,
    );
    if (exact.length >= repl.limit) return exact;
    const typos = await select<Hit>(
      this.db,
      `WITH s AS ${QUERY},
       hits AS (
         SELECT t.id, t.channel_id, t.album, word_similarity(s.raw, t.search_words) AS score FROM media_tracks t, s
          WHERE ${LISTED} AND s.raw <% t.search_words AND NOT (t.search_doc @@ s.q) ORDER BY score DESC, t.id LIMIT ${CANDIDATES})
       SELECT h.*, ${albumMatch} AS album_match FROM hits h, s ORDER BY h.score DESC, h.id`,
      repl,
    );
    return [...exact, ...typos];
  }

  /** Albums named by channel and tag, in the order given (one query, however many). */
  private async albumsNamed(keys: { channelId: string; album: string }[]): Promise<AlbumSummary[]> {
    if (!keys.length) return [];
    const found = await this.summaries(
      `(t.channel_id, t.album) IN (SELECT * FROM unnest(ARRAY[:channels]::uuid[], ARRAY[:albums]::text[]))`,
      { channels: keys.map((k) => k.channelId), albums: keys.map((k) => k.album) },
    );
    const key = (channelId: string, album: string) => `${channelId}\u0000${album}`;
    const byKey = new Map(found.map((a) => [key(a.channel.id, a.title), a]));
    return keys.flatMap((k) => byKey.get(key(k.channelId, k.album)) ?? []);
  }

  /** A channel's albums (or one of them), newest first. */
  private albumSummaries(channelId: string, album?: string): Promise<AlbumSummary[]> {
    return this.summaries(`t.channel_id = :channelId ${album !== undefined ? 'AND t.album = :album' : ''}`, { channelId, album });
  }

  private async summaries(where: string, params: Record<string, unknown>): Promise<AlbumSummary[]> {
    const rows = await select<{ channel_id: string; channel_name: string; channel_display_name: string; album: string; tracks: string; duration: number | null; cover: string | null; published: Date }>(
      this.db,
      `SELECT t.channel_id, c.name AS channel_name, c.display_name AS channel_display_name, t.album, count(*) AS tracks,
              sum(t.duration_seconds) AS duration, (array_agg(t.id ORDER BY t.track_number NULLS LAST, t.created_at) FILTER (WHERE t.cover_file IS NOT NULL))[1] AS cover,
              max(COALESCE(t.published_at, t.created_at)) AS published
         FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
        WHERE ${LISTED} AND t.album IS NOT NULL AND ${where}
        GROUP BY t.channel_id, c.name, c.display_name, t.album ORDER BY published DESC, t.album LIMIT 500`,
      params,
    );
    return rows.map((r) => ({
      channel: { id: r.channel_id, name: r.channel_name, displayName: r.channel_display_name },
      title: r.album,
      tracks: Number(r.tracks),
      durationSeconds: Math.round(Number(r.duration ?? 0)),
      coverUrl: r.cover ? `${this.publicUrl()}/static/covers/${r.cover}` : null,
      publishedAt: new Date(r.published).toISOString(),
    }));
  }

  /** A channel's albums, newest first. */
  async albums(channelRef: string): Promise<AlbumSummary[]> {
    const channel = await this.channels.get(channelRef);
    if (!channel) throw notFound('Channel');
    return this.albumSummaries(channel.id);
  }

  /** One album of a channel with its tracks in track-number order. */
  async album(channelRef: string, title: string): Promise<AlbumSummary & { trackList: TrackView[] }> {
    const channel = await this.channels.get(channelRef);
    if (!channel) throw notFound('Channel');
    const [summary] = await this.albumSummaries(channel.id, title);
    if (!summary) throw notFound('Album');
    const rows = await select<TrackRow>(
      this.db,
      `${trackSelect} WHERE ${LISTED} AND t.channel_id = :channelId AND t.album = :album ORDER BY t.track_number NULLS LAST, t.created_at, t.id`,
      { channelId: channel.id, album: title },
    );
    return { ...summary, trackList: rows.map((r) => this.tracks.view(r)) };
  }

  /** Genres of the ready public tracks, most tracks first (as tagged: the first spelling seen names each). */
  async genres(limit: number): Promise<{ name: string; tracks: number }[]> {
    const rows = await select<{ name: string; tracks: string }>(
      this.db,
      `SELECT min(t.genre) AS name, count(*) AS tracks FROM media_tracks t WHERE ${LISTED} AND t.genre IS NOT NULL AND t.genre <> ''
        GROUP BY lower(t.genre) ORDER BY count(*) DESC, lower(t.genre) LIMIT :limit`,
      { limit },
    );
    return rows.map((r) => ({ name: r.name, tracks: Number(r.tracks) }));
  }

  /** The ready public tracks of a genre (any case), newest first. */
  async byGenre(genre: string, limit: number, offset: number): Promise<TrackView[]> {
    const rows = await select<TrackRow>(
      this.db,
      `${trackSelect} WHERE ${LISTED} AND lower(t.genre) = lower(:genre) ORDER BY COALESCE(t.published_at, t.created_at) DESC, t.id LIMIT :limit OFFSET :offset`,
      { genre, limit, offset },
    );
    return rows.map((r) => this.tracks.view(r));
  }
}

/**
 * The library as a listener's app browses it (Subsonic): ready public audio tracks plus the
 * viewer's own ready ones, by channel (the artist) and album tag (tracks without one are the
 * channel's singles, album null).
 */
export interface LibraryArtist {
  channel: { id: string; name: string; displayName: string };
  albums: number;
  tracks: number;
  /** A track of the channel with a cover, for the artist's picture. */
  coverTrackId: string | null;
}

export interface LibraryAlbum {
  channel: { id: string; name: string; displayName: string };
  /** The album tag; null: the channel's tracks without one. */
  album: string | null;
  tracks: number;
  durationSeconds: number;
  coverTrackId: string | null;
  /** The commonest genre of its tracks. */
  genre: string | null;
  /** The year it was first published (tracks carry no release year). */
  year: number | null;
  createdAt: string;
}

export type LibraryAlbumOrder = 'newest' | 'name' | 'artist' | 'random' | 'year';
export type LibraryTrackOrder = 'album' | 'newest' | 'random' | 'stable';

export interface LibraryAlbumQuery {
  viewerId: string | null;
  channelId?: string;
  genre?: string;
  /** Published in these years (inclusive; from > to lists them newest first). */
  years?: { from: number; to: number };
  order: LibraryAlbumOrder;
  limit: number;
  offset: number;
}

export interface LibraryTrackQuery {
  viewerId: string | null;
  channelId?: string;
  /** With channelId: one album (null: its singles). */
  album?: string | null;
  ids?: string[];
  genre?: string;
  years?: { from: number; to: number };
  order: LibraryTrackOrder;
  limit: number;
  offset: number;
}

const LIBRARY = `t.status = 'ready' AND t.kind = 'audio' AND ((t.visibility = 'public' AND NOT t.hidden) OR c.owner_id = CAST(:viewerId AS uuid))`;
const PUBLISHED_YEAR = `extract(year FROM COALESCE(t.published_at, t.created_at))::int`;

const albumOrders: Record<LibraryAlbumOrder, string> = {
  newest: 'max(COALESCE(t.published_at, t.created_at)) DESC, t.channel_id, t.album NULLS LAST',
  name: 'lower(COALESCE(t.album, \'\')), t.channel_id, t.album NULLS LAST',
  artist: 'lower(c.display_name), t.channel_id, lower(COALESCE(t.album, \'\')), t.album NULLS LAST',
  random: 'random()',
  year: 'min(COALESCE(t.published_at, t.created_at)), t.channel_id, t.album NULLS LAST',
};

const trackOrders: Record<LibraryTrackOrder, string> = {
  album: 't.track_number NULLS LAST, t.created_at, t.id',
  newest: 'COALESCE(t.published_at, t.created_at) DESC, t.id',
  random: 'random()',
  stable: 't.created_at, t.id',
};

/** The SQL conditions and replacements of a library query's filters. */
function libraryFilters(q: { viewerId: string | null; channelId?: string; genre?: string; years?: { from: number; to: number } }) {
  const where = [LIBRARY];
  const repl: Record<string, unknown> = { viewerId: q.viewerId };
  if (q.channelId !== undefined) {
    where.push('t.channel_id = CAST(:channelId AS uuid)');
    repl.channelId = q.channelId;
  }
  if (q.genre !== undefined) {
    where.push('lower(t.genre) = lower(:genre)');
    repl.genre = q.genre;
  }
  if (q.years) {
    where.push(`${PUBLISHED_YEAR} BETWEEN :fromYear AND :toYear`);
    repl.fromYear = Math.min(q.years.from, q.years.to);
    repl.toYear = Math.max(q.years.from, q.years.to);
  }
  return { where, repl };
}

export class Library {
  constructor(
    private readonly db: Sequelize,
    private readonly tracks: Tracks,
  ) {}

  /** The channels with tracks in the library, by display name. */
  async artists(viewerId: string | null): Promise<LibraryArtist[]> {
    const rows = await select<{ id: string; name: string; display_name: string; albums: string; tracks: string; cover: string | null }>(
      this.db,
      `SELECT c.id, c.name, c.display_name, count(DISTINCT COALESCE(t.album, chr(1))) AS albums, count(*) AS tracks,
              (array_agg(t.id ORDER BY t.created_at) FILTER (WHERE t.cover_file IS NOT NULL))[1] AS cover
         FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
        WHERE ${LIBRARY} GROUP BY c.id, c.name, c.display_name ORDER BY lower(c.display_name), c.id`,
      { viewerId },
    );
    return rows.map((r) => ({ channel: { id: r.id, name: r.name, displayName: r.display_name }, albums: Number(r.albums), tracks: Number(r.tracks), coverTrackId: r.cover }));
  }

  async albums(q: LibraryAlbumQuery): Promise<LibraryAlbum[]> {
    const { where, repl } = libraryFilters(q);
    const order = q.order === 'year' && q.years && q.years.from > q.years.to ? albumOrders.year.replace('min(COALESCE(t.published_at, t.created_at))', 'min(COALESCE(t.published_at, t.created_at)) DESC') : albumOrders[q.order];
    const rows = await select<{ channel_id: string; name: string; display_name: string; album: string | null; tracks: string; duration: number | null; cover: string | null; genre: string | null; year: number | null; created: Date }>(
      this.db,
      `SELECT t.channel_id, c.name, c.display_name, t.album, count(*) AS tracks, sum(t.duration_seconds) AS duration,
              (array_agg(t.id ORDER BY t.track_number NULLS LAST, t.created_at) FILTER (WHERE t.cover_file IS NOT NULL))[1] AS cover,
              mode() WITHIN GROUP (ORDER BY t.genre) AS genre, min(${PUBLISHED_YEAR}) AS year, min(t.created_at) AS created
         FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
        WHERE ${where.join(' AND ')}
        GROUP BY t.channel_id, c.name, c.display_name, t.album ORDER BY ${order} LIMIT :limit OFFSET :offset`,
      { ...repl, limit: q.limit, offset: q.offset },
    );
    return rows.map((r) => ({
      channel: { id: r.channel_id, name: r.name, displayName: r.display_name },
      album: r.album,
      tracks: Number(r.tracks),
      durationSeconds: Math.round(Number(r.duration ?? 0)),
      coverTrackId: r.cover,
      genre: r.genre,
      year: r.year === null ? null : Number(r.year),
      createdAt: new Date(r.created).toISOString(),
    }));
  }

  async tracksOf(q: LibraryTrackQuery): Promise<TrackView[]> {
    const { where, repl } = libraryFilters(q);
    if (q.channelId !== undefined && q.album !== undefined) {
      where.push(q.album === null ? 't.album IS NULL' : 't.album = :album');
      repl.album = q.album;
    }
    if (q.ids) {
      const ids = q.ids.filter((id) => isUuid(id));
      if (!ids.length) return [];
      where.push('t.id IN (:ids)');
      repl.ids = ids;
    }
    const rows = await select<TrackRow>(this.db, `${trackSelect} WHERE ${where.join(' AND ')} ORDER BY ${trackOrders[q.order]} LIMIT :limit OFFSET :offset`, {
      ...repl,
      limit: q.limit,
      offset: q.offset,
    });
    return rows.map((r) => this.tracks.view(r));
  }
}
