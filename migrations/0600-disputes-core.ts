// Disputes: this node's view of the three-node reviews it opened or was asked to review.
// The ledger (DisputeContract) is the source of truth for reviewers, votes and outcome;
// these tables keep what must not leave the node (which holds and users a dispute covers)
// and the work done locally (notifications sent, votes submitted, money applied).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE disputes (
      id uuid PRIMARY KEY,
      -- 'reporting': opened here, about this node's figures; 'reviewer': another node asked us to review.
      role text NOT NULL CHECK (role IN ('reporting', 'reviewer')),
      reporting_node text NOT NULL,
      month text NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
      subject_type text NOT NULL CHECK (subject_type IN ('reportRow', 'payout')),
      subject_ref text NOT NULL,
      artist text,
      amount bigint NOT NULL CHECK (amount >= 0),
      currency text NOT NULL,
      evidence jsonb NOT NULL,
      evidence_hash text NOT NULL,
      opened_by text NOT NULL CHECK (opened_by IN ('auto', 'artist', 'listener', 'admin', 'remote')),
      opened_by_user uuid REFERENCES users(id),
      status text NOT NULL CHECK (status IN ('opening', 'open', 'decided', 'applied', 'refused')),
      decision text CHECK (decision IN ('release', 'void')),
      -- the last DisputeContract record seen (reviewers, votes, deadlines)
      record jsonb,
      error text,
      open_outbox_id text,
      applied_outbox_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      applied_at timestamptz
    );
    CREATE INDEX disputes_status ON disputes (status) WHERE status IN ('opening', 'open', 'decided');
    -- at most one automatic dispute per artist and month
    CREATE UNIQUE INDEX disputes_auto_artist_month ON disputes (artist, month) WHERE opened_by = 'auto';

    -- The held shares a dispute covers (money's holds) and how each was applied.
    CREATE TABLE dispute_holds (
      dispute_id uuid NOT NULL REFERENCES disputes(id),
      hold_id uuid NOT NULL,
      listener_id uuid NOT NULL REFERENCES users(id),
      artist text NOT NULL,
      artist_user_id uuid REFERENCES users(id),
      amount bigint NOT NULL CHECK (amount > 0),
      -- the held listens behind the share (local ids; never sent to other nodes)
      listen_ids jsonb NOT NULL DEFAULT '[]',
      status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'released', 'refunded')),
      applied_at timestamptz,
      PRIMARY KEY (dispute_id, hold_id)
    );
    -- a hold is argued over in one dispute at a time
    CREATE UNIQUE INDEX dispute_holds_hold ON dispute_holds (hold_id);

    -- Who may follow a dispute's status: the opener, the listeners and artists it concerns.
    CREATE TABLE dispute_parties (
      dispute_id uuid NOT NULL REFERENCES disputes(id),
      user_id uuid NOT NULL REFERENCES users(id),
      party text NOT NULL CHECK (party IN ('opener', 'listener', 'artist')),
      PRIMARY KEY (dispute_id, user_id, party)
    );
    CREATE INDEX dispute_parties_user ON dispute_parties (user_id);

    -- Flags sent to reviewer nodes (one per reviewer seat).
    CREATE TABLE dispute_notifications (
      dispute_id uuid NOT NULL REFERENCES disputes(id),
      reviewer text NOT NULL,
      activity_uri text,
      sent_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (dispute_id, reviewer)
    );

    -- This node's own vote on a dispute it reviews (once).
    CREATE TABLE dispute_votes (
      dispute_id uuid NOT NULL REFERENCES disputes(id),
      reviewer text NOT NULL,
      decision text NOT NULL CHECK (decision IN ('release', 'void')),
      reason text NOT NULL,
      voted_by uuid REFERENCES users(id),
      outbox_id text,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'recorded', 'refused')),
      error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (dispute_id, reviewer)
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TABLE dispute_votes; DROP TABLE dispute_notifications; DROP TABLE dispute_parties;
    DROP TABLE dispute_holds; DROP TABLE disputes;
  `);
};
