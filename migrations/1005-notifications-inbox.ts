// In-app notifications (the bell) and each user's choice, per kind, of what reaches them in
// the app and by mail. A notification is kept once per (user, key): the same event told
// twice (a retried job, a redelivered activity, web and worker both hearing it) is one row,
// and one mail. A row the user turned off for the app is still kept (`web` false, never
// listed) so that its mail is sent once too.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE notifications_inbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      kind text NOT NULL,
      key text NOT NULL,
      title text NOT NULL,
      body text,
      url text,
      -- shown in the app (the user's setting for the kind when it arrived)
      web boolean NOT NULL,
      read_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (user_id, key)
    );
    CREATE INDEX notifications_inbox_user_created ON notifications_inbox (user_id, created_at DESC) WHERE web;
    CREATE INDEX notifications_inbox_user_unread ON notifications_inbox (user_id) WHERE web AND read_at IS NULL;

    -- Only the kinds a user changed; the others follow the node's defaults (inbox/preferences.ts).
    CREATE TABLE notifications_preferences (
      user_id uuid NOT NULL REFERENCES users(id),
      kind text NOT NULL,
      web boolean NOT NULL,
      email boolean NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, kind)
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE notifications_preferences; DROP TABLE notifications_inbox;');
};
