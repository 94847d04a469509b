// Moderation (issue 17, docs/moderation.md): reports about tracks, channels, playlists and
// accounts, made by this node's users or received from other servers as Flags, and the log of
// every moderation action (who, what, on what, why, when). Accounts are named by id without a
// foreign key: a deleted account's row stays as a tombstone, and the log outlives everything.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE moderation_reports (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      -- Who reported: a local account, or the remote actor whose Flag it is (exactly one).
      reporter_id uuid,
      reporter_actor_uri text,
      -- The incoming Flag's id: a redelivered Flag is the same report.
      flag_activity_id text UNIQUE,
      target_kind text NOT NULL CHECK (target_kind IN ('track', 'channel', 'playlist', 'account')),
      -- The target's ActivityPub URI (local or remote), what duplicates and forwards go by.
      target_uri text NOT NULL,
      -- Local targets: the track, channel or playlist id, or the account id; and the account that owns it.
      target_id text,
      target_owner_id uuid,
      -- The actor the target belongs to (itself for an account or channel); remote: where a forward goes.
      target_actor_uri text,
      -- NULL: this node.
      target_host text,
      -- The name as it was when reported (the object may change or go).
      target_name text,
      -- Other objects a Flag named (Mastodon names the account beside its posts).
      related_uris jsonb NOT NULL DEFAULT '[]',
      category text NOT NULL CHECK (category IN ('spam', 'abuse', 'illegal', 'copyright', 'sensitive', 'other')),
      reason text NOT NULL,
      state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved', 'dismissed')),
      -- The action that closed it (hide-track, suspend, ..., or dismiss).
      outcome text,
      resolved_by uuid,
      resolved_at timestamptz,
      forwarded_at timestamptz,
      forwarded_flag_uri text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((reporter_id IS NULL) <> (reporter_actor_uri IS NULL)),
      CHECK ((state = 'open') = (resolved_at IS NULL))
    );
    -- One open report per user and object: reporting it again is the same report.
    CREATE UNIQUE INDEX moderation_reports_one_open ON moderation_reports (reporter_id, target_uri) WHERE state = 'open' AND reporter_id IS NOT NULL;
    CREATE INDEX moderation_reports_queue ON moderation_reports (state, created_at DESC);
    CREATE INDEX moderation_reports_reporter ON moderation_reports (reporter_id, created_at DESC) WHERE reporter_id IS NOT NULL;

    CREATE TABLE moderation_log (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      moderator_id uuid NOT NULL,
      -- As it was when acting (kept if the account is renamed or deleted).
      moderator_username text NOT NULL,
      action text NOT NULL CHECK (action IN ('dismiss', 'hide-track', 'unhide-track', 'suspend', 'unsuspend', 'silence', 'unsilence', 'block-actor', 'block-domain', 'forward')),
      report_id uuid REFERENCES moderation_reports(id),
      target_kind text NOT NULL CHECK (target_kind IN ('track', 'account', 'actor', 'domain', 'channel', 'playlist')),
      -- A track or account id, an actor URI, a domain.
      target text NOT NULL,
      target_name text,
      note text NOT NULL CHECK (length(note) > 0),
      -- What the action did beyond its name (the Flag sent, the inboxes it went to, ...).
      details jsonb NOT NULL DEFAULT '{}',
      -- The clock, not the transaction's start: entries written together keep their order.
      created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE INDEX moderation_log_newest ON moderation_log (created_at DESC);
    CREATE INDEX moderation_log_report ON moderation_log (report_id) WHERE report_id IS NOT NULL;
    CREATE INDEX moderation_log_target ON moderation_log (target);
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP TABLE IF EXISTS moderation_log; DROP TABLE IF EXISTS moderation_reports;');
};
