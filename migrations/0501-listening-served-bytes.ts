// Listening: where in a segment file a served response starts and how large the file is, so
// a partial (206) response credits only its bytes' share of the segment's time span; and an
// index for the per-actor daily cap on Listens from other nodes.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    -- NULL (rows logged before, or a path that does not know): the whole segment was served.
    ALTER TABLE segment_serves ADD COLUMN byte_start bigint, ADD COLUMN segment_bytes bigint;
    CREATE INDEX remote_listens_actor_day ON remote_listens (actor_uri, day);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP INDEX remote_listens_actor_day;
    ALTER TABLE segment_serves DROP COLUMN byte_start, DROP COLUMN segment_bytes;
  `);
};
