// Notifications: the outgoing mail queue. A row per mail, so admins see what was sent, what
// failed and why; the BullMQ job only carries the row's id (server/notifications/mail/).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE notifications_mails (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL,
      to_address text NOT NULL,
      subject text NOT NULL,
      -- Emptied once sent: verification and reset mails carry a secret link.
      body_text text,
      body_html text,
      state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      -- When the queue tries a failed mail again; null when it gave up (or it never failed).
      next_attempt_at timestamptz,
      -- A worker sending it holds it until then (another one may take it over after).
      lease_until timestamptz,
      smtp_response text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    );
    CREATE INDEX notifications_mails_state ON notifications_mails (state, created_at);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE notifications_mails');
};
