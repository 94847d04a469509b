import type { Migration } from '../server/db/migrate.js';

// Upload quotas and the transcode queue's fair share.
// - media_user_limits: an admin's per-user overrides of the node's upload limits (NULL: the
//   node's default from config).
// - media_tracks.transcode_job_id / transcode_queued_at: the BullMQ job that currently
//   carries a processing track. NULL while the track waits in the node's own fair-share line
//   (a user has at most media.maxQueuedTranscodesPerUser tracks in the queue at once); the
//   periodic sweep finds processing tracks whose job is no longer live and queues them again.
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE media_user_limits (
      user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      quota_bytes bigint CHECK (quota_bytes >= 0),
      quota_tracks integer CHECK (quota_tracks >= 0),
      max_concurrent_uploads integer CHECK (max_concurrent_uploads >= 0),
      updated_by uuid REFERENCES users(id) ON DELETE SET NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    ALTER TABLE media_tracks ADD COLUMN transcode_job_id text, ADD COLUMN transcode_queued_at timestamptz;
    CREATE INDEX media_tracks_processing ON media_tracks (channel_id, created_at) WHERE status = 'processing';
    CREATE INDEX media_uploads_unfinished ON media_uploads (owner_id) WHERE track_id IS NULL;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP INDEX IF EXISTS media_uploads_unfinished;
    DROP INDEX IF EXISTS media_tracks_processing;
    ALTER TABLE media_tracks DROP COLUMN IF EXISTS transcode_queued_at, DROP COLUMN IF EXISTS transcode_job_id;
    DROP TABLE IF EXISTS media_user_limits;
  `);
};
