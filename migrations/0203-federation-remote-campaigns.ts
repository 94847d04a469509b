// Investment campaigns of channels on other nodes, as their home node federates them (Create,
// then Update as they are funded, fail, are cancelled or repay): shown to followers here.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE federation_remote_campaigns (
      uri text PRIMARY KEY,
      actor_uri text NOT NULL,
      host text NOT NULL,
      title text NOT NULL,
      summary text,
      url text,
      currency text NOT NULL,
      goal bigint NOT NULL,
      raised bigint NOT NULL,
      min_pledge bigint NOT NULL,
      share_bp integer NOT NULL,
      cap_multiple numeric NOT NULL,
      status text NOT NULL,
      repaid bigint NOT NULL,
      investors integer NOT NULL,
      deadline timestamptz NOT NULL,
      published_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX federation_remote_campaigns_actor ON federation_remote_campaigns (actor_uri, deadline DESC);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE federation_remote_campaigns');
};
