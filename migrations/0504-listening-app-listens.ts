// Listening: listens that listeners' apps submit (ListenBrainz `submit-listens`, Subsonic
// `scrobble`). They are kept for the listener's own statistics only: the node did not serve
// what they claim unless one matches a play session, and even then only the session's served
// bytes count (listens). A session an app confirmed carries when.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE listening_sessions ADD COLUMN confirmed_at timestamptz;
    CREATE TABLE submitted_listens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      source text NOT NULL CHECK (source IN ('listenbrainz', 'subsonic')),
      listened_at timestamptz NOT NULL,
      artist_name text NOT NULL,
      track_name text NOT NULL,
      release_name text,
      duration_seconds double precision,
      -- A track of this node the listen names or was matched to (copied, not referenced).
      track_id text,
      -- The play session it matched: the node served that playback (its listen counts by the served bytes, not by this row).
      session_id uuid REFERENCES listening_sessions(id),
      payload jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX submitted_listens_once ON submitted_listens (user_id, listened_at, md5(lower(artist_name) || chr(1) || lower(track_name)));
    CREATE INDEX submitted_listens_session ON submitted_listens (session_id) WHERE session_id IS NOT NULL;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE submitted_listens; ALTER TABLE listening_sessions DROP COLUMN confirmed_at;');
};
