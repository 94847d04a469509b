// Guest accounts: made without a sign-up form (a pre-funded watch link opened on a phone), with
// no password anyone knows, until the guest claims the account with a username and password.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE users ADD COLUMN guest boolean NOT NULL DEFAULT false');
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE users DROP COLUMN guest');
};
