// Runs the migrations in migrations/ (one file per change, in file-name order).
import { Umzug, SequelizeStorage } from 'umzug';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { QueryInterface, Sequelize } from 'sequelize';
import { projectRoot } from '../config/index.js';
import type { Logger } from '../logger.js';

export interface MigrationContext {
  queryInterface: QueryInterface;
  sequelize: Sequelize;
}

export type Migration = (ctx: { context: MigrationContext }) => Promise<void>;

function migrationFiles(dir: string): string[] {
  // Built output has .js; sources have .ts. Never both for one name.
  return readdirSync(dir)
    .filter((f) => /^\d{4}-[\w-]+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
}

export function createMigrator(db: Sequelize, logger: Logger, dir = path.join(projectRoot, 'migrations')) {
  return new Umzug<MigrationContext>({
    migrations: migrationFiles(dir).map((file) => {
      const name = file.replace(/\.(ts|js)$/, '');
      const href = pathToFileURL(path.join(dir, file)).href;
      return {
        name,
        up: async (params) => ((await import(href)) as { up: Migration }).up(params),
        down: async (params) => ((await import(href)) as { down?: Migration }).down?.(params),
      };
    }),
    context: { queryInterface: db.getQueryInterface(), sequelize: db },
    storage: new SequelizeStorage({ sequelize: db, tableName: 'schema_migrations' }),
    logger: {
      info: (m) => logger.info(m, 'migration'),
      warn: (m) => logger.warn(m, 'migration'),
      error: (m) => logger.error(m, 'migration'),
      debug: (m) => logger.debug(m, 'migration'),
    },
  });
}

export async function migrate(db: Sequelize, logger: Logger): Promise<string[]> {
  // One node process migrates at a time (web and worker may start together): the
  // lock lives as long as this transaction, whose connection does nothing else.
  return db.transaction(async (t) => {
    await db.query('SELECT pg_advisory_xact_lock(9010)', { transaction: t });
    const done = await createMigrator(db, logger).up();
    return done.map((m) => m.name);
  });
}
