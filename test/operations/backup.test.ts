// Backups: a real node with tracks, a closed month and an open dispute (its ledger in a
// database of its own, shared with two other nodes as a consortium's would be) is backed up
// with `npm run backup` while it runs, then restored with `npm run restore` into a fresh
// database, ledger database and data folder. The restored node, on the same address,
// serves the same tracks byte for byte, its books balance, its ledger verifies and the
// dispute is still open. Restoring over a database that is not empty is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, projectRoot } from '../../server/config/index.js';
import { startNode } from '../../server/node.js';
import { freePort } from '../../server/db/embedded.js';
import { accountsService } from '../../server/accounts/index.js';
import { capabilities } from '../../server/capabilities.js';
import { createLedgerCapability } from '../../server/ledger/index.js';
import { startTestNode, databaseUrlFor, adminQuery, testRedisUrl, type TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { assertBalanced, closeMonth, disputes, heldListening, startNet, waitFor, type Net } from '../disputes/helpers.js';
import { select } from '../../server/db/index.js';
import type { BackupManifest } from '../../scripts/backup/manifest.js';

let net: Net;
let node: TestNode;
let admin: { token: string };
let media: string;
const work = mkdtempSync(path.join(os.tmpdir(), '9ten-backup-test-'));
const suffix = randomBytes(3).toString('hex');
const restoredDb = `t9_bk_restored_${suffix}`;
const restoredLedgerDb = `t9_bk_restored_ledger_${suffix}`;
const restoredDataDir = path.join(work, 'restored-data');
let restored: TestNode | undefined;

/** What the original node served, to compare the restored node with. */
const served: { trackId: string; title: string; master: string; rendition: string; segment: Buffer }[] = [];
let disputeId: string;

/** Runs `npm run backup|restore -- ...` as an operator would (the same script), with this environment. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NINETEN_CONFIG|DATA_DIR|DATABASE_URL|LEDGER_DATABASE_URL|PUBLIC_URL|REDIS_PREFIX|PORT)$/.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'scripts/backup/cli.ts'), ...args], {
      cwd: projectRoot,
      env: { ...clean, REDIS_URL: testRedisUrl, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const ledgerCapability = (databaseUrl: string) => capabilities.map((c) => (c.name === 'ledger' ? createLedgerCapability({ config: { databaseUrl, mspId: 'OrgA' } }) : c));

/** The master playlist and first segment of a track, as a listener gets them. */
async function stream(n: TestNode, trackId: string, rendition: string): Promise<{ master: string; segment: Buffer }> {
  const master = await fetch(`${n.url}/static/streaming/${trackId}/master.m3u8`);
  assert.equal(master.status, 200, `master playlist of ${trackId}`);
  const segment = await fetch(`${n.url}/static/streaming/${trackId}/${rendition}/seg-00000.m4s`);
  assert.equal(segment.status, 200, `first segment of ${trackId}`);
  return { master: await master.text(), segment: Buffer.from(await segment.arrayBuffer()) };
}

before(async () => {
  // The node under test (cluster a, OrgA) and two more organisations, so that a dispute gets its three seats.
  net = await startNet([
    { name: 'bk-a', cluster: 'a', organisation: 'OrgA' },
    { name: 'bk-b', cluster: 'a', organisation: 'OrgB' },
    { name: 'bk-c', cluster: 'b', organisation: 'OrgC' },
  ]);
  node = net.nodes[0];
  admin = await node.user('admin');

  // Tracks.
  media = mediaDir('backup');
  const artist = await makeArtist(node, 'band');
  for (const [i, format] of (['mp3', 'flac'] as const).entries()) {
    const file = await makeAudio(media, { format, seconds: 5, name: `song-${i}.${format}`, tags: { title: `Song ${i}` } });
    const res = await upload(node, artist.token, artist.channel.id, file);
    assert.equal(res.status, 200, res.text);
    const track = await waitTrack(node, artist.token, res.body.trackId);
    assert.equal(track.status, 'ready');
    const rendition = track.streaming.renditions[0].name as string;
    served.push({ trackId: track.id, title: track.title, rendition, ...(await stream(node, track.id, rendition)) });
  }

  // A closed month with held listening, and a dispute about the held money, open on the ledger.
  const listeners = [];
  for (let i = 0; i < 2; i++) {
    const l = await node.user('listener');
    listeners.push({ id: l.user.id, token: l.token });
  }
  await heldListening(node, { channelName: 'band', artistUserId: artist.user.id, listeners });
  await closeMonth(node, { [`${node.url}/ap/channels/band`]: artist.user.id });
  assert.equal((await disputes(node).tick()).opened, 1);
  [{ id: disputeId }] = await select<{ id: string }>(node.ctx.db, 'SELECT id FROM disputes');
  await waitFor('the dispute to be open on the ledger', async () => {
    await disputes(node).tick(disputeId).catch(() => undefined);
    return (await disputes(node).detail(disputeId, { full: false }))?.status === 'open';
  });
  await node.waitJobs();
  await assertBalanced(node);
});

after(async () => {
  await restored?.stop().catch(() => {});
  await net?.stop();
  await adminQuery(`DROP DATABASE IF EXISTS "${restoredLedgerDb}" WITH (FORCE)`).catch(() => {});
  if (media) removeMediaDir(media);
  rmSync(work, { recursive: true, force: true });
});

test('backup while the node runs; restore on an empty machine serves the same tracks, the books balance and the ledger verifies', { timeout: 120_000 }, async () => {
  const original = await node.api('GET', '/api/v1/ledger/verify', { token: admin.token });
  assert.equal(original.body.ok, true, original.text);
  const nodeEnv = { DATA_DIR: node.dataDir, DATABASE_URL: node.databaseUrl, LEDGER_DATABASE_URL: net.ledgerDb.url, PUBLIC_URL: node.url, NODE_NAME: node.name, ORGANISATION: 'OrgA', CLUSTER: 'a' };
  const archive = path.join(work, 'node.tar.gz');
  const backup = await cli(['backup', '--archive', archive], nodeEnv);
  assert.equal(backup.code, 0, backup.stderr);
  assert.ok(existsSync(archive));
  // Progress and results are logged as JSON lines.
  const lines = backup.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; step?: string });
  assert.ok(lines.some((l) => l.msg === 'backup done'));
  assert.ok(lines.some((l) => l.step === 'dump node database') && lines.some((l) => l.step === 'dump ledger database'));

  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', archive, './manifest.json'], { encoding: 'utf8' })) as BackupManifest;
  assert.equal(manifest.database.kind, 'dump');
  assert.equal(manifest.node.publicUrl, node.url);
  assert.ok(manifest.ledger.dump, 'the ledger database is in the backup');
  assert.ok(manifest.migrations.includes('0002-node-identity'));
  for (const t of served) {
    assert.ok(manifest.files.some((f) => f.path === `data/media/streaming/${t.trackId}/master.m3u8`), 'the HLS files are in the backup');
    assert.ok(manifest.files.some((f) => f.path.startsWith(`data/media/originals/${t.trackId}.`)), 'the originals are in the backup');
  }
  assert.ok(manifest.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256)));

  // Restoring over a database that is not empty (the running node's own) is refused, and changes nothing.
  const before = await node.api('GET', '/api/v1/tracks', { token: admin.token });
  const refused = await cli(['restore', archive], { ...nodeEnv, DATA_DIR: path.join(work, 'other-data') });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /restore refused: The database .* is not empty.*--replace/);
  assert.ok(!existsSync(path.join(work, 'other-data', 'media')), 'nothing was written');
  assert.deepEqual((await node.api('GET', '/api/v1/tracks', { token: admin.token })).body, before.body);

  // The machine is lost. A fresh one: an empty data folder, databases not even made yet.
  const port = Number(new URL(node.url).port);
  await node.stop();
  const restoreEnv = { DATA_DIR: restoredDataDir, DATABASE_URL: databaseUrlFor(restoredDb), LEDGER_DATABASE_URL: databaseUrlFor(restoredLedgerDb), PUBLIC_URL: `http://127.0.0.1:${port}`, NODE_NAME: node.name };
  const restore = await cli(['restore', archive], restoreEnv);
  assert.equal(restore.code, 0, restore.stderr);
  assert.match(restore.stderr, /restored bk-a .* with its ledger database/);
  assert.ok(restore.stdout.includes('"step":"verify"'), 'the hashes were checked');

  const back = await startTestNode({
    name: 'bk-a',
    databaseName: restoredDb,
    dataDir: restoredDataDir,
    port,
    capabilities: ledgerCapability(databaseUrlFor(restoredLedgerDb)),
    overrides: { federation: { cluster: 'a', organisation: 'OrgA' }, auth: { tokenTtlSeconds: 90 * 86_400 } },
  });
  restored = back;
  assert.equal(back.url, node.url, 'the same address');
  await back.waitJobs();

  // The same tracks, the same playlists and the same segment bytes; the old admin token still works.
  for (const t of served) {
    const meta = await back.api('GET', `/api/v1/tracks/${t.trackId}`, { token: admin.token });
    assert.equal(meta.status, 200, meta.text);
    assert.equal(meta.body.status, 'ready');
    assert.equal(meta.body.title, t.title);
    const again = await stream(back, t.trackId, t.rendition);
    assert.equal(again.master, t.master);
    assert.ok(again.segment.equals(t.segment), 'the same segment bytes');
  }

  // The books balance, the ledger's hash chain verifies, the dispute is where it was.
  await assertBalanced(back);
  const verify = await back.api('GET', '/api/v1/ledger/verify', { token: admin.token });
  assert.equal(verify.status, 200, verify.text);
  assert.equal(verify.body.ok, true, verify.text);
  assert.ok(verify.body.blocks >= original.body.blocks, `${verify.body.blocks} blocks restored, ${original.body.blocks} before the backup`);
  const dispute = await disputes(back).detail(disputeId, { full: false });
  assert.equal(dispute?.status, 'open');
  assert.ok(await disputes(back).ledgerRecord(disputeId), 'the dispute is on the restored ledger');

  // Keys in the data folder (the API-key sealing secret, when made) came back with it.
  for (const f of manifest.files.filter((x) => x.path.startsWith('data/secrets/'))) {
    assert.ok(existsSync(path.join(restoredDataDir, f.path.slice('data/'.length))), f.path);
  }
});

