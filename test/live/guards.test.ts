// Live guards on a node with tight limits: a stalled publisher, the node-wide cap, the
// bitrate ceiling, the longest stream, and too many wrong keys from one address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { TestNode } from '../helpers/node.js';
import { liveService } from '../../server/live/index.js';
import { liveArtist, push, rtmpUrl, startLiveNode, waitStream } from './support.js';

let node: TestNode;
before(async () => {
  node = await startLiveNode({
    name: 'liveguards',
    overrides: { live: { maxConcurrentStreams: 1, maxBitrateKbps: 200, maxDurationSeconds: 12, stallSeconds: 3, reconnectGraceSeconds: 0, badKeysPerMinutePerAddress: 3 } },
  });
});
after(async () => {
  await node?.stop();
});

test('a stalled publisher ends the stream; while it runs the node-wide cap refuses another channel', { timeout: 60_000 }, async () => {
  const a = await liveArtist(node);
  const b = await liveArtist(node);
  const publisher = push(rtmpUrl(node, a.key), { seconds: 60 });
  await waitStream(node, a.token, a.channel.name, 'live');
  const other = push(rtmpUrl(node, b.key), { seconds: 10 });
  assert.notEqual(await other.exited, 0, 'refused: the node is at its limit');
  assert.equal((await node.api('GET', `/api/v1/channels/${b.channel.name}/live`, { token: b.token })).body.current, null);
  const ingest = await node.api('GET', '/api/v1/live/ingest');
  assert.deepEqual([ingest.body.liveNow, ingest.body.maxConcurrentStreams, ingest.body.listening], [1, 1, true]);

  publisher.kill('SIGSTOP'); // the connection stays open, nothing arrives
  try {
    const ended = await waitStream(node, a.token, a.channel.name, 'ended', 20_000);
    assert.equal(ended.endReason, 'stalled');
  } finally {
    publisher.kill('SIGKILL');
  }
});

test('an input above the bitrate ceiling ends the stream; a stream reaching the longest allowed ends', { timeout: 90_000 }, async () => {
  const a = await liveArtist(node);
  const heavy = push(rtmpUrl(node, a.key), { video: true, size: '640x360', seconds: 40 });
  const over = await waitStream(node, a.token, a.channel.name, 'ended', 30_000);
  assert.equal(over.endReason, 'bitrate_exceeded');
  assert.match(over.endMessage, /200 kbps/);
  await heavy.exited;

  const long = push(rtmpUrl(node, a.key), { seconds: 40 });
  const ended = await waitStream(node, a.token, a.channel.name, (v) => v.state === 'ended' && v.id !== over.id, 30_000);
  assert.equal(ended.endReason, 'max_duration');
  await long.exited;
});

test('too many wrong keys from one address: even the right key is refused for the minute', { timeout: 60_000 }, async () => {
  const a = await liveArtist(node);
  for (let i = 0; i < 3; i++) assert.notEqual(await push(rtmpUrl(node, `live_${'y'.repeat(31)}${i}`), { seconds: 5 }).exited, 0);
  assert.notEqual(await push(rtmpUrl(node, a.key), { seconds: 5 }).exited, 0, 'refused unread');
  assert.equal((await node.api('GET', `/api/v1/channels/${a.channel.name}/live`, { token: a.token })).body.current, null);
});

test('one address may hold only so many RTMP connections open: past it the port closes new ones at once', { timeout: 30_000 }, async () => {
  const port = liveService(node.ctx).rtmpPort;
  node.ctx.config.live.rtmpConnectionsPerAddress = 2;
  const sockets: net.Socket[] = [];
  try {
    const connect = () =>
      new Promise<{ socket: net.Socket; closedWithin: (ms: number) => Promise<boolean> }>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          const closed = new Promise<void>((r) => socket.once('close', () => r()));
          resolve({ socket, closedWithin: (ms) => Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]) });
        });
        socket.on('error', () => {});
        socket.once('error', reject);
        sockets.push(socket);
      });
    const [first, second] = [await connect(), await connect()];
    const third = await connect();
    assert.equal(await third.closedWithin(2000), true, 'the third connection is closed at once');
    assert.equal(await first.closedWithin(200), false, 'the first two stay open (until their publish times out)');
    assert.equal(await second.closedWithin(10), false);
    first.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await connect();
    assert.equal(await again.closedWithin(300), false, 'a freed place is taken again');
  } finally {
    for (const s of sockets) s.destroy();
    node.ctx.config.live.rtmpConnectionsPerAddress = 64;
  }
});
