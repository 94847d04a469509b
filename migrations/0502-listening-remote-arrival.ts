// Listening: Listens from other nodes are capped by arrival (the last 24 hours) per actor and
// per origin (the actor's host) too, not only per listen day, which the sender chooses.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE remote_listens ADD COLUMN actor_host text;
    UPDATE remote_listens SET actor_host = lower(substring(actor_uri from '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^/@]*@)?([^/?#]+)'));
    CREATE INDEX remote_listens_actor_received ON remote_listens (actor_uri, received_at);
    CREATE INDEX remote_listens_host_received ON remote_listens (actor_host, received_at);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP INDEX remote_listens_host_received;
    DROP INDEX remote_listens_actor_received;
    ALTER TABLE remote_listens DROP COLUMN actor_host;
  `);
};
