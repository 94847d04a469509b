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

const LISTED = `t.status = 'ready' AND t.visibility = 'public'`;
/** How many best tracks a search ranks fully (and finds its albums among). */
const CANDIDATES = 200;

/**
 * The query as SQL pieces: `q` the prefix tsquery of its folded words (every word, each a
 * prefix), `raw` the folded text for trigram similarity. Built in SQL so the folding is the one
 * the indexes were built with.
 */
const QUERY = `(SELECT to_tsquery('simple', coalesce(string_agg(quote_literal(w) || ':*', ' & '), '')) AS q, nt_fold(:text) AS raw
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
      Promise.all(channelRows.map((c) => this.channels.get(c.id))).then((xs) => xs.filter((c): c is Channel => !!c)),
      Promise.all([...albumKeys.values()].map((a) => this.albumSummaries(a.channelId, a.album))).then((xs) => xs.flat()),
      Promise.all(playlistRows.map((p) => this.playlists.get(p.id, null))).then((xs) => xs.filter((p): p is PlaylistView => !!p)),
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

  /** A channel's albums (or one of them), newest first. */
  private async albumSummaries(channelId: string, album?: string): Promise<AlbumSummary[]> {
    const rows = await select<{ channel_id: string; channel_name: string; channel_display_name: string; album: string; tracks: string; duration: number | null; cover: string | null; published: Date }>(
      this.db,
      `SELECT t.channel_id, c.name AS channel_name, c.display_name AS channel_display_name, t.album, count(*) AS tracks,
              sum(t.duration_seconds) AS duration, (array_agg(t.id ORDER BY t.track_number NULLS LAST, t.created_at) FILTER (WHERE t.cover_file IS NOT NULL))[1] AS cover,
              max(COALESCE(t.published_at, t.created_at)) AS published
         FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id
        WHERE ${LISTED} AND t.channel_id = :channelId AND t.album IS NOT NULL ${album !== undefined ? 'AND t.album = :album' : ''}
        GROUP BY t.channel_id, c.name, c.display_name, t.album ORDER BY published DESC, t.album LIMIT 500`,
      { channelId, album },
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
