// A backup's manifest never makes a restore read or write outside its folder: paths must be
// relative without `..`, and file modes are permissions only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackupInvalid, manifestFile, readManifest } from '../../scripts/backup/manifest.js';

const sha = 'a'.repeat(64);
const manifest = (over: Record<string, unknown> = {}) => ({
  format: '9ten-backup', formatVersion: 1, createdAt: '2026-12-07T00:00:00Z', finishedAt: '2026-12-07T00:00:01Z',
  node: { id: 'n', name: 'n', publicUrl: 'http://x', actor: 'http://x/ap/actor', dataDir: '/d' },
  versions: { nineten: '0.1.0', node: 'v24', postgresServer: '16' },
  migrations: [],
  database: { kind: 'dump', file: 'database.dump', source: 'postgres://x/db' },
  ledger: { engine: 'embedded' },
  config: { environment: {} },
  external: [],
  excluded: [],
  vanished: [],
  files: [{ path: 'data/media/a', size: 1, sha256: sha, mode: 0o644 }],
  ...over,
});

function read(m: unknown) {
  const dir = mkdtempSync(path.join(os.tmpdir(), '9ten-manifest-'));
  writeFileSync(path.join(dir, manifestFile), JSON.stringify(m));
  return readManifest(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('a manifest naming a path outside the backup is refused as damaged; modes lose setuid and friends', async () => {
  assert.equal((await read(manifest())).files[0].path, 'data/media/a');
  for (const bad of [
    { files: [{ path: 'data/x/../../../etc/cron.d/evil', size: 1, sha256: sha, mode: 0o644 }] },
    { files: [{ path: '/etc/passwd', size: 1, sha256: sha, mode: 0o644 }] },
    { database: { kind: 'dump', file: '../elsewhere.dump', source: 'x' } },
    { external: [{ file: '../../root/.ssh/id_rsa', originalPath: '/tmp/x' }] },
  ]) {
    await assert.rejects(read(manifest(bad)), BackupInvalid, JSON.stringify(bad));
  }
  const setuid = await read(manifest({ files: [{ path: 'data/media/a', size: 1, sha256: sha, mode: 0o4755 }] }));
  assert.equal(setuid.files[0].mode, 0o755);
});
