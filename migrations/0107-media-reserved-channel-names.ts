// The names of channels deleted with their owner's account stay taken (kept as SHA-256 only):
// the channel's ActivityPub actor is named after it and other servers have it cached, so a new
// channel under that name would be taken for the old one (docs/accounts.md).
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE TABLE media_reserved_channel_names (
      name_hash text PRIMARY KEY,
      reserved_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE FUNCTION media_refuse_reserved_channel_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM media_reserved_channel_names WHERE name_hash = encode(digest(lower(NEW.name), 'sha256'), 'hex')) THEN
        RAISE EXCEPTION 'channel name is reserved (unique): a deleted channel had it' USING ERRCODE = 'unique_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER media_channels_name_not_reserved BEFORE INSERT OR UPDATE OF name ON media_channels
      FOR EACH ROW EXECUTE FUNCTION media_refuse_reserved_channel_name();
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TRIGGER media_channels_name_not_reserved ON media_channels;
    DROP FUNCTION media_refuse_reserved_channel_name();
    DROP TABLE media_reserved_channel_names;
  `);
};
