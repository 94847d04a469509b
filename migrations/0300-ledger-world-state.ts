import type { Migration } from '../server/db/migrate.js';
import { ledgerSchemaSql, ledgerSchemaDropSql } from '../server/ledger/schema.js';

// The embedded engine's world state and hash-chained transaction log, in the node's own
// database (a shared ledger database gets the same tables from the engine at start).
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(ledgerSchemaSql);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(ledgerSchemaDropSql);
};
