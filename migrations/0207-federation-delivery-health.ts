import type { Migration } from '../server/db/migrate.js';

// Delivery health per remote host (the admin's view of the machine): every attempt counted per
// hour, so a host that fails and is retried shows each failure, and the last outcome per host
// with its error. A partial index finds the pending deliveries that a start-time sweep queues
// again when the queue lost them (a restore, a Redis that was emptied).
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE federation_delivery_stats (
      host text NOT NULL,
      hour timestamptz NOT NULL,
      delivered integer NOT NULL DEFAULT 0,
      failed integer NOT NULL DEFAULT 0,
      PRIMARY KEY (host, hour)
    );
    CREATE INDEX federation_delivery_stats_hour ON federation_delivery_stats (hour);

    CREATE TABLE federation_delivery_hosts (
      host text PRIMARY KEY,
      last_success_at timestamptz,
      last_failure_at timestamptz,
      last_error text
    );

    CREATE INDEX federation_deliveries_pending ON federation_deliveries (id) WHERE state = 'pending';
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP INDEX federation_deliveries_pending;
    DROP TABLE federation_delivery_hosts, federation_delivery_stats;
  `);
};
