// Tips: a listener pays an artist from their wallet, now. Local artists are credited at once,
// remote artists as an obligation (remote:<channel>); tips sent to this node's artists from
// other nodes are recorded here (the money is owed by the sender's node).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE money_tips (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      -- local: tipper and artist here; out: to a remote artist; in: from another node to an artist here
      direction text NOT NULL CHECK (direction IN ('local', 'out', 'in')),
      tipper_id uuid REFERENCES users(id),
      tipper_uri text NOT NULL,
      artist_user_id uuid REFERENCES users(id),
      artist_uri text NOT NULL,
      track_uri text,
      track_title text,
      amount bigint NOT NULL CHECK (amount > 0),
      node_cut bigint NOT NULL DEFAULT 0 CHECK (node_cut >= 0 AND node_cut < amount),
      currency text NOT NULL,
      message text,
      transaction_id uuid REFERENCES money_transactions(id),
      activity_uri text UNIQUE,
      request_key text UNIQUE,
      request_hash text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (direction = 'in' OR tipper_id IS NOT NULL),
      CHECK (direction = 'out' OR artist_user_id IS NOT NULL)
    );
    CREATE INDEX money_tips_artist ON money_tips (artist_user_id, created_at);
    CREATE INDEX money_tips_tipper ON money_tips (tipper_id, created_at);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE money_tips;');
};
