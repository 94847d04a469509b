// Live test steps: a node whose RTMP port is free, a channel with a stream key, and real
// ffmpeg pushes of test patterns over RTMP on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { ffmpegPath } from '../../server/media/ffmpeg.js';
import { liveService } from '../../server/live/index.js';
import { startTestNode, type TestNode, type TestNodeOptions } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { waitFor } from '../helpers/wait.js';
import { deepMerge } from '../../server/config/index.js';

export async function startLiveNode(options: TestNodeOptions = {}): Promise<TestNode> {
  // Every push of a test comes from 127.0.0.1.
  const live = { rtmpPort: 0, rtmpHost: '127.0.0.1', reconnectGraceSeconds: 2, stallSeconds: 5, videoHeights: [240], x264Preset: 'ultrafast', rtmpConnectionsPerAddress: 64 };
  return startTestNode({ ...options, overrides: deepMerge({ live }, options.overrides ?? {}) });
}

export const rtmpUrl = (node: TestNode, key: string) => `rtmp://127.0.0.1:${liveService(node.ctx).rtmpPort}/live/${key}`;

export async function liveArtist(node: TestNode) {
  const artist = await makeArtist(node);
  const key = await node.api('POST', `/api/v1/channels/${artist.channel.name}/live/key`, { token: artist.token });
  if (key.status !== 201) throw new Error(`key: ${key.status} ${key.text}`);
  return { ...artist, key: key.body.key as string };
}

export interface PushOptions {
  seconds?: number;
  /** Push a video test pattern too (default: audio only). */
  video?: boolean;
  /** ffmpeg's video encoder (libx264 by default; flv1 is one 9ten refuses). */
  videoCodec?: string;
  size?: string;
  /** Push no audio (default: a sine). */
  noAudio?: boolean;
}

/** A real RTMP publisher: ffmpeg pushing a sine (and a test pattern) in real time. */
export function push(url: string, o: PushOptions = {}): ChildProcess & { stderrText: () => string; exited: Promise<number | null> } {
  const seconds = o.seconds ?? 30;
  const args = ['-hide_banner', '-loglevel', 'error'];
  if (!o.noAudio) args.push('-re', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
  if (o.video) args.push('-re', '-f', 'lavfi', '-i', `testsrc=size=${o.size ?? '426x240'}:rate=25:duration=${seconds}`);
  if (!o.noAudio) args.push('-c:a', 'aac', '-b:a', '96k');
  if (o.video) {
    const codec = o.videoCodec ?? 'libx264';
    args.push('-c:v', codec, ...(codec === 'libx264' ? ['-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '50', '-pix_fmt', 'yuv420p'] : []));
  }
  args.push('-f', 'flv', url);
  const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return Object.assign(child, { stderrText: () => err, exited });
}

/** Waits for the channel's current stream to reach a state; returns its view. */
export async function waitStream(node: TestNode, token: string, channel: string, state: string | ((v: any) => boolean), timeoutMs = 30_000) {
  return waitFor(
    `stream ${typeof state === 'string' ? state : 'condition'}`,
    async () => {
      const res = await node.api('GET', `/api/v1/channels/${channel}/live`, { token });
      const current = res.body.current ?? res.body.recent[0];
      if (!current) return undefined;
      const v = { ...current, health: res.body.health };
      return (typeof state === 'string' ? v.state === state : state(v)) ? v : undefined;
    },
    timeoutMs,
    150,
  );
}

/** Reads a server-sent event stream into a list until closed. */
export function readEvents(url: string): { events: { event: string; data: any }[]; close(): void; done: Promise<void> } {
  const events: { event: string; data: any }[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch((err) => {
    if ((err as Error).name !== 'AbortError') throw err;
  });
  return { events, close: () => controller.abort(), done };
}

/** A player's segment loop: follows the audio playlist and fetches each new segment once, in order, until `stop` says so. */
export async function play(
  playlistUrl: string,
  headers: () => Record<string, string>,
  stop: (res: Response, seq: number) => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  /** The first segment to fetch (default: three behind the live edge, as players join). */
  from?: number,
): Promise<{ served: number[]; last: Response; lastSeq: number; servedAt: number[] }> {
  const base = playlistUrl.replace(/index\.m3u8$/, '');
  const served: number[] = [];
  const servedAt: number[] = [];
  let next: number | undefined = from;
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > until) throw new Error(`play: timed out after ${served.length} segments`);
    const text = await fetch(playlistUrl).then((r) => r.text());
    const seqs = [...text.matchAll(/^(\d+)\.ts$/gm)].map((m) => Number(m[1]));
    // A player joins three segments behind the live edge.
    next ??= seqs.length ? seqs[Math.max(0, seqs.length - 3)] : undefined;
    while (next !== undefined && seqs.includes(next)) {
      const res = await fetch(`${base}${next}.ts`, { headers: headers() });
      if (await stop(res, next)) return { served, last: res, lastSeq: next, servedAt };
      assert.equal(res.status, 200, `segment ${next}: ${res.status} ${await res.clone().text()}`);
      await res.arrayBuffer();
      served.push(next);
      servedAt.push(Date.now());
      next++;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
