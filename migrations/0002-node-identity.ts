import type { Migration } from '../server/db/migrate.js';

// The node's identity (owned by jobs): a random id made once, in one row. The node's default
// Redis prefix is a hash of it (server/jobs/prefix.ts), so two nodes sharing one Redis never
// share queues, whatever their database names or how they reach PostgreSQL (a Unix socket has
// no server address), and reading it needs no privilege. It moves with a dump and restore.
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE node_identity (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO node_identity DEFAULT VALUES;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE IF EXISTS node_identity');
};
