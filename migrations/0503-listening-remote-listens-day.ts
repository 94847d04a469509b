// Trending reads other nodes' Listens of the last days: by day.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('CREATE INDEX remote_listens_day ON remote_listens (day)');
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP INDEX remote_listens_day');
};
