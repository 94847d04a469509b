// Text search for every capability's own tables: accents folded (unaccent) and typos forgiven
// (trigram similarity, pg_trgm). Both extensions are trusted (PostgreSQL 13+): a database owner
// may create them. `nt_fold` is lower(unaccent(text)) with the dictionary named, so it is
// immutable and can feed generated columns and indexes. Its body names the extension's schema:
// a restore (pg_restore runs with an empty search_path) recomputes generated columns with it.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('CREATE EXTENSION IF NOT EXISTS unaccent; CREATE EXTENSION IF NOT EXISTS pg_trgm;');
  const [rows] = await sequelize.query("SELECT quote_ident(n.nspname) AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'");
  const schema = (rows as { schema: string }[])[0].schema;
  await sequelize.query(`
    CREATE FUNCTION nt_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $$ SELECT pg_catalog.lower(${schema}.unaccent('${schema}.unaccent'::regdictionary, $1)) $$;
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP FUNCTION nt_fold(text)');
};
