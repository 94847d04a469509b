import type { Migration } from '../server/db/migrate.js';

// Who may play a track's segments, and at what price (issue 13, pay-per-segment):
// - access 'free' (every track so far): whoever may see the track;
// - 'subscribers': only listeners with an active subscription (and the owner, admins);
// - 'metered': subscribers free, everyone else pays per span of segments (HTTP 402, L402).
// prices_per_minute: rendition name → minor units per minute of that rendition, set for
// every rendition of a metered track (empty otherwise).
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE media_tracks
      ADD COLUMN access text NOT NULL DEFAULT 'free' CHECK (access IN ('free', 'subscribers', 'metered')),
      ADD COLUMN prices_per_minute jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(prices_per_minute) = 'object');
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE media_tracks DROP COLUMN IF EXISTS prices_per_minute, DROP COLUMN IF EXISTS access');
};
