// Listening of a deleted account: play sessions and serve-log rows lose their address and device
// once their day is reported (the end-of-day rules read them until then). This lists the deleted
// accounts that still have such rows of days not yet reported (docs/accounts.md).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE listening_pending_erasures (
      user_id uuid PRIMARY KEY,
      since timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE listening_pending_erasures');
};
