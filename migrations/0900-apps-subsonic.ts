// Apps: what Subsonic clients keep on the server per user: starred artists, albums and songs
// (ids in the Subsonic id scheme of server/apps/subsonic/ids.ts) and one saved play queue.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE app_stars (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      item_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('artist', 'album', 'song')),
      starred_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, item_id)
    );
    CREATE INDEX app_stars_user_kind ON app_stars (user_id, kind, starred_at);
    CREATE TABLE app_play_queues (
      user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      track_ids text[] NOT NULL,
      current_id text,
      position_ms bigint NOT NULL DEFAULT 0,
      changed_by text NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE app_play_queues; DROP TABLE app_stars;');
};
