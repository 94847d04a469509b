// What keeps a data export from taking the node down or telling too much: at most
// EXPORTS_AT_ONCE archives are built at once (429 export_busy with Retry-After beyond, the
// user's turn kept), a long list is cut at EXPORT_MAX_ROWS and says so, and a playlist lists only
// the tracks its owner may see now (another's track made private or hidden drops out).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { EXPORTS_AT_ONCE, EXPORT_MAX_ROWS } from '../../server/accounts/lifecycle/export.js';

let node: TestNode;
let dir: string;

before(async () => {
  node = await startTestNode({ name: 'export-limits', overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('export-limits');
});
after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

/** An export's files by name (the folder dropped), read from the tar in memory (ustar: name at 0, octal size at 124). */
async function exported(token: string, url = '/api/v1/users/me/export'): Promise<Record<string, string>> {
  const res = await fetch(node.url + url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, await res.clone().text());
  const tar = gunzipSync(Buffer.from(await res.arrayBuffer()));
  const files: Record<string, string> = {};
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0; ) {
    const name = tar.subarray(at, at + 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('utf8').replace(/\0.*$/s, '').trim(), 8);
    files[name.split('/').pop()!] = tar.subarray(at + 512, at + 512 + size).toString('utf8');
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

test("a playlist's export leaves out another's track made private or hidden", async () => {
  const artist = await makeArtist(node, 'limits_band');
  const listener = await node.user('listener');
  const [admin1, admin2] = [await node.user('admin'), await node.user('admin')];
  const up = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 2, tags: { title: 'Soon Private' } }));
  assert.equal(up.status, 200, up.text);
  const trackId = up.body.trackId;
  await waitTrack(node, artist.token, trackId);
  const list = await node.api('POST', '/api/v1/playlists', { token: listener.token, body: { title: 'Mix', visibility: 'private' } });
  assert.equal((await node.api('PATCH', `/api/v1/playlists/${list.body.id}`, { token: listener.token, body: { trackIds: [trackId] } })).status, 200);
  const titles = (files: Record<string, string>) => JSON.parse(files['playlists.json'])[0].tracks.map((t: { title: string }) => t.title);
  assert.deepEqual(titles(await exported(listener.token)), ['Soon Private']);

  assert.equal((await node.api('PATCH', `/api/v1/tracks/${trackId}`, { token: artist.token, body: { visibility: 'private' } })).status, 200);
  assert.deepEqual(titles(await exported(admin1.token, `/api/v1/admin/users/${listener.user.id}/export`)), []);

  assert.equal((await node.api('PATCH', `/api/v1/tracks/${trackId}`, { token: artist.token, body: { visibility: 'public' } })).status, 200);
  assert.ok(await node.ctx.services.media.setTrackHidden(trackId, true));
  assert.deepEqual(titles(await exported(admin2.token, `/api/v1/admin/users/${listener.user.id}/export`)), []);
  // The artist's own export still names their track in their playlists (none here) and tracks.
  assert.deepEqual(JSON.parse((await exported(artist.token))['tracks.json']).map((t: { title: string }) => t.title), ['Soon Private']);
});

test(`a long list is cut at ${EXPORT_MAX_ROWS} rows and says so`, async () => {
  const heavy = await node.user('listener');
  await node.ctx.db.query(
    `INSERT INTO submitted_listens (user_id, source, listened_at, artist_name, track_name, payload)
     SELECT :u, 'listenbrainz', timestamp '2020-01-01' + make_interval(secs => n), 'Artist', 'Track ' || n, '{}' FROM generate_series(1, :n) n`,
    { replacements: { u: heavy.user.id, n: EXPORT_MAX_ROWS + 5 } },
  );
  const files = await exported(heavy.token);
  const history = JSON.parse(files['listening-history.json']);
  assert.equal(history.appListens.length, EXPORT_MAX_ROWS);
  assert.equal(history.appListens.at(-1).track, `Track ${EXPORT_MAX_ROWS + 5}`, 'the newest are kept');
  assert.equal(history.appListens[0].track, 'Track 6');
  assert.deepEqual(history.truncated.lists, ['appListens']);
  assert.match(files['README.txt'], /listening-history\.json \(truncated/);
  assert.doesNotMatch(files['README.txt'], /wallet-statement\.csv \(truncated/);
});

test(`at most ${EXPORTS_AT_ONCE} exports are built at once on the node`, async () => {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let waiting = 0;
  let slow = true;
  node.ctx.services.accounts.onExport({
    file: 'zz-slow.json',
    collect: async () => {
      if (slow) {
        waiting++;
        await gate;
      }
      return {};
    },
  });
  const users = [];
  for (let i = 0; i <= EXPORTS_AT_ONCE; i++) users.push(await node.user('listener'));
  const running = users.slice(0, EXPORTS_AT_ONCE).map((u) => fetch(`${node.url}/api/v1/users/me/export`, { headers: { authorization: `Bearer ${u.token}` } }));
  for (let i = 0; waiting < EXPORTS_AT_ONCE && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(waiting, EXPORTS_AT_ONCE);
  const last = users[EXPORTS_AT_ONCE];
  // Without the limit this one would wait at the gate too: a deadline makes that a failure.
  const busy = await fetch(`${node.url}/api/v1/users/me/export`, { headers: { authorization: `Bearer ${last.token}` }, signal: AbortSignal.timeout(10_000) }).finally(() => {
    slow = false;
    open();
  });
  assert.equal(busy.status, 429);
  assert.equal(((await busy.json()) as { code: string }).code, 'export_busy');
  assert.ok(Number(busy.headers.get('retry-after')) > 0);
  for (const res of await Promise.all(running)) {
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  // The refused user's turn was not taken, and the places were given back.
  assert.ok((await exported(last.token))['zz-slow.json']);
});
