// A live stream's HLS master playlist, as its Stream start announced it: followers' nodes play
// it through their own cache (segments checked against the home node's hashes).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE federation_streams ADD COLUMN hls_url text');
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE federation_streams DROP COLUMN hls_url');
};
