import type { Migration } from '../server/db/migrate.js';

// Who may play a remote track, as its home node federates it (issue 13): `free`, `subscribers`
// (this node's subscribers, whose plays count in this node's split) or `metered` (paid here per
// span, owed to the remote artist); the prices per minute travel in each rendition of
// `renditions` (pricePerMinute) and the currency here. Tracks stored before are free.
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE federation_remote_tracks
      ADD COLUMN access text NOT NULL DEFAULT 'free' CHECK (access IN ('free', 'subscribers', 'metered')),
      ADD COLUMN currency text;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE federation_remote_tracks DROP COLUMN IF EXISTS currency, DROP COLUMN IF EXISTS access');
};
