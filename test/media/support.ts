// Test steps shared by the media tests: make a channel, upload a file in chunks, wait
// for the transcode.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { request as httpRequest } from 'node:http';
import type { TestNode } from '../helpers/node.js';

export async function makeArtist(node: TestNode, channelName?: string) {
  const artist = await node.user('artist');
  const name = channelName ?? `ch_${artist.user.username.toLowerCase()}`.slice(0, 50);
  const res = await node.api('POST', '/api/v1/channels', { token: artist.token, body: { name, displayName: `Channel ${name}` } });
  if (res.status !== 201) throw new Error(`channel: ${res.status} ${res.text}`);
  return { ...artist, channel: res.body as { id: string; name: string } };
}

export interface UploadOptions {
  filename?: string;
  chunkSize?: number;
  visibility?: 'public' | 'unlisted' | 'private';
  allowDownload?: boolean;
}

/** Uploads the file in chunks; returns the last chunk's response (trackId on success, a problem otherwise). */
export async function upload(node: TestNode, token: string, channelId: string, file: string, opts: UploadOptions = {}) {
  const data = readFileSync(file);
  const created = await node.api('POST', '/api/v1/uploads', {
    token,
    body: { channelId, filename: opts.filename ?? path.basename(file), size: data.length, visibility: opts.visibility, allowDownload: opts.allowDownload },
  });
  if (created.status !== 201) return created;
  const chunk = Math.min(opts.chunkSize ?? created.body.chunkSize, created.body.chunkSize);
  let last = created;
  for (let start = 0; start < data.length; start += chunk) {
    const end = Math.min(data.length, start + chunk) - 1;
    last = await node.api('PUT', `/api/v1/uploads/${created.body.id}`, {
      token,
      body: data.subarray(start, end + 1),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${end}/${data.length}` },
    });
    if (last.status !== 200) return last;
  }
  return last;
}

/** Waits until the track leaves `processing`; returns it. */
export async function waitTrack(node: TestNode, token: string, trackId: string, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await node.api('GET', `/api/v1/tracks/${trackId}`, { token });
    if (res.status !== 200) throw new Error(`track ${trackId}: ${res.status} ${res.text}`);
    if (res.body.status !== 'processing') return res.body;
    if (Date.now() > until) throw new Error(`track ${trackId} still processing`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Every file under the node's media folder except the given track ids' files (orphan check). */
export function mediaFiles(node: TestNode): string[] {
  const root = path.join(node.dataDir, 'media');
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** A raw HTTP GET (no fetch normalisation of the path, no added cache headers). */
export function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const rawPath = url.slice(url.indexOf('/', u.protocol.length + 2));
    const req = httpRequest({ host: u.hostname, port: u.port, path: rawPath, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** An artist with a channel and one ready 6 s mp3 track on `node` (the streaming tests' setup). */
export async function readyShortTrack(node: TestNode, dir: string, who: string): Promise<{ artist: Awaited<ReturnType<typeof makeArtist>>; track: any }> {
  const { makeAudio } = await import('../helpers/media.js');
  const artist = await makeArtist(node, `${who}_artist`);
  const res = await upload(node, artist.token, artist.channel.id, await makeAudio(dir, { format: 'mp3', seconds: 6, name: `${who}.mp3` }));
  if (res.status !== 200) throw new Error(`upload: ${res.status} ${res.text}`);
  const track = await waitTrack(node, artist.token, res.body.trackId);
  if (track.status !== 'ready') throw new Error(`track is ${track.status}`);
  return { artist, track };
}
