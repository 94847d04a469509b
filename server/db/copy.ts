// COPY ... FROM STDIN through one of the pool's connections: Sequelize has no COPY, pg has it
// through pg-copy-streams.
import { finished } from 'node:stream/promises';
import type { Sequelize } from 'sequelize';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

interface ConnectionManager {
  getConnection(options?: { type?: 'read' | 'write' }): Promise<pg.Client>;
  releaseConnection(connection: pg.Client): void | Promise<void>;
}

/** Runs `sql` (a COPY ... FROM STDIN) with `data` as its input; resolves once the server has it all. */
export async function copyIn(db: Sequelize, sql: string, data: string | Buffer): Promise<void> {
  const manager = (db as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const client = await manager.getConnection({ type: 'write' });
  try {
    const stream = client.query(copyFrom(sql));
    stream.end(data);
    await finished(stream);
  } finally {
    await manager.releaseConnection(client);
  }
}
