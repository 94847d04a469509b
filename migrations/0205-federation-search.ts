// Search over what other nodes federated here: remote tracks by title, artist and album, remote
// actors by name and handle, remote playlists by name (folded with nt_fold, trigram indexes).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE INDEX federation_remote_tracks_search ON federation_remote_tracks
      USING gin (nt_fold(title || ' ' || coalesce(artist, '') || ' ' || coalesce(album, '')) gin_trgm_ops);
    CREATE INDEX federation_remote_actors_search ON federation_remote_actors
      USING gin (nt_fold(coalesce(name, '') || ' ' || coalesce(preferred_username, '')) gin_trgm_ops);
    CREATE INDEX federation_remote_playlists_search ON federation_remote_playlists USING gin (nt_fold(name) gin_trgm_ops);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP INDEX federation_remote_tracks_search; DROP INDEX federation_remote_actors_search; DROP INDEX federation_remote_playlists_search;');
};
