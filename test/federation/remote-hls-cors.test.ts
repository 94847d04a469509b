// A remote track played through this node (/api/v1/federation/tracks/{id}/hls/…) answers with
// the CORS headers of local streaming (issue 18): hls.js on another origin (an embed, another
// web client) reads the playlists, the segments and the errors, and its preflight is answered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { startNodes, waitFor, hostOf } from './support.js';

let a: TestNode, b: TestNode;
let dir: string;
before(async () => {
  [a, b] = await startNodes(['hlscors-a', 'hlscors-b'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('hlscors');
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

const origin = { origin: 'https://player.elsewhere.example' };
const corsNames = ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers'];
const corsOf = (res: Response) => Object.fromEntries(corsNames.map((n) => [n, res.headers.get(n)]));

test('the HLS of a remote track through this node carries the CORS headers of local streaming, errors and preflight included', async () => {
  const artist = await makeArtist(a, 'cors_band');
  const listener = await b.user('listener');
  const follow = await b.api('POST', '/api/v1/federation/follows', { token: listener.token, body: { handle: `cors_band@${hostOf(a)}` } });
  assert.equal(follow.status, 201, follow.text);
  await waitFor('follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: listener.token })).body.data.find((f: any) => f.state === 'accepted'));
  const up = await upload(a, artist.token, artist.channel.id, await makeAudio(dir, { seconds: 6, tags: { title: 'Cross Origin' } }));
  assert.equal(up.status, 200, up.text);
  const trackId = up.body.trackId as string;
  assert.equal((await waitTrack(a, artist.token, trackId)).status, 'ready');
  const remote = await waitFor('track listed on B', async () =>
    (await b.api('GET', '/api/v1/federation/tracks')).body.data.find((t: any) => t.uri === `${a.ctx.config.publicUrl}/ap/tracks/${trackId}`),
  );

  // What local streaming sends (A's own master playlist) is the reference.
  const local = await fetch(`${a.ctx.config.publicUrl}/static/streaming/${trackId}/master.m3u8`, { headers: origin });
  assert.equal(local.status, 200);
  const expected = corsOf(local);
  assert.equal(expected['access-control-allow-origin'], '*');

  const base = `${b.ctx.config.publicUrl}/api/v1/federation/tracks/${remote.id}/hls/`;
  const master = await fetch(`${base}master.m3u8`, { headers: origin });
  assert.equal(master.status, 200);
  assert.deepEqual(corsOf(master), expected);
  const playlistPath = (await master.text()).split('\n').find((l) => l && !l.startsWith('#'))!;
  const playlistUrl = new URL(playlistPath, `${base}master.m3u8`).href;
  const playlist = await fetch(playlistUrl, { headers: origin });
  assert.equal(playlist.status, 200);
  assert.deepEqual(corsOf(playlist), expected);
  const segment = (await playlist.text()).split('\n').find((l) => l && !l.startsWith('#'))!;
  const seg = await fetch(new URL(segment, playlistUrl).href, { headers: origin });
  assert.equal(seg.status, 200);
  await seg.arrayBuffer();
  assert.deepEqual(corsOf(seg), expected);

  // Errors too: a player on another origin reads why (a missing track, a file that is no segment).
  const missing = await fetch(`${b.ctx.config.publicUrl}/api/v1/federation/tracks/00000000-0000-4000-8000-000000000000/hls/master.m3u8`, { headers: origin });
  assert.ok(missing.status >= 400, String(missing.status));
  await missing.arrayBuffer();
  assert.deepEqual(corsOf(missing), expected);
  const notSegment = await fetch(`${base}64k/nothing.bin`, { headers: origin });
  assert.ok(notSegment.status >= 400, String(notSegment.status));
  await notSegment.arrayBuffer();
  assert.deepEqual(corsOf(notSegment), expected);

  // hls.js sends X-Play-Session (and Range): the preflight is answered as local streaming's is.
  const preflight = await fetch(`${base}master.m3u8`, { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-play-session' } });
  const localPreflight = await fetch(`${a.ctx.config.publicUrl}/static/streaming/${trackId}/master.m3u8`, { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-play-session' } });
  assert.equal(preflight.status, 204);
  assert.deepEqual(corsOf(preflight), corsOf(localPreflight));
  assert.equal(preflight.headers.get('access-control-max-age'), localPreflight.headers.get('access-control-max-age'));
});
