// Top-ups (provider intents and verified webhook events), gift links and withdrawals.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_top_ups (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      provider text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      transaction_id uuid REFERENCES money_transactions(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX money_top_ups_user ON money_top_ups (user_id, created_at);

    CREATE TABLE money_webhook_events (
      event_id text PRIMARY KEY,
      provider text NOT NULL,
      top_up_id uuid REFERENCES money_top_ups(id),
      received_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE money_gift_links (
      code text PRIMARY KEY,
      creator_id uuid NOT NULL REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      message text,
      status text NOT NULL CHECK (status IN ('open', 'redeemed')),
      funded_from text NOT NULL CHECK (funded_from IN ('wallet', 'node')),
      redeemed_by uuid REFERENCES users(id),
      redeemed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX money_gift_links_creator ON money_gift_links (creator_id, created_at);

    CREATE TABLE money_withdrawals (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      destination text,
      status text NOT NULL CHECK (status IN ('requested', 'settled')),
      reference text,
      settled_by uuid REFERENCES users(id),
      settled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX money_withdrawals_status ON money_withdrawals (status, created_at);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_withdrawals; DROP TABLE money_gift_links; DROP TABLE money_webhook_events; DROP TABLE money_top_ups;');
};
