// The batched segment-serve log: everything recorded is written, exactly once, in
// batches; by row count, by timer and on stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { select } from '../../server/db/index.js';
import { listeningService } from '../../server/listening/index.js';
import { setListening } from './helpers.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'listenlog' });
});
after(async () => {
  await node?.stop();
});

const count = async (trackId: string) =>
  Number((await select<{ n: string }>(node.ctx.db, 'SELECT count(*) AS n FROM segment_serves WHERE track_id = :trackId', { trackId }))[0].n);

test('many events are written exactly once, with their values, in few writes', async () => {
  setListening(node, { segmentLog: { flushRows: 500, flushIntervalMs: 250 } });
  const svc = listeningService(node.ctx);
  const trackId = `track-${randomUUID()}`;
  const sessions = Array.from({ length: 7 }, () => randomUUID());
  const at = new Date('2026-03-04T05:06:07.891Z');
  const n = 5003;
  // Interleave the recording with the event loop, as requests would.
  for (let i = 0; i < n; i++) {
    svc.recordSegmentServed({
      trackId,
      rendition: i % 2 ? '64k' : '128k',
      segmentIndex: i,
      segmentStartSeconds: i * 4,
      segmentDurationSeconds: 4,
      bytes: 1000 + i,
      userId: null,
      sessionId: i % 10 === 9 ? 'not-a-uuid' : sessions[i % sessions.length],
      ip: i % 3 ? '127.0.0.1' : '::1',
      userAgent: i % 5 ? `agent "quoted", {braced} \\ back ${i} ünï` : null,
      at,
    });
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  await svc.segmentLog.flush();
  assert.equal(await count(trackId), n);
  const rows = await select<{ segment_index: number; session_id: string | null; user_agent: string | null; bytes: string; served_at: Date; rendition: string; start_seconds: number }>(
    node.ctx.db,
    'SELECT segment_index, session_id, user_agent, bytes, served_at, rendition, start_seconds FROM segment_serves WHERE track_id = :trackId ORDER BY segment_index',
    { trackId },
  );
  assert.deepEqual(rows.map((r) => r.segment_index), Array.from({ length: n }, (_, i) => i));
  const r = rows[4321];
  assert.equal(r.user_agent, 'agent "quoted", {braced} \\ back 4321 ünï');
  assert.equal(Number(r.bytes), 5321);
  assert.equal(r.rendition, '64k');
  assert.equal(Number(r.start_seconds), 4321 * 4);
  assert.equal(new Date(r.served_at).toISOString(), at.toISOString());
  assert.equal(r.session_id, sessions[4321 % 7]);
  assert.equal(rows[9].session_id, null, 'an invalid session id is kept as null, not a failed batch');
  assert.equal(rows[5].user_agent, null);
  // Batched: the flush histogram saw far fewer writes than rows (batches grow while a write is in flight).
  const metric = await node.ctx.metrics.getSingleMetric('nineten_listening_segment_flush_seconds')!.get();
  const writes = metric.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;
  assert.ok(writes >= 2 && writes <= 50, `writes: ${writes}`);
});

test('any text survives the write: tabs, line ends, backslashes, \\N, NUL and non-Latin user agents; a poisoned row never blocks a batch', async () => {
  const svc = listeningService(node.ctx);
  const trackId = `track-${randomUUID()}`;
  const agents = ['tab\there', 'line\nend\r\nwindows', 'back\\slash \\N and \\\\', 'nul\0inside', '日本語 ✓ 🎵', '\\N'];
  agents.forEach((userAgent, i) =>
    svc.recordSegmentServed({ trackId, rendition: 'r\t1', segmentIndex: i, segmentStartSeconds: i * 4.25, segmentDurationSeconds: 4.25, bytes: 10, userId: null, sessionId: null, ip: '::ffff:10.0.0.1', userAgent, at: new Date() }),
  );
  await svc.segmentLog.flush();
  const rows = await select<{ user_agent: string; rendition: string; start_seconds: number; ip: string }>(
    node.ctx.db,
    'SELECT user_agent, rendition, start_seconds, ip FROM segment_serves WHERE track_id = :trackId ORDER BY segment_index',
    { trackId },
  );
  assert.deepEqual(rows.map((r) => r.user_agent), agents.map((a) => a.replace('\0', '')), 'as sent, but NUL (text cannot hold it)');
  assert.deepEqual([rows[0].rendition, Number(rows[3].start_seconds), rows[0].ip], ['r\t1', 12.75, '::ffff:10.0.0.1']);
});

test('a few events are flushed by the timer without an explicit flush', async () => {
  setListening(node, { segmentLog: { flushRows: 1000, flushIntervalMs: 100 } });
  const svc = listeningService(node.ctx);
  const trackId = `track-${randomUUID()}`;
  for (let i = 0; i < 3; i++) {
    svc.recordSegmentServed({ trackId, rendition: 'a', segmentIndex: i, segmentStartSeconds: i, segmentDurationSeconds: 1, bytes: 1, userId: null, sessionId: null, ip: null, userAgent: null, at: new Date() });
  }
  assert.equal(svc.segmentLog.pendingCount, 3);
  const until = Date.now() + 5000;
  while ((await count(trackId)) < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await count(trackId), 3);
  assert.equal(svc.segmentLog.pendingCount, 0);
});

test('stopping the log flushes what is buffered', async () => {
  setListening(node, { segmentLog: { flushRows: 100_000, flushIntervalMs: 60_000 } });
  const svc = listeningService(node.ctx);
  const trackId = `track-${randomUUID()}`;
  for (let i = 0; i < 50; i++) {
    svc.recordSegmentServed({ trackId, rendition: 'a', segmentIndex: i, segmentStartSeconds: i, segmentDurationSeconds: 1, bytes: 1, userId: null, sessionId: null, ip: null, userAgent: null, at: new Date() });
  }
  assert.equal(await count(trackId), 0);
  await svc.segmentLog.stop();
  assert.equal(await count(trackId), 50);
});
