// What keeps the inbox bounded and its summing-up notices current: when a notification was
// last told (a notice that sums up, such as "12 accounts from one server follow you", takes the
// words of its latest telling, never of an older one heard later), and the indexes of the
// hourly pruning (each user's newest rows; read rows by age). See docs/notifications.md.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE notifications_inbox ADD COLUMN told_at timestamptz NOT NULL DEFAULT now();
    CREATE INDEX notifications_inbox_user_newest ON notifications_inbox (user_id, created_at DESC, id DESC);
    CREATE INDEX notifications_inbox_read_created ON notifications_inbox (created_at) WHERE read_at IS NOT NULL;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP INDEX notifications_inbox_read_created;
    DROP INDEX notifications_inbox_user_newest;
    ALTER TABLE notifications_inbox DROP COLUMN told_at;
  `);
};
