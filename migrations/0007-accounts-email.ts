// Accounts: verified e-mail addresses and the single-use links mailed for verification and
// password resets (docs/email.md). A link's token is kept only as its SHA-256.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    -- null: never asked (accounts made before this, by an admin, or while mail was off);
    -- false: a link was sent and not followed yet; true: the owner followed it.
    ALTER TABLE users ADD COLUMN email_verified boolean;
    -- A new address waiting for its link (verification required): the old one stays in use till then.
    ALTER TABLE users ADD COLUMN pending_email text;
    CREATE TABLE account_email_tokens (
      token_hash text PRIMARY KEY,
      purpose text NOT NULL CHECK (purpose IN ('verify-email', 'password-reset')),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      -- The address the link went to: a link for an address the account no longer has is refused.
      email text NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX account_email_tokens_user ON account_email_tokens (user_id, purpose);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TABLE account_email_tokens;
    ALTER TABLE users DROP COLUMN pending_email;
    ALTER TABLE users DROP COLUMN email_verified;
  `);
};
