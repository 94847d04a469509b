// Accounts: per-user API keys for listeners' apps (Subsonic, ListenBrainz). A key is found by the
// SHA-256 of it; the key itself is kept sealed (AES-256-GCM under a node secret kept outside
// the database) because Subsonic's token login (md5(key + salt)) needs the key to check a token.
// docs/decisions/0900-app-keys-and-subsonic.md says why.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      key_sealed bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz
    );
    CREATE INDEX api_keys_user ON api_keys (user_id, created_at);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE api_keys');
};
