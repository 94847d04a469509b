// Indexes for discovery: "new on the network" orders remote tracks by when they were published
// (or received), and the instance actor's outbox lists every public Create, newest first.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE INDEX federation_remote_tracks_newest ON federation_remote_tracks ((COALESCE(published_at, received_at)) DESC, id);
    CREATE INDEX federation_outbox_public_creates ON federation_outbox (created_at DESC) WHERE public AND type = 'Create';
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP INDEX federation_remote_tracks_newest; DROP INDEX federation_outbox_public_creates;');
};
