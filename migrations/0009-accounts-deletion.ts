// Account deletion (docs/accounts.md). A deleted account's row stays as a tombstone, because the
// books and the listening reports point at its id; `deleted_at` says it is one. A deletion is a
// job whose progress is kept in accounts_deletions. The usernames of deleted accounts stay taken
// (kept as SHA-256 only): the account's ActivityPub actor is named after it, other servers have
// it cached, and a newcomer under that name would be taken for the deleted person.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE users ADD COLUMN deleted_at timestamptz;
    CREATE TABLE accounts_deletions (
      user_id uuid PRIMARY KEY REFERENCES users(id),
      requested_by uuid NOT NULL REFERENCES users(id),
      requested_at timestamptz NOT NULL DEFAULT now(),
      state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
      steps_total integer NOT NULL DEFAULT 0,
      steps_done integer NOT NULL DEFAULT 0,
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      started_at timestamptz,
      finished_at timestamptz
    );
    CREATE TABLE accounts_reserved_usernames (
      name_hash text PRIMARY KEY,
      reserved_at timestamptz NOT NULL DEFAULT now()
    );
    -- Every way a name is taken (sign-up, an admin's account, a guest's claim) inserts or renames
    -- a users row: refused here as the unique index refuses a taken name (SQLSTATE 23505).
    CREATE FUNCTION accounts_refuse_reserved_username() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM accounts_reserved_usernames WHERE name_hash = encode(digest(lower(NEW.username), 'sha256'), 'hex')) THEN
        RAISE EXCEPTION 'username is reserved (unique): a deleted account had it' USING ERRCODE = 'unique_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER users_username_not_reserved BEFORE INSERT OR UPDATE OF username ON users
      FOR EACH ROW EXECUTE FUNCTION accounts_refuse_reserved_username();
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TRIGGER users_username_not_reserved ON users;
    DROP FUNCTION accounts_refuse_reserved_username();
    DROP TABLE accounts_reserved_usernames;
    DROP TABLE accounts_deletions;
    ALTER TABLE users DROP COLUMN deleted_at;
  `);
};
