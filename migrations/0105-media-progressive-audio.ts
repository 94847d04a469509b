import type { Migration } from '../server/db/migrate.js';

// The progressive file of a track (issue 18, decision 0102): one AAC rendition remuxed into an
// audio/mp4 file that fediverse and podcast apps play inline. NULL: not made (an audio track
// transcoded before it existed, which the backfill job makes it for, or a video);
// else what the API shows of it: {file, mimeType, rendition, bitrateKbps, bytes, sha256}.
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE media_tracks ADD COLUMN progressive_audio jsonb CHECK (progressive_audio IS NULL OR jsonb_typeof(progressive_audio) = 'object');
    CREATE INDEX media_tracks_progressive_missing ON media_tracks (id) WHERE status = 'ready' AND progressive_audio IS NULL AND kind = 'audio';
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP INDEX IF EXISTS media_tracks_progressive_missing; ALTER TABLE media_tracks DROP COLUMN IF EXISTS progressive_audio');
};
