// The books' two entry triggers, made linear in a transaction's entries (one income may repay
// ten thousand investors in one transaction):
// - balances move once per INSERT statement, by the sum per account of the inserted entries
//   (Books.post has locked every touched account in id order and checked the overdraft first;
//   the account CHECK still refuses one in the database itself);
// - the deferred balance check runs once per money transaction, not once per entry (each run
//   summed all of the transaction's entries: quadratic). The first entry's check marks the
//   transaction checked for the rest of the database transaction (a local setting, undone with a
//   rolled-back savepoint as the deferred events are).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TRIGGER money_entries_apply ON money_entries;
    CREATE FUNCTION money_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE money_accounts a SET balance = a.balance + s.amount
        FROM (SELECT account_id, sum(amount) AS amount FROM added GROUP BY account_id) s
       WHERE a.id = s.account_id;
      RETURN NULL;
    END $$;
    CREATE TRIGGER money_entries_apply AFTER INSERT ON money_entries
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION money_apply_entries();
    DROP FUNCTION money_apply_entry();

    CREATE OR REPLACE FUNCTION money_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE s bigint; n int; mark text := 'money_balanced.t' || replace(NEW.transaction_id::text, '-', '');
    BEGIN
      IF current_setting(mark, true) = '1' THEN RETURN NULL; END IF;
      SELECT coalesce(sum(amount), 0), count(*) INTO s, n FROM money_entries WHERE transaction_id = NEW.transaction_id;
      IF s <> 0 OR n < 2 THEN
        RAISE EXCEPTION 'money transaction % is not balanced (sum %, % entries)', NEW.transaction_id, s, n USING ERRCODE = '23514';
      END IF;
      PERFORM set_config(mark, '1', true);
      RETURN NULL;
    END $$;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TRIGGER money_entries_apply ON money_entries;
    DROP FUNCTION money_apply_entries();
    CREATE FUNCTION money_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE money_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;
      RETURN NEW;
    END $$;
    CREATE TRIGGER money_entries_apply AFTER INSERT ON money_entries FOR EACH ROW EXECUTE FUNCTION money_apply_entry();
    CREATE OR REPLACE FUNCTION money_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE s bigint; n int;
    BEGIN
      SELECT coalesce(sum(amount), 0), count(*) INTO s, n FROM money_entries WHERE transaction_id = NEW.transaction_id;
      IF s <> 0 OR n < 2 THEN
        RAISE EXCEPTION 'money transaction % is not balanced (sum %, % entries)', NEW.transaction_id, s, n USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$;
  `);
};
