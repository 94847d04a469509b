// Exporting an account's data, on a real node: the archive (read back with the system's tar)
// holds every part with the user's real data; one export per 10 minutes; admins export a user's;
// a part that fails answers with a problem and gives the turn back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { credit } from '../money/helpers.js';
import { accountsService } from '../../server/accounts/index.js';

const run = promisify(execFile);

let node: TestNode;
let dir: string;
let out: string;
let artist: Awaited<ReturnType<typeof makeArtist>>;
let listener: Awaited<ReturnType<TestNode['user']>>;
let admin: Awaited<ReturnType<TestNode['user']>>;
let trackId: string;

before(async () => {
  node = await startTestNode({ name: 'export', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('export');
  out = mkdtempSync(path.join(os.tmpdir(), '9ten-export-'));
  artist = await makeArtist(node, 'export_band');
  listener = await node.user('listener');
  admin = await node.user('admin');
});
after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Downloads an export and unpacks it with tar; returns the folder's files by name. */
async function exported(token: string, url = '/api/v1/users/me/export'): Promise<Record<string, string>> {
  const res = await fetch(node.url + url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'application/gzip');
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)\.tar\.gz"/.exec(disposition)?.[1];
  assert.ok(name, disposition);
  const into = mkdtempSync(path.join(out, 'x-'));
  writeFileSync(path.join(into, 'archive.tar.gz'), Buffer.from(await res.arrayBuffer()));
  await run('tar', ['-xzf', 'archive.tar.gz'], { cwd: into });
  const folder = path.join(into, name);
  return Object.fromEntries(readdirSync(folder).map((f) => [f, readFileSync(path.join(folder, f), 'utf8')]));
}

test("a user's archive holds their profile, playlists, channels, tracks, listening, wallet, follows", async () => {
  const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 3, tags: { title: 'Exported Tune', album: 'Archive' } }));
  assert.equal(up.status, 200, up.text);
  trackId = up.body.trackId;
  await waitTrack(node, artist.token, trackId);
  const list = await node.api('POST', '/api/v1/playlists', { token: listener.token, body: { title: 'My mix' } });
  assert.equal(list.status, 201, list.text);
  assert.equal((await node.api('PATCH', `/api/v1/playlists/${list.body.id}`, { token: listener.token, body: { trackIds: [trackId] } })).status, 200);
  const play = await node.api('POST', '/api/v1/plays', { token: listener.token, body: { trackId } });
  assert.equal(play.status, 201, play.text);
  await credit(node, listener.user.id, 2500);
  // A reference a spreadsheet would run as a formula (the statement keeps it text).
  const credited = await node.api('POST', `/api/v1/admin/wallets/${listener.user.id}/credit`, { token: admin.token, body: { amount: 100, reference: '=HYPERLINK("http://x")' } });
  assert.equal(credited.status, 201, credited.text);
  const tip = await node.api('POST', '/api/v1/tips', { token: listener.token, body: { track: trackId, amount: 150, message: 'nice, "track"' } });
  assert.equal(tip.status, 201, tip.text);
  const host = new URL(node.url).host;
  const follow = await node.api('POST', '/api/v1/federation/follows', { token: listener.token, body: { handle: `export_band@${host}` } });
  assert.equal(follow.status, 201, follow.text);

  // What a Subsonic app starred (written as its star.view does).
  await node.ctx.db.query(`INSERT INTO app_stars (user_id, item_id, kind) VALUES (:u, 'tr-exported', 'song')`, { replacements: { u: listener.user.id } });
  const files = await exported(listener.token);
  assert.deepEqual(JSON.parse(files['apps.json']).stars.map((x: any) => [x.id, x.kind]), [['tr-exported', 'song']]);
  for (const f of ['README.txt', 'apps.json', 'channels.json', 'follows.json', 'listening-history.json', 'live.json', 'playlists.json', 'profile.json', 'tracks.json', 'wallet-statement.csv']) {
    assert.ok(f in files, `${f} in the archive`);
    if (f !== 'README.txt') assert.match(files['README.txt'], new RegExp(`  ${f.replace('.', '\\.')}\n`));
  }
  assert.match(files['README.txt'], new RegExp(`account ${listener.user.username}`));

  const profile = JSON.parse(files['profile.json']);
  assert.equal(profile.id, listener.user.id);
  assert.equal(profile.username, listener.user.username);
  assert.equal(profile.password_hash, undefined);

  const playlists = JSON.parse(files['playlists.json']);
  assert.equal(playlists.length, 1);
  assert.equal(playlists[0].title, 'My mix');
  assert.deepEqual(playlists[0].tracks.map((t: any) => [t.trackId, t.title]), [[trackId, 'Exported Tune']]);

  const history = JSON.parse(files['listening-history.json']);
  assert.equal(history.plays.length, 1);
  assert.equal(history.plays[0].trackId, trackId);
  assert.deepEqual(Object.keys(history.plays[0]).sort(), ['artist', 'playedSeconds', 'startedAt', 'state', 'trackId'], 'no address or device');

  const statement = files['wallet-statement.csv'].trim().split('\n');
  assert.equal(statement[0], 'date,account,kind,amount,currency,transaction,reference,memo');
  const amounts = statement.slice(1).map((l) => l.split(','));
  assert.ok(amounts.some((c) => c[1] === 'wallet' && c[2] === 'top-up' && c[3] === '2500' && c[4] === 'USD'), statement.join('\n'));
  assert.ok(statement.some((l) => l.includes(`,"'=HYPERLINK(""http://x"")",`)), statement.join('\n'));
  assert.ok(!statement.some((l) => /,"?=/.test(l)), 'no cell starts with =');
  assert.ok(amounts.some((c) => c[2] === 'tip' && c[3] === '-150'), statement.join('\n'));

  const follows = JSON.parse(files['follows.json']);
  assert.deepEqual(follows.following.map((f: any) => f.actor), [`${node.url}/ap/channels/export_band`]);
  assert.deepEqual(JSON.parse(files['channels.json']), []);
});

