import type { Migration } from '../server/db/migrate.js';

// Channels (an artist's profile), resumable uploads and tracks with their renditions.
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE media_channels (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      display_name text NOT NULL,
      description text NOT NULL DEFAULT '',
      owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX media_channels_name ON media_channels (lower(name));
    CREATE INDEX media_channels_owner ON media_channels (owner_id);

    CREATE TABLE media_tracks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel_id uuid NOT NULL REFERENCES media_channels(id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('audio', 'video')),
      title text NOT NULL,
      artist text,
      album text,
      track_number integer,
      genre text,
      license text NOT NULL DEFAULT 'all-rights-reserved',
      visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted', 'private')),
      allow_download boolean NOT NULL DEFAULT false,
      status text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'failed')),
      progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
      failure_reason text,
      original_file text NOT NULL,
      original_mime text NOT NULL,
      original_bytes bigint NOT NULL,
      source_format text,
      probe jsonb,
      source_height integer,
      duration_seconds double precision,
      integrated_lufs double precision,
      true_peak_dbtp double precision,
      lra double precision,
      cover_file text,
      renditions jsonb NOT NULL DEFAULT '[]'::jsonb,
      segment_timeline jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    );
    CREATE INDEX media_tracks_channel ON media_tracks (channel_id, created_at DESC);
    CREATE INDEX media_tracks_listed ON media_tracks (published_at DESC) WHERE status = 'ready' AND visibility = 'public';

    CREATE TABLE media_uploads (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel_id uuid NOT NULL REFERENCES media_channels(id) ON DELETE CASCADE,
      owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      filename text NOT NULL,
      size bigint NOT NULL CHECK (size > 0),
      received bigint NOT NULL DEFAULT 0,
      mime_type text,
      allow_download boolean NOT NULL DEFAULT false,
      visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted', 'private')),
      track_id uuid REFERENCES media_tracks(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX media_uploads_owner ON media_uploads (owner_id);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE media_uploads; DROP TABLE media_tracks; DROP TABLE media_channels;');
};
