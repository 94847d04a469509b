// The days whose income besides the split (tips, stream withdrawals) went to the ledger
// (IncomeContract:submit), each once.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_income_reports (
      day date PRIMARY KEY,
      artists integer NOT NULL CHECK (artists > 0),
      outbox_id text NOT NULL,
      reported_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_income_reports;');
};
