// Moderation's guards (docs/moderation.md, decision 0006): another server's Flags are one open
// report per actor and object and counted per server and hour; a user's remote lookups are
// counted with their reports; a log entry is written before its measure and marked done or
// failed after, so a measure is never taken without a trace.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    -- Open reports from one remote actor about one object: the oldest stays, the repeats (made
    -- before this index existed) are closed as dismissed by nobody, so the index can be built.
    UPDATE moderation_reports r SET state = 'dismissed', outcome = 'dismiss', resolved_at = now(), updated_at = now()
     WHERE r.state = 'open' AND r.reporter_actor_uri IS NOT NULL
       AND EXISTS (SELECT 1 FROM moderation_reports o WHERE o.state = 'open' AND o.reporter_actor_uri = r.reporter_actor_uri AND o.target_uri = r.target_uri
                   AND (o.created_at, o.id) < (r.created_at, r.id));
    CREATE UNIQUE INDEX moderation_reports_one_open_remote ON moderation_reports (reporter_actor_uri, target_uri) WHERE state = 'open' AND reporter_actor_uri IS NOT NULL;

    -- The server a Flag came from (the authority of the actor whose signature verified): what
    -- the hourly count of another server's reports goes by.
    ALTER TABLE moderation_reports ADD COLUMN reporter_host text
      GENERATED ALWAYS AS (lower(substring(reporter_actor_uri from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]+)'))) STORED;
    CREATE INDEX moderation_reports_reporter_host ON moderation_reports (reporter_host, created_at) WHERE reporter_host IS NOT NULL;
    -- The open reports about one object (one staff notice per reported object).
    CREATE INDEX moderation_reports_open_target ON moderation_reports (target_uri, created_at) WHERE state = 'open';

    -- A user's lookups of other servers' objects (each a fetch this node makes for them),
    -- counted with their reports for the hourly limit; kept an hour.
    CREATE TABLE moderation_remote_lookups (
      id bigserial PRIMARY KEY,
      reporter_id uuid NOT NULL,
      uri text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX moderation_remote_lookups_reporter ON moderation_remote_lookups (reporter_id, created_at);
    CREATE INDEX moderation_remote_lookups_created ON moderation_remote_lookups (created_at);

    -- pending: written before the measure; done: the measure was taken; failed: it was not.
    -- Entries written before this migration were written after their measure: done.
    ALTER TABLE moderation_log ADD COLUMN state text NOT NULL DEFAULT 'done' CHECK (state IN ('pending', 'done', 'failed'));
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    ALTER TABLE moderation_log DROP COLUMN IF EXISTS state;
    DROP TABLE IF EXISTS moderation_remote_lookups;
    DROP INDEX IF EXISTS moderation_reports_open_target;
    DROP INDEX IF EXISTS moderation_reports_reporter_host;
    ALTER TABLE moderation_reports DROP COLUMN IF EXISTS reporter_host;
    DROP INDEX IF EXISTS moderation_reports_one_open_remote;
  `);
};
