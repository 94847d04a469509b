// The test PostgreSQL: its URL, a database's URL on it, and statements run as its
// administrator. Only pg: benches import it without loading the node.
import pg from 'pg';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const testRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrlFor(name: string): string {
  const u = new URL(testDatabaseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** One statement as the database's administrator (CREATE/DROP DATABASE), on its own connection. */
export async function adminQuery(sql: string, url = testDatabaseUrl): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
