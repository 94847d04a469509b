// What of each investment campaign went to the ledger (InvestmentContract), each once: its
// settlement, and each ended day's repayments up to the day's last seq. An index to find a
// campaign's repayments after the last one reported.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_campaign_ledger_reports (
      campaign_id uuid NOT NULL REFERENCES money_campaigns(id),
      kind text NOT NULL CHECK (kind IN ('settlement', 'repayments')),
      -- settlement: the day it settled; repayments: the day (money.timeZone) they were made
      day date NOT NULL,
      -- repayments: the last seq of the day (the next day's report starts after it)
      last_seq bigint NOT NULL DEFAULT 0,
      outbox_id text NOT NULL,
      reported_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (campaign_id, kind, day)
    );
    CREATE INDEX money_campaign_repayments_campaign_seq ON money_campaign_repayments (campaign_id, seq);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP INDEX money_campaign_repayments_campaign_seq; DROP TABLE money_campaign_ledger_reports;');
};
