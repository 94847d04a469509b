// A rate stream a node service opened for a user can be closed by the node (live's pay as you
// watch: the viewer left, or the stream ended): stop reason 'closed'. It may be funded from an
// escrow account other than the sender's wallet (a pre-funded watch link's credit).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE money_streams DROP CONSTRAINT money_streams_stop_reason_check;
    ALTER TABLE money_streams ADD CONSTRAINT money_streams_stop_reason_check CHECK (stop_reason IN ('canceled', 'wallet_empty', 'closed'));
    -- null: the sender's wallet
    ALTER TABLE money_streams ADD COLUMN funding_account text;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE money_streams DROP COLUMN funding_account;
    UPDATE money_streams SET stop_reason = 'canceled' WHERE stop_reason = 'closed';
    ALTER TABLE money_streams DROP CONSTRAINT money_streams_stop_reason_check;
    ALTER TABLE money_streams ADD CONSTRAINT money_streams_stop_reason_check CHECK (stop_reason IN ('canceled', 'wallet_empty'));
  `);
};
