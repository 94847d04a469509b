import type { Migration } from '../server/db/migrate.js';

// The moderator role (works the reports queue) and a silenced account (signs in and listens,
// but publishes nothing: no upload, no channel, no live stream).
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE users DROP CONSTRAINT users_role_check;
    ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'moderator', 'artist', 'listener', 'auditor'));
    ALTER TABLE users ADD COLUMN silenced boolean NOT NULL DEFAULT false;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE users DROP COLUMN silenced;
    ALTER TABLE users DROP CONSTRAINT users_role_check;
    ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'artist', 'listener', 'auditor'));
  `);
};
