// Paid live: each channel's price per minute, free minutes and subscribers' discount (each
// stream keeps the ones it started with), every viewer's free minutes (the segment sequence
// they started at), and the rate streams viewers watch on (closed by the node when they stop).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE live_channels
      ADD COLUMN price_per_minute bigint NOT NULL DEFAULT 0 CHECK (price_per_minute >= 0),
      ADD COLUMN free_minutes numeric(6, 2) NOT NULL DEFAULT 0 CHECK (free_minutes >= 0),
      ADD COLUMN subscriber_discount_percent integer NOT NULL DEFAULT 0 CHECK (subscriber_discount_percent BETWEEN 0 AND 100);
    ALTER TABLE live_streams
      ADD COLUMN price_per_minute bigint NOT NULL DEFAULT 0 CHECK (price_per_minute >= 0),
      ADD COLUMN free_minutes numeric(6, 2) NOT NULL DEFAULT 0 CHECK (free_minutes >= 0),
      ADD COLUMN subscriber_discount_percent integer NOT NULL DEFAULT 0 CHECK (subscriber_discount_percent BETWEEN 0 AND 100);
    CREATE TABLE live_free_passes (
      stream_id uuid NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
      -- 'u:' and a user id, or 'a:' and the client's network
      viewer text NOT NULL,
      first_seq integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (stream_id, viewer)
    );
    CREATE TABLE live_watch_streams (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      stream_id uuid NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
      viewer_id uuid NOT NULL,
      -- the Idempotency-Key money's rate stream is made with: after a crash mid-open it is found again
      request_key text NOT NULL UNIQUE,
      -- null while it is being opened
      payment_stream_id uuid UNIQUE,
      price_per_minute bigint NOT NULL,
      opened_at timestamptz NOT NULL DEFAULT now(),
      -- epoch seconds up to which the viewer was served (the last segment's end)
      watched_until bigint NOT NULL,
      closed_at timestamptz,
      close_reason text CHECK (close_reason IN ('viewer_left', 'viewer_stopped', 'stream_ended', 'wallet_empty', 'closed_elsewhere', 'open_failed'))
    );
    -- One open watch stream per viewer and live stream.
    CREATE UNIQUE INDEX live_watch_streams_open ON live_watch_streams (stream_id, viewer_id) WHERE closed_at IS NULL;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TABLE live_watch_streams, live_free_passes;
    ALTER TABLE live_streams DROP COLUMN price_per_minute, DROP COLUMN free_minutes, DROP COLUMN subscriber_discount_percent;
    ALTER TABLE live_channels DROP COLUMN price_per_minute, DROP COLUMN free_minutes, DROP COLUMN subscriber_discount_percent;
  `);
};
