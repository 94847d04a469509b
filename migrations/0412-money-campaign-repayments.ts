// What each investor of a funded campaign put in and has been paid back so far (repayments come
// out of the artist's income as it is credited, up to the cap).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_campaign_investors (
      campaign_id uuid NOT NULL REFERENCES money_campaigns(id),
      investor_id uuid NOT NULL REFERENCES users(id),
      invested bigint NOT NULL CHECK (invested > 0),
      cap bigint NOT NULL,
      received bigint NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= cap),
      PRIMARY KEY (campaign_id, investor_id)
    );
    ALTER TABLE money_campaigns ADD COLUMN repaid bigint NOT NULL DEFAULT 0, ADD COLUMN repaid_at timestamptz;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_campaign_investors; ALTER TABLE money_campaigns DROP COLUMN repaid, DROP COLUMN repaid_at;');
};
