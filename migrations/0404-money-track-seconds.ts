// Per-track qualified seconds in the month-close snapshot, for artists' per-track earnings.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_close_track_seconds (
      month text NOT NULL,
      user_id uuid NOT NULL,
      artist text NOT NULL,
      held boolean NOT NULL,
      track_id text NOT NULL,
      seconds bigint NOT NULL CHECK (seconds >= 0),
      PRIMARY KEY (month, user_id, artist, held, track_id)
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_close_track_seconds;');
};
