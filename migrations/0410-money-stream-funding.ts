// A rate stream may be funded from an escrow account of the node's instead of the sender's
// wallet (a pre-funded watch link's credit): deposits, top-ups and refunds use it.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  // null: the sender's wallet
  await sequelize.query('ALTER TABLE money_streams ADD COLUMN funding_account text');
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE money_streams DROP COLUMN funding_account');
};
