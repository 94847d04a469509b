// A track left `processing` (its job lost, e.g. a shutdown mid-transcode) is transcoded at
// the next start of a worker.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from './support.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), '9ten-media-restart-'));
const dir = mediaDir('restart');
let node: TestNode | undefined;

after(async () => {
  await node?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  removeMediaDir(dir);
});

test('a track whose transcode never ran is picked up when a worker starts', async () => {
  // A web-only node accepts the upload; no worker runs its job, and stopping drops the queue.
  const web = await startTestNode({ name: 'media-restart', dataDir, keepDatabase: true, overrides: { role: 'web' } });
  const dbName = new URL(web.databaseUrl).pathname.slice(1);
  const artist = await makeArtist(web);
  const res = await upload(web, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 3 }));
  assert.equal(res.status, 200, res.text);
  const trackId = res.body.trackId;
  assert.equal((await web.api('GET', `/api/v1/tracks/${trackId}`, { token: artist.token })).body.status, 'processing');
  await web.stop();

  node = await startTestNode({ name: 'media-restart', dataDir, databaseName: dbName, overrides: { role: 'all' } });
  const track = await waitTrack(node, artist.token, trackId);
  assert.equal(track.status, 'ready');
  assert.equal(track.streaming.renditions.length, node.ctx.config.media.audioBitratesKbps.length);
});
