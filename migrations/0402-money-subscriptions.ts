// Monthly subscriptions (calendar-month periods) and their charges, one per month.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_subscriptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL UNIQUE REFERENCES users(id),
      status text NOT NULL CHECK (status IN ('active', 'past_due', 'lapsed', 'canceled')),
      cancel_at_period_end boolean NOT NULL DEFAULT false,
      amount bigint NOT NULL CHECK (amount > 0),
      node_fee bigint NOT NULL CHECK (node_fee >= 0),
      currency text NOT NULL,
      current_month text,
      past_due_month text,
      past_due_since timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX money_subscriptions_status ON money_subscriptions (status, current_month);

    CREATE TABLE money_subscription_charges (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      subscription_id uuid NOT NULL REFERENCES money_subscriptions(id),
      user_id uuid NOT NULL REFERENCES users(id),
      month text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      node_fee bigint NOT NULL CHECK (node_fee >= 0),
      currency text NOT NULL,
      transaction_id uuid NOT NULL REFERENCES money_transactions(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (subscription_id, month)
    );
    CREATE INDEX money_subscription_charges_month ON money_subscription_charges (month);

    CREATE TABLE money_subscription_events (
      id bigserial PRIMARY KEY,
      subscription_id uuid NOT NULL REFERENCES money_subscriptions(id),
      kind text NOT NULL,
      status text NOT NULL,
      month text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX money_subscription_events_sub ON money_subscription_events (subscription_id, id);

    -- Fallback per-month node secrets for listener pseudonyms (used while listening has none).
    CREATE TABLE money_month_secrets (
      month text PRIMARY KEY,
      secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_month_secrets; DROP TABLE money_subscription_events; DROP TABLE money_subscription_charges; DROP TABLE money_subscriptions;');
};
