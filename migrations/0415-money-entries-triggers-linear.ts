// The books' two entry triggers, made linear in a transaction's entries (one income may repay
// ten thousand investors in one transaction; the deferred per-entry check summed all of the
// transaction's entries once for each entry: 9 s of commit for 10,001 entries):
// - balances move once per INSERT statement, by the sum per account of the inserted entries
//   (Books.post has locked every touched account in id order and checked the overdraft first;
//   the account CHECK still refuses one in the database itself);
// - the balance check runs once per INSERT statement, at once: every money transaction named in
//   the statement must sum to zero over all its entries and have at least two. So a money
//   transaction's entries are written in one statement (Books.post does; a later statement that
//   adds to a checked transaction is checked again and refused unless it balances on its own).
//   The deferred check that every money transaction has entries stays.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TRIGGER money_entries_apply ON money_entries;
    DROP FUNCTION money_apply_entry();
    CREATE FUNCTION money_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE money_accounts a SET balance = a.balance + s.amount
        FROM (SELECT account_id, sum(amount) AS amount FROM added GROUP BY account_id) s
       WHERE a.id = s.account_id;
      RETURN NULL;
    END $$;
    CREATE TRIGGER money_entries_apply AFTER INSERT ON money_entries
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION money_apply_entries();

    DROP TRIGGER money_entries_balanced ON money_entries;
    DROP FUNCTION money_check_balanced();
    CREATE FUNCTION money_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad record;
    BEGIN
      SELECT e.transaction_id, sum(e.amount) AS s, count(*) AS n INTO bad FROM money_entries e
       WHERE e.transaction_id IN (SELECT DISTINCT transaction_id FROM added)
       GROUP BY e.transaction_id HAVING sum(e.amount) <> 0 OR count(*) < 2 LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'money transaction % is not balanced (sum %, % entries)', bad.transaction_id, bad.s, bad.n USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER money_entries_balanced AFTER INSERT ON money_entries
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION money_check_balanced();
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
    DROP TRIGGER money_entries_balanced ON money_entries;
    DROP FUNCTION money_check_balanced();
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
  `);
};
