// Every repayment a campaign made, in the order the campaign's lock gave them (seq), and what
// each investor got from it: the investor's chart over time, and the sequence an auditor
// replays (the share of each income, split with the same rule) to recompute every figure.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_campaign_repayments (
      seq bigserial PRIMARY KEY,
      campaign_id uuid NOT NULL REFERENCES money_campaigns(id),
      income_key text NOT NULL,
      income_kind text NOT NULL,
      income_amount bigint NOT NULL CHECK (income_amount > 0),
      -- floor(income_amount * share_bp / 10000): what the campaign was owed from this income
      share bigint NOT NULL CHECK (share >= 0),
      -- what investors took of it (less than share only when the last caps were reached)
      paid bigint NOT NULL CHECK (paid > 0 AND paid <= share),
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      UNIQUE (campaign_id, income_key)
    );
    CREATE TABLE money_campaign_repayment_shares (
      seq bigint NOT NULL REFERENCES money_campaign_repayments(seq),
      investor_id uuid NOT NULL REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount > 0),
      PRIMARY KEY (seq, investor_id)
    );
    CREATE INDEX money_campaign_repayment_shares_investor ON money_campaign_repayment_shares (investor_id, seq);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_campaign_repayment_shares; DROP TABLE money_campaign_repayments;');
};
