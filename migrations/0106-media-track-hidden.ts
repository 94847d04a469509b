import type { Migration } from '../server/db/migrate.js';

// A track hidden by a moderator (issue 17, docs/moderation.md): seen only by its owner, admins
// and moderators, out of every listing, search, feed and federation, whatever its visibility.
// Apart from `visibility`, so the owner's own choice is kept and comes back when it is shown again.
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`ALTER TABLE media_tracks ADD COLUMN hidden boolean NOT NULL DEFAULT false`);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE media_tracks DROP COLUMN IF EXISTS hidden');
};
