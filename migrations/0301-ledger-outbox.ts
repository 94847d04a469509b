import type { Migration } from '../server/db/migrate.js';
import { outboxSchemaSql } from '../server/ledger/schema.js';

// Ledger writes recorded in the caller's transaction, submitted in order after commit.
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(outboxSchemaSql);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE IF EXISTS ledger_outbox');
};
