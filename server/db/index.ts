// The node's database: one sequelize instance, and a transaction helper whose
// after-commit hooks are where side effects (queue jobs, federation) start.
import { Sequelize, type Transaction } from 'sequelize';
import type { Logger } from '../logger.js';

export type { Transaction } from 'sequelize';

export function createDatabase(url: string, logger: Logger): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    logging: (sql) => logger.trace({ sql }, 'sql'),
    pool: { max: 10, min: 0, idle: 10_000 },
    define: { underscored: true, timestamps: true },
  });
}

/** Runs fn in a transaction; side effects registered with `afterCommit` run only after commit. */
export async function inTransaction<T>(db: Sequelize, fn: (t: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (t) => fn(t));
}

/** Plain SQL returning rows, with named replacements. */
export async function select<T = Record<string, unknown>>(
  db: Sequelize,
  sql: string,
  replacements: Record<string, unknown> = {},
  transaction?: Transaction,
): Promise<T[]> {
  const [rows] = await db.query(sql, { replacements, transaction });
  return rows as T[];
}

export async function selectOne<T = Record<string, unknown>>(
  db: Sequelize,
  sql: string,
  replacements: Record<string, unknown> = {},
  transaction?: Transaction,
): Promise<T | undefined> {
  const rows = await select<T>(db, sql, replacements, transaction);
  return rows[0];
}

export async function execute(
  db: Sequelize,
  sql: string,
  replacements: Record<string, unknown> = {},
  transaction?: Transaction,
): Promise<void> {
  await db.query(sql, { replacements, transaction });
}
