// Pre-funded watch links: credit an artist (from their wallet) or an admin (from the node) puts
// on a link or QR code for one channel's live streams (or one stream). The first to open it
// gets a guest account holding the credit; they can claim the account later.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE live_watch_links (
      code text PRIMARY KEY,
      channel_id uuid NOT NULL,
      -- one stream only; null: any stream of the channel
      stream_id uuid REFERENCES live_streams (id) ON DELETE SET NULL,
      creator_id uuid NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      funded_from text NOT NULL CHECK (funded_from IN ('wallet', 'node')),
      message text,
      request_key text UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      guest_id uuid UNIQUE,
      opened_at timestamptz,
      claimed_at timestamptz
    );
    CREATE INDEX live_watch_links_channel ON live_watch_links (channel_id, created_at DESC);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE live_watch_links');
};
