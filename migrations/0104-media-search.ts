// Search over the catalogue: each track's words (title first, then artist and album, then
// genre) as a text-search document, and the same words folded for trigram similarity (typos);
// channels and playlists by their names. Accents are folded by nt_fold (0004-text-search).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE media_tracks
      ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', nt_fold(title)), 'A') ||
        setweight(to_tsvector('simple', nt_fold(coalesce(artist, '') || ' ' || coalesce(album, ''))), 'B') ||
        setweight(to_tsvector('simple', nt_fold(coalesce(genre, ''))), 'C')) STORED,
      ADD COLUMN search_words text GENERATED ALWAYS AS (
        nt_fold(title || ' ' || coalesce(artist, '') || ' ' || coalesce(album, '') || ' ' || coalesce(genre, ''))) STORED;
    CREATE INDEX media_tracks_search_doc ON media_tracks USING gin (search_doc);
    CREATE INDEX media_tracks_search_words ON media_tracks USING gin (search_words gin_trgm_ops);
    CREATE INDEX media_tracks_album ON media_tracks (channel_id, album, track_number) WHERE album IS NOT NULL;
    CREATE INDEX media_tracks_genre ON media_tracks (lower(genre)) WHERE genre IS NOT NULL;
    CREATE INDEX media_channels_search ON media_channels USING gin (nt_fold(name || ' ' || display_name) gin_trgm_ops);
    CREATE INDEX media_playlists_search ON media_playlists USING gin (nt_fold(title) gin_trgm_ops);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP INDEX media_playlists_search; DROP INDEX media_channels_search; DROP INDEX media_tracks_genre; DROP INDEX media_tracks_album;
    ALTER TABLE media_tracks DROP COLUMN search_words, DROP COLUMN search_doc;
  `);
};