test("an artist's archive lists their channel and their tracks' metadata", async () => {
  const files = await exported(artist.token);
  const channels = JSON.parse(files['channels.json']);
  assert.deepEqual(channels.map((c: any) => c.name), ['export_band']);
  const tracks = JSON.parse(files['tracks.json']);
  assert.equal(tracks.length, 1);
  assert.equal(tracks[0].id, trackId);
  assert.equal(tracks[0].title, 'Exported Tune');
  assert.equal(tracks[0].album, 'Archive');
  assert.equal(tracks[0].channel, 'export_band');
  const follows = JSON.parse(files['follows.json']);
  assert.deepEqual(follows.channels[0].followers.map((f: any) => f.actor), [`${node.url}/ap/users/${listener.user.username}`]);
  const statement = files['wallet-statement.csv'];
  assert.match(statement, /,wallet,tip,150,/);
});

test('one export per 10 minutes; admins export a user\'s; others may not', async () => {
  const again = await node.api('GET', '/api/v1/users/me/export', { token: listener.token });
  assert.equal(again.status, 429);
  assert.equal(again.body.code, 'export_too_soon');
  assert.ok(Number(again.headers.get('retry-after')) > 500);

  const byAdmin = await exported(admin.token, `/api/v1/admin/users/${listener.user.id}/export`);
  assert.equal(JSON.parse(byAdmin['profile.json']).id, listener.user.id);
  assert.equal((await node.api('GET', `/api/v1/admin/users/${listener.user.id}/export`, { token: artist.token })).status, 403);
  assert.equal((await node.api('GET', '/api/v1/admin/users/00000000-0000-4000-8000-000000000000/export', { token: admin.token })).status, 404);
  assert.equal((await node.api('GET', '/api/v1/users/me/export')).status, 401);
});

test('a part that fails answers with a problem, not a cut archive, and gives the turn back', async () => {
  const user = await node.user('listener');
  const parts = accountsService(node.ctx).exportParts;
  parts.push({ file: 'broken.json', collect: async () => { throw new Error('part failed'); } });
  try {
    const res = await node.api('GET', '/api/v1/users/me/export', { token: user.token });
    assert.equal(res.status, 500);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  } finally {
    parts.pop();
  }
  const files = await exported(user.token);
  assert.equal(JSON.parse(files['profile.json']).id, user.user.id);
});
