// Payment streams: a deposit held in the stream's own escrow account and released to the
// recipient as time passes (linear, with an optional cliff), or an open-ended rate topped up
// from the sender's wallet in chunks.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_streams (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      sender_id uuid NOT NULL REFERENCES users(id),
      recipient_id uuid NOT NULL REFERENCES users(id),
      kind text NOT NULL CHECK (kind IN ('linear', 'rate')),
      currency text NOT NULL,
      -- linear: the whole deposit; rate: what has been moved into escrow so far
      deposited bigint NOT NULL CHECK (deposited >= 0),
      start_at bigint NOT NULL,
      cliff_at bigint,
      end_at bigint,
      rate_amount bigint CHECK (rate_amount > 0),
      rate_period bigint CHECK (rate_period > 0),
      chunk bigint CHECK (chunk > 0),
      cancelable boolean NOT NULL,
      withdrawn bigint NOT NULL DEFAULT 0 CHECK (withdrawn >= 0),
      refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0),
      -- the amount streamed when the stream stopped (cancelled, or a rate stream whose wallet ran dry)
      final_streamed bigint,
      stopped_at bigint,
      stop_reason text CHECK (stop_reason IN ('canceled', 'wallet_empty')),
      top_ups integer NOT NULL DEFAULT 0,
      request_key text UNIQUE,
      -- what the request asked, so a reused Idempotency-Key with another request is refused
      request_hash text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (withdrawn + refunded <= deposited),
      CHECK (kind = 'rate' OR (end_at IS NOT NULL AND end_at > start_at AND (cliff_at IS NULL OR (cliff_at >= start_at AND cliff_at <= end_at)))),
      CHECK (kind = 'linear' OR (rate_amount IS NOT NULL AND rate_period IS NOT NULL AND chunk IS NOT NULL))
    );
    CREATE INDEX money_streams_sender ON money_streams (sender_id, created_at);
    CREATE INDEX money_streams_recipient ON money_streams (recipient_id, created_at);
    CREATE INDEX money_streams_running_rate ON money_streams (start_at) WHERE kind = 'rate' AND stopped_at IS NULL;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_streams;');
};
