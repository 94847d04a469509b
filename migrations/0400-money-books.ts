// The node's books: a double-entry ledger in integer minor units. Balances are kept by a
// trigger from the (immutable) entries; a deferred constraint trigger refuses any
// transaction whose entries do not sum to zero; wallets and pools cannot go negative.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_accounts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      key text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('wallet', 'node_fee', 'pool', 'payout_due', 'held', 'rollover', 'escrow', 'payable', 'remote_payable', 'external')),
      user_id uuid REFERENCES users(id) ON DELETE RESTRICT,
      actor_uri text,
      currency text NOT NULL,
      balance bigint NOT NULL DEFAULT 0,
      may_go_negative boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT money_accounts_non_negative CHECK (may_go_negative OR balance >= 0),
      CONSTRAINT money_accounts_only_external_negative CHECK (NOT may_go_negative OR kind = 'external')
    );
    CREATE INDEX money_accounts_user ON money_accounts (user_id) WHERE user_id IS NOT NULL;

    CREATE TABLE money_transactions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      idempotency_key text NOT NULL,
      request_hash text NOT NULL,
      kind text NOT NULL,
      provider text,
      currency text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      fee bigint NOT NULL DEFAULT 0 CHECK (fee >= 0),
      rate text NOT NULL DEFAULT '1',
      reference text,
      memo jsonb NOT NULL DEFAULT '{}'::jsonb,
      corrects uuid REFERENCES money_transactions(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT money_transactions_idempotency UNIQUE (idempotency_key)
    );
    CREATE INDEX money_transactions_kind ON money_transactions (kind, created_at);

    CREATE TABLE money_entries (
      id bigserial PRIMARY KEY,
      transaction_id uuid NOT NULL REFERENCES money_transactions(id),
      account_id uuid NOT NULL REFERENCES money_accounts(id),
      amount bigint NOT NULL CHECK (amount <> 0),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX money_entries_account ON money_entries (account_id, id);
    CREATE INDEX money_entries_transaction ON money_entries (transaction_id);

    -- Entries move balances; the account CHECK then refuses an overdraft in the database itself.
    CREATE FUNCTION money_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE money_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;
      RETURN NEW;
    END $$;
    CREATE TRIGGER money_entries_apply AFTER INSERT ON money_entries FOR EACH ROW EXECUTE FUNCTION money_apply_entry();

    -- Checked at commit: every transaction's entries sum to zero and there are at least two.
    CREATE FUNCTION money_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE s bigint; n int;
    BEGIN
      SELECT coalesce(sum(amount), 0), count(*) INTO s, n FROM money_entries WHERE transaction_id = NEW.transaction_id;
      IF s <> 0 OR n < 2 THEN
        RAISE EXCEPTION 'money transaction % is not balanced (sum %, % entries)', NEW.transaction_id, s, n USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER money_entries_balanced AFTER INSERT ON money_entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION money_check_balanced();

    CREATE FUNCTION money_check_has_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM money_entries WHERE transaction_id = NEW.id) THEN
        RAISE EXCEPTION 'money transaction % has no entries', NEW.id USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER money_transactions_have_entries AFTER INSERT ON money_transactions
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION money_check_has_entries();

    -- Entries and transactions are immutable: corrections are new transactions.
    CREATE FUNCTION money_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'money % rows are immutable; post a correcting transaction', TG_TABLE_NAME USING ERRCODE = '42501';
    END $$;
    CREATE TRIGGER money_entries_immutable BEFORE UPDATE OR DELETE ON money_entries FOR EACH ROW EXECUTE FUNCTION money_immutable();
    CREATE TRIGGER money_transactions_immutable BEFORE UPDATE OR DELETE ON money_transactions FOR EACH ROW EXECUTE FUNCTION money_immutable();
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TABLE money_entries; DROP TABLE money_transactions; DROP TABLE money_accounts;
    DROP FUNCTION money_apply_entry(); DROP FUNCTION money_check_balanced();
    DROP FUNCTION money_check_has_entries(); DROP FUNCTION money_immutable();
  `);
};
