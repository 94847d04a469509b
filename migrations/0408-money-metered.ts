import type { Migration } from '../server/db/migrate.js';

// Pay-per-segment (issue 13, L402 shape).
// - money_metered_keys: one row, made on first start: the 32-byte secret every invoice,
//   preimage and macaroon root key derives from (server/money/l402.ts), and the Ed25519 key
//   that signs purchase receipts (its public half is published at /api/v1/metered/receipt-key).
//   Replacing the secret voids every credential not yet spent.
// - money_metered_purchases: one row per paid invoice (the invoice id is its primary key, so
//   an invoice is paid once), with its receipt and signature, written in the transaction of
//   the movement, which is the books transaction `metered:<invoice>` (the receipt's
//   transactionKey).
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_metered_keys (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      secret bytea NOT NULL CHECK (length(secret) = 32),
      receipt_private_key text NOT NULL,
      receipt_public_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE money_metered_purchases (
      invoice_id text PRIMARY KEY CHECK (invoice_id ~ '^[0-9a-f]{64}$'),
      payer_id uuid NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
      payee_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
      artist_uri text NOT NULL,
      track_id uuid NOT NULL,
      track_title text NOT NULL,
      renditions text[] NOT NULL,
      seg_from integer NOT NULL CHECK (seg_from >= 0),
      seg_to integer NOT NULL CHECK (seg_to >= seg_from),
      amount bigint NOT NULL CHECK (amount > 0),
      node_cut bigint NOT NULL CHECK (node_cut >= 0 AND node_cut <= amount),
      currency text NOT NULL,
      expires_at timestamptz NOT NULL,
      request_key text UNIQUE,
      receipt jsonb NOT NULL,
      receipt_signature text NOT NULL,
      paid_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX money_metered_purchases_payer ON money_metered_purchases (payer_id, paid_at DESC);
    CREATE INDEX money_metered_purchases_payee ON money_metered_purchases (payee_user_id, paid_at DESC);
    CREATE INDEX money_metered_purchases_paid ON money_metered_purchases (paid_at);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE IF EXISTS money_metered_purchases; DROP TABLE IF EXISTS money_metered_keys');
};
