// The embedded ledger's tables: versioned world state (public and private collections)
// and the append-only, hash-chained transaction log. Created by migration 0300 in the
// node's database, and by the engine itself in a separate shared ledger database.

export const ledgerSchemaSql = `
  CREATE TABLE IF NOT EXISTS ledger_state (
    collection text NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (collection, key)
  );
  CREATE TABLE IF NOT EXISTS ledger_transactions (
    block_number bigint PRIMARY KEY,
    tx_id text NOT NULL UNIQUE,
    channel text NOT NULL,
    fn text NOT NULL,
    args text NOT NULL,
    args_hash text NOT NULL,
    rwset text NOT NULL,
    events text NOT NULL,
    result text NOT NULL,
    creator_msp text NOT NULL,
    creator_id text NOT NULL,
    tx_timestamp timestamptz NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
  );
  -- Values are large JSON (a day's private rows, chunks of close detail): lz4 compresses and
  -- decompresses several times faster than the default pglz. Builds without lz4 keep pglz.
  DO $$ BEGIN
    IF (SELECT attcompression FROM pg_attribute WHERE attrelid = 'ledger_state'::regclass AND attname = 'value') <> 'l' THEN
      ALTER TABLE ledger_state ALTER COLUMN value SET COMPRESSION lz4;
    END IF;
  EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
  END $$;
  CREATE INDEX IF NOT EXISTS ledger_transactions_fn ON ledger_transactions (fn, block_number);
  CREATE INDEX IF NOT EXISTS ledger_transactions_creator ON ledger_transactions (creator_id, block_number);
`;

export const ledgerSchemaDropSql = `DROP TABLE IF EXISTS ledger_transactions; DROP TABLE IF EXISTS ledger_state;`;

export const outboxSchemaSql = `
  CREATE TABLE ledger_outbox (
    id serial PRIMARY KEY,
    fn text NOT NULL,
    args jsonb NOT NULL,
    transient jsonb,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'rejected')),
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    submitted_at timestamptz,
    tx_id text,
    prepared bytea,
    result jsonb,
    last_error text
  );
  CREATE INDEX ledger_outbox_pending ON ledger_outbox (id) WHERE status = 'pending';
`;