test('a node on the embedded PostgreSQL: its cluster is copied while it runs and comes back whole', { timeout: 120_000 }, async () => {
  // As root, the embedded PostgreSQL runs as the `postgres` user: it must reach the data folders.
  chmodSync(work, 0o755);
  const dataDir = path.join(work, 'embedded-data');
  const port = await freePort();
  const config = loadConfig({
    ignoreEnv: true,
    overrides: { port, host: '127.0.0.1', publicUrl: `http://127.0.0.1:${port}`, dataDir, databaseUrl: null, redisUrl: testRedisUrl, redisPrefix: `t9:bk-embedded-${suffix}`, logLevel: 'silent', nodeName: 'bk-embedded' },
  });
  const env = { DATA_DIR: dataDir, PUBLIC_URL: config.publicUrl, NODE_NAME: config.nodeName, REDIS_PREFIX: config.redisPrefix! };
  let running = await startNode(config, { defaultMetrics: false });
  try {
    const admin = await running.ctx.services.accounts.create({ username: 'boss', password: 'correct horse battery', role: 'admin' });
    const { access_token: token } = await accountsService(running.ctx).login('boss', 'correct horse battery');
    await waitFor('the node to join the ledger', async () => ((await (await fetch(`${running.url}/api/v1/ledger/verify`, { headers: { authorization: `Bearer ${token}` } })).json()) as { blocks: number }).blocks > 0);
    const before = (await (await fetch(`${running.url}/api/v1/ledger/verify`, { headers: { authorization: `Bearer ${token}` } })).json()) as { ok: boolean; blocks: number; lastHash: string };

    const out = path.join(work, 'embedded-backup');
    const backup = await cli(['backup', '--out', out], env);
    assert.equal(backup.code, 0, backup.stderr);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as BackupManifest;
    assert.equal(manifest.database.kind, 'cluster');
    assert.ok(manifest.files.some((f) => f.path === 'database/cluster/backup_label'));
    assert.ok(manifest.files.some((f) => f.path === 'data/db/password'));

    // Over the running node's own data folder: refused.
    const refused = await cli(['restore', out], env);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /is running: stop the node first/);

    await running.stop();
    const fresh = path.join(work, 'embedded-restored');
    const restore = await cli(['restore', out], { ...env, DATA_DIR: fresh });
    assert.equal(restore.code, 0, restore.stderr);

    running = await startNode({ ...config, dataDir: fresh }, { defaultMetrics: false });
    const me = await fetch(`${running.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { id: string }).id, admin.id);
    const after = (await (await fetch(`${running.url}/api/v1/ledger/verify`, { headers: { authorization: `Bearer ${token}` } })).json()) as { ok: boolean; blocks: number; lastHash: string };
    assert.equal(after.ok, true);
    assert.ok(after.blocks >= before.blocks);

    // Once the node is stopped, its cluster is still a database that is not empty: refused, unless --replace.
    await running.stop();
    const again = await cli(['restore', out], { ...env, DATA_DIR: fresh });
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /embedded PostgreSQL under .* is not empty.*--replace/);
    const replaced = await cli(['restore', out, '--replace'], { ...env, DATA_DIR: fresh });
    assert.equal(replaced.code, 0, replaced.stderr);
  } finally {
    await running.stop().catch(() => {});
    const redis = new Redis(testRedisUrl);
    const keys = await redis.keys(`${config.redisPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
});
