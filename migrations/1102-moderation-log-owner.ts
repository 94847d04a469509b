// The account a moderation log entry is about (the owner of the track, channel, playlist or
// account concerned; NULL for another server's): a moderator's log leaves out entries about
// staff and about themselves, as their queue leaves out reports about them. Older entries take
// it from their report, or are about the account they name.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE moderation_log ADD COLUMN target_owner_id uuid;
    UPDATE moderation_log l SET target_owner_id = r.target_owner_id
      FROM moderation_reports r WHERE l.report_id = r.id AND r.target_owner_id IS NOT NULL;
    UPDATE moderation_log SET target_owner_id = CAST(target AS uuid)
     WHERE target_owner_id IS NULL AND target_kind = 'account'
       AND target ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
    CREATE INDEX moderation_log_owner ON moderation_log (target_owner_id) WHERE target_owner_id IS NOT NULL;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP INDEX IF EXISTS moderation_log_owner; ALTER TABLE moderation_log DROP COLUMN IF EXISTS target_owner_id;');
};
