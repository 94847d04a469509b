// Fan investment in artists: campaigns (a goal, a minimum pledge, a deadline, the share of the
// artist's future income that repays investors, a cap as a multiple of what they put in) and
// the pledges into each campaign's escrow. One open campaign per channel.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_campaigns (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel_id uuid NOT NULL,
      artist_user_id uuid NOT NULL REFERENCES users(id),
      title text NOT NULL,
      description text NOT NULL DEFAULT '',
      currency text NOT NULL,
      goal bigint NOT NULL CHECK (goal > 0),
      min_pledge bigint NOT NULL CHECK (min_pledge > 0 AND min_pledge <= goal),
      deadline timestamptz NOT NULL,
      -- of every income of the artist, in basis points, until each investor has the cap
      share_bp integer NOT NULL CHECK (share_bp BETWEEN 1 AND 10000),
      -- the repayment cap as a multiple of what was invested, in basis points (15000 = 1.5x)
      cap_bp integer NOT NULL CHECK (cap_bp BETWEEN 10000 AND 100000),
      node_cut_bp integer NOT NULL CHECK (node_cut_bp BETWEEN 0 AND 5000),
      status text NOT NULL CHECK (status IN ('open', 'funded', 'failed', 'cancelled')),
      raised bigint NOT NULL DEFAULT 0 CHECK (raised >= 0),
      request_key text UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      settled_at timestamptz
    );
    CREATE UNIQUE INDEX money_campaigns_one_open ON money_campaigns (channel_id) WHERE status = 'open';
    CREATE INDEX money_campaigns_due ON money_campaigns (deadline) WHERE status = 'open';
    CREATE INDEX money_campaigns_artist ON money_campaigns (artist_user_id, created_at DESC);
    CREATE TABLE money_pledges (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      campaign_id uuid NOT NULL REFERENCES money_campaigns(id),
      investor_id uuid NOT NULL REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount > 0),
      request_key text UNIQUE,
      refunded_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX money_pledges_campaign ON money_pledges (campaign_id);
    CREATE INDEX money_pledges_investor ON money_pledges (investor_id, created_at DESC);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_pledges, money_campaigns');
};
