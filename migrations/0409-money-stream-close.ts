// A rate stream a node service opened for a user can be closed by the node (live's pay as you
// watch: the viewer left, or the stream ended): stop reason 'closed'.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE money_streams DROP CONSTRAINT money_streams_stop_reason_check;
    ALTER TABLE money_streams ADD CONSTRAINT money_streams_stop_reason_check CHECK (stop_reason IN ('canceled', 'wallet_empty', 'closed'));
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    UPDATE money_streams SET stop_reason = 'canceled' WHERE stop_reason = 'closed';
    ALTER TABLE money_streams DROP CONSTRAINT money_streams_stop_reason_check;
    ALTER TABLE money_streams ADD CONSTRAINT money_streams_stop_reason_check CHECK (stop_reason IN ('canceled', 'wallet_empty'));
  `);
};
