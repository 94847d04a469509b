// Month close: per-step state, a snapshot of the qualified seconds it used, one unit per
// listener, the resulting allocations and held amounts, and per-artist payouts.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE month_closes (
      month text PRIMARY KEY,
      status text NOT NULL CHECK (status IN ('running', 'closed', 'refused')),
      steps jsonb NOT NULL DEFAULT '{}'::jsonb,
      policy text NOT NULL,
      units_total int NOT NULL DEFAULT 0,
      units_done int NOT NULL DEFAULT 0,
      error text,
      started_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      paid_at timestamptz
    );

    CREATE TABLE money_close_seconds (
      month text NOT NULL,
      user_id uuid NOT NULL,
      artist text NOT NULL,
      artist_user_id uuid,
      seconds bigint NOT NULL CHECK (seconds >= 0),
      held boolean NOT NULL,
      PRIMARY KEY (month, user_id, artist, held)
    );

    CREATE TABLE money_close_units (
      month text NOT NULL,
      user_id uuid NOT NULL REFERENCES users(id),
      subscription_id uuid REFERENCES money_subscriptions(id),
      charge_id uuid REFERENCES money_subscription_charges(id),
      charged bigint NOT NULL,
      node_fee bigint NOT NULL,
      carried_in bigint NOT NULL DEFAULT 0,
      status text NOT NULL CHECK (status IN ('pending', 'done')),
      outcome text,
      unallocated bigint NOT NULL DEFAULT 0,
      done_at timestamptz,
      PRIMARY KEY (month, user_id)
    );

    CREATE TABLE money_allocations (
      month text NOT NULL,
      user_id uuid NOT NULL REFERENCES users(id),
      artist text NOT NULL,
      artist_user_id uuid REFERENCES users(id),
      rank int NOT NULL,
      seconds bigint NOT NULL,
      amount bigint NOT NULL CHECK (amount >= 0),
      held_amount bigint NOT NULL CHECK (held_amount >= 0),
      PRIMARY KEY (month, user_id, artist)
    );
    CREATE INDEX money_allocations_artist ON money_allocations (artist, month);

    CREATE TABLE money_holds (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      month text NOT NULL,
      user_id uuid NOT NULL REFERENCES users(id),
      artist text NOT NULL,
      artist_user_id uuid REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount > 0),
      status text NOT NULL CHECK (status IN ('held', 'released', 'refunded')),
      resolved_at timestamptz,
      UNIQUE (month, user_id, artist)
    );

    CREATE TABLE money_payouts (
      month text NOT NULL,
      artist text NOT NULL,
      artist_user_id uuid REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount > 0),
      listeners int NOT NULL,
      status text NOT NULL CHECK (status IN ('due', 'paid', 'obligation')),
      transaction_id uuid REFERENCES money_transactions(id),
      paid_at timestamptz,
      PRIMARY KEY (month, artist)
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TABLE money_payouts; DROP TABLE money_holds; DROP TABLE money_allocations;
    DROP TABLE money_close_units; DROP TABLE money_close_seconds; DROP TABLE month_closes;
  `);
};
