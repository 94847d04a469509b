// Lost and foreign transcode jobs: a job whose track this node does not have fails loudly
// (visible to admins) instead of completing as a no-op, and a track left `processing` with
// no live job (its job lost from Redis) is queued again by the periodic sweep while the node
// runs, not only at the next start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { mediaDir, removeMediaDir, makeAudio } from '../helpers/media.js';
import { waitFor } from '../helpers/wait.js';
import { makeArtist, upload, waitTrack } from './support.js';

let node: TestNode;
let dir: string;

before(async () => {
  node = await startTestNode({ name: 'media-sweep', overrides: { media: { sweepIntervalSeconds: 1, audioBitratesKbps: [64] } } });
  dir = mediaDir('sweep');
});

after(async () => {
  await node?.stop();
  if (dir) removeMediaDir(dir);
});

test('a transcode job for a track this node does not have fails loudly and admins see it', async () => {
  const trackId = randomUUID();
  const jobId = await node.ctx.jobs.enqueue('media.transcode', { trackId }, { attempts: 1 });
  const queue = node.ctx.jobs.queue('media');
  const state = await waitFor('the job to finish', async () => {
    const s = await (await queue.getJob(jobId!))?.getState();
    return s === 'completed' || s === 'failed' ? s : undefined;
  });
  assert.equal(state, 'failed', 'a job about a missing track must not count as done');
  const job = await queue.getJob(jobId!);
  assert.match(job!.failedReason, new RegExp(`no track ${trackId}`));

  const admin = await node.user('admin');
  const seen = await node.api('GET', '/api/v1/admin/media/transcodes', { token: admin.token });
  assert.equal(seen.status, 200, seen.text);
  const failed = seen.body.jobs.failed.find((f: any) => f.data?.trackId === trackId);
  assert.ok(failed, `failures listed: ${seen.text}`);
  assert.match(failed.error, /no track/);
  const artist = await node.user('artist');
  assert.equal((await node.api('GET', '/api/v1/admin/media/transcodes', { token: artist.token })).status, 403);
});

test('a processing track whose job was lost is queued again by the periodic sweep', async () => {
  const artist = await makeArtist(node);
  const queue = node.ctx.jobs.queue('media');
  // Hold the queue so the job cannot start, then lose it (as a Redis flush or another node
  // consuming it would), then let workers run again.
  await queue.pause();
  let trackId: string;
  try {
    const res = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 3 }));
    assert.equal(res.status, 200, res.text);
    trackId = res.body.trackId;
    const jobs = await waitFor('the job queued', async () => {
      const list = (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).filter((j) => j?.data.trackId === trackId);
      return list.length ? list : undefined;
    });
    for (const j of jobs) await j.remove();
  } finally {
    await queue.resume();
  }
  assert.equal((await node.api('GET', `/api/v1/tracks/${trackId}`, { token: artist.token })).body.status, 'processing');
  const track = await waitTrack(node, artist.token, trackId, 60_000);
  assert.equal(track.status, 'ready');
});

test('a dispatched job is in Redis when the request returns, and a delete takes it off the queue without a "no track" failure', async () => {
  const artist = await makeArtist(node);
  const queue = node.ctx.jobs.queue('media');
  const res = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 2, name: 'again2.mp3' }));
  assert.equal(res.status, 200, res.text);
  const trackId: string = res.body.trackId;
  assert.equal((await waitTrack(node, artist.token, trackId)).status, 'ready');
  await queue.pause();
  let jobId: string;
  try {
    const again = await node.api('POST', `/api/v1/tracks/${trackId}/retranscode`, { token: artist.token });
    assert.equal(again.status, 202, again.text);
    const [row] = (await node.ctx.db.query('SELECT transcode_job_id FROM media_tracks WHERE id = :trackId', { replacements: { trackId } }))[0] as { transcode_job_id: string }[];
    jobId = row.transcode_job_id;
    assert.ok(jobId, 'the track has its job');
    assert.equal(await queue.getJobState(jobId), 'waiting', 'the job is in Redis once the request has returned');
    assert.equal((await node.api('DELETE', `/api/v1/tracks/${trackId}`, { token: artist.token })).status, 204);
    assert.equal(await queue.getJobState(jobId), 'unknown', "the deleted track's job is off the queue");
  } finally {
    await queue.resume();
  }
  await new Promise((r) => setTimeout(r, 500));
  const failed = (await queue.getFailed(0, 100)).filter((j) => j?.data.trackId === trackId);
  assert.deepEqual(failed.map((j) => j.failedReason), [], 'no false "no track" alarm');
});
