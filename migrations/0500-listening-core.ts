// Listening: play sessions, the segment-serve log, qualified listens, anomaly flags,
// remote listens, per-month pseudonym secrets and daily reports.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE listening_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      -- media owns tracks and channels; ids are copied, not referenced, so listening
      -- history outlives a deleted track.
      track_id text NOT NULL,
      channel_id text NOT NULL,
      channel_owner_id text,
      artist_uri text NOT NULL,
      track_duration_seconds double precision,
      ip text,
      user_agent text,
      state text NOT NULL DEFAULT 'started' CHECK (state IN ('started', 'playing', 'paused', 'ended')),
      position_seconds double precision NOT NULL DEFAULT 0,
      played_seconds double precision NOT NULL DEFAULT 0,
      claimed jsonb NOT NULL DEFAULT '[]',
      covered_seconds double precision NOT NULL DEFAULT 0,
      started_at timestamptz NOT NULL DEFAULT now(),
      last_progress_at timestamptz
    );
    CREATE INDEX listening_sessions_user ON listening_sessions (user_id, started_at);
    CREATE INDEX listening_sessions_ip ON listening_sessions (ip, started_at);

    -- Append-only, written in batches from the segment endpoints' hot path.
    CREATE TABLE segment_serves (
      id bigserial PRIMARY KEY,
      session_id uuid,
      user_id uuid,
      track_id text NOT NULL,
      rendition text NOT NULL,
      segment_index integer NOT NULL,
      start_seconds double precision NOT NULL,
      duration_seconds double precision NOT NULL,
      bytes bigint NOT NULL,
      ip text,
      user_agent text,
      served_at timestamptz NOT NULL
    );
    CREATE INDEX segment_serves_session ON segment_serves (session_id) WHERE session_id IS NOT NULL;
    CREATE INDEX segment_serves_served_at ON segment_serves USING brin (served_at);

    CREATE TABLE listens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      track_id text NOT NULL,
      channel_id text NOT NULL,
      channel_owner_id text,
      artist_uri text NOT NULL,
      session_id uuid NOT NULL UNIQUE REFERENCES listening_sessions(id),
      qualified_seconds integer NOT NULL CHECK (qualified_seconds >= 0),
      qualified_at timestamptz NOT NULL,
      -- The day in the node's time zone when the listen qualified: the report it belongs to.
      day date NOT NULL,
      status text NOT NULL CHECK (status IN ('counted', 'held', 'rejected')),
      held_reason text,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX listens_user_day ON listens (user_id, day);
    CREATE INDEX listens_day ON listens (day);
    CREATE INDEX listens_owner_day ON listens (channel_owner_id, day);

    CREATE TABLE listening_flags (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      listen_id uuid NOT NULL REFERENCES listens(id),
      rule text NOT NULL,
      evidence jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (listen_id, rule)
    );
    CREATE INDEX listening_flags_created ON listening_flags (created_at);

    CREATE TABLE remote_listens (
      activity_id text PRIMARY KEY,
      actor_uri text NOT NULL,
      track_id text NOT NULL,
      channel_id text NOT NULL,
      channel_owner_id text,
      seconds integer NOT NULL CHECK (seconds >= 0),
      listened_at timestamptz NOT NULL,
      day date NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX remote_listens_owner_day ON remote_listens (channel_owner_id, day);

    CREATE TABLE pseudonym_secrets (
      month text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
      secret bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE daily_reports (
      day date PRIMARY KEY,
      node_id text NOT NULL,
      rows jsonb NOT NULL,
      artist_totals jsonb NOT NULL,
      hash text NOT NULL,
      -- A day is corrected (a new version naming the old one) when held listening of it is released.
      version integer NOT NULL DEFAULT 1,
      reason text,
      corrected_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TABLE daily_reports; DROP TABLE pseudonym_secrets; DROP TABLE remote_listens;
    DROP TABLE listening_flags; DROP TABLE listens; DROP TABLE segment_serves; DROP TABLE listening_sessions;
  `);
};
