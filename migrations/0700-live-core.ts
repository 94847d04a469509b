// Live: each channel's stream key (hashed) and choices, the streams it ran, and every live
// segment's SHA-256 as it was written (the playlists are made from these rows).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE live_channels (
      channel_id uuid PRIMARY KEY,
      -- SHA-256 of the stream key; the key itself is shown once and never stored.
      key_hash text UNIQUE,
      key_hint text,
      key_created_at timestamptz,
      title text,
      keep_replays boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE live_streams (
      id uuid PRIMARY KEY,
      channel_id uuid NOT NULL,
      title text NOT NULL,
      state text NOT NULL CHECK (state IN ('starting', 'live', 'reconnecting', 'ended')),
      end_reason text,
      end_message text,
      renditions jsonb NOT NULL DEFAULT '[]',
      source jsonb NOT NULL DEFAULT '{}',
      parts integer NOT NULL DEFAULT 1,
      peak_viewers integer NOT NULL DEFAULT 0,
      keep_replay boolean NOT NULL,
      replay_track_id uuid,
      replay_error text,
      announced boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      ended_at timestamptz
    );
    -- One channel, one stream: a second push while one runs is refused, whichever process took it.
    CREATE UNIQUE INDEX live_streams_one_per_channel ON live_streams (channel_id) WHERE state <> 'ended';
    CREATE INDEX live_streams_channel_recent ON live_streams (channel_id, created_at DESC);
    CREATE TABLE live_segments (
      stream_id uuid NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
      rendition text NOT NULL,
      seq integer NOT NULL,
      part integer NOT NULL,
      file text NOT NULL,
      duration_ms integer NOT NULL,
      bytes integer NOT NULL,
      sha256 text NOT NULL,
      discontinuity boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (stream_id, rendition, seq)
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE live_segments, live_streams, live_channels');
};
