// `npm start` builds the web client when client/dist is missing or older than its sources
// (scripts/bootstrap.mjs), so a fresh clone serves the web app at / and an edited client is
// rebuilt; an up-to-date build is left alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(os.tmpdir(), '9ten-bootstrap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the client build is stale when missing or older than a source file, fresh otherwise', async () => {
  const { clientBuildIsStale } = (await import('../../scripts/bootstrap.mjs' as string)) as { clientBuildIsStale: (root: string) => boolean };
  const at = (p: string, seconds: number) => utimesSync(p, seconds, seconds);
  mkdirSync(path.join(dir, 'client/src/pages'), { recursive: true });
  const source = path.join(dir, 'client/src/pages/library.ts');
  writeFileSync(source, 'export {}');
  at(source, 1_000);
  assert.equal(clientBuildIsStale(dir), true, 'no build yet');
  mkdirSync(path.join(dir, 'client/dist'), { recursive: true });
  const built = path.join(dir, 'client/dist/index.html');
  writeFileSync(built, '<!doctype html>');
  at(built, 2_000);
  assert.equal(clientBuildIsStale(dir), false, 'built after the last edit');
  at(source, 3_000);
  assert.equal(clientBuildIsStale(dir), true, 'a source edited after the build');
  at(built, 4_000);
  const asset = path.join(dir, 'client/dist/assets.js');
  writeFileSync(asset, '');
  at(asset, 5_000);
  assert.equal(clientBuildIsStale(dir), false, 'files in dist/ are not sources');
});
