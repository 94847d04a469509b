import type { Migration } from '../server/db/migrate.js';

// Playlists: an ordered list of tracks, owned by a user, optionally published by one of
// their channels (then federated as an ActivityPub Playlist).
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE media_playlists (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      channel_id uuid REFERENCES media_channels(id) ON DELETE CASCADE,
      title text NOT NULL,
      description text NOT NULL DEFAULT '',
      visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted', 'private')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX media_playlists_owner ON media_playlists (owner_id, created_at DESC);
    CREATE INDEX media_playlists_channel ON media_playlists (channel_id, created_at DESC) WHERE channel_id IS NOT NULL;
    CREATE INDEX media_playlists_listed ON media_playlists (created_at DESC) WHERE visibility = 'public';

    CREATE TABLE media_playlist_tracks (
      playlist_id uuid NOT NULL REFERENCES media_playlists(id) ON DELETE CASCADE,
      position integer NOT NULL CHECK (position >= 0),
      track_id uuid NOT NULL REFERENCES media_tracks(id) ON DELETE CASCADE,
      PRIMARY KEY (playlist_id, position)
    );
    CREATE INDEX media_playlist_tracks_track ON media_playlist_tracks (track_id);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE IF EXISTS media_playlist_tracks; DROP TABLE IF EXISTS media_playlists;');
};
