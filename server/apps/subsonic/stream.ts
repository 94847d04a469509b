// Subsonic's files: `stream` (transcoded by ffmpeg to the asked format and bitrate from the
// track's original, or its best HLS rendition when the original is gone; `format=raw` sends the
// original, with byte ranges, when the track may be downloaded), `download` (the original, when
// the artist allows it) and `getCoverArt` (resized by ffmpeg). No redirects: apps get the bytes.
//
// A stream opens a play session for the user and the track and logs what it served to
// listening as the track's time: a transcoded stream's bytes at its bitrate (all of the rest of
// the track once ffmpeg's output was sent in full), a raw file's byte range as its share of the
// track. A later `scrobble` claims the track for that session; only those served seconds cover it.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Response } from 'express';
import { ffmpegPath, type TrackView } from '../../media/index.js';
import type { TrackFiles } from '../../media/contract.js';
import { SubsonicCode, SubsonicError, notFoundError } from './envelope.js';
import { parseId } from './ids.js';
import type { Call, Method } from './call.js';

interface OutputFormat {
  codec: string[];
  container: string[];
  contentType: string;
  maxKbps: number;
}

const mp3: OutputFormat = { codec: ['-c:a', 'libmp3lame', '-ar', '44100'], container: ['-f', 'mp3'], contentType: 'audio/mpeg', maxKbps: 320 };
const aac: OutputFormat = { codec: ['-c:a', 'aac'], container: ['-f', 'adts'], contentType: 'audio/aac', maxKbps: 320 };
const m4a: OutputFormat = { codec: ['-c:a', 'aac'], container: ['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof'], contentType: 'audio/mp4', maxKbps: 320 };
const opus: OutputFormat = { codec: ['-c:a', 'libopus', '-vbr', 'off', '-ar', '48000'], container: ['-f', 'ogg'], contentType: 'audio/ogg', maxKbps: 256 };

/** The formats `stream` makes (names as clients send them); anything else is MP3. */
const formats: Record<string, OutputFormat> = { mp3, mpeg: mp3, aac, adts: aac, m4a, mp4: m4a, opus, ogg: opus };
const defaultKbps = 192;
const minKbps = 32;

/** Who may have the original file: its owner and admins, and anyone when the artist offers a free track for download. */
const mayDownload = (call: Call, t: TrackView) => call.user.role === 'admin' || t.channel.ownerId === call.user.id || (t.allowDownload && t.access.mode === 'free');

/** The web player's rule for tracks that are not free: subscribers' tracks to subscribers; metered tracks only to whom the gate lets play (subscribers). */
async function checkAccess(call: Call, t: TrackView): Promise<void> {
  if (t.access.mode === 'free' || call.user.role === 'admin' || t.channel.ownerId === call.user.id) return;
  const gated = await call.ctx.services.media.gatedTrack(t.id);
  if (!gated) return;
  const decision = await call.ctx.services.money.segmentAccess.decide(gated, gated.renditions[0]?.name ?? '', 0, undefined, call.user.id);
  if (decision.ok) return;
  throw new SubsonicError(
    SubsonicCode.notAuthorized,
    t.access.mode === 'metered'
      ? 'This track is paid as you play, which apps cannot do: play it in the web player'
      : 'This track is for subscribers of this node: subscribe to play it',
  );
}

async function filesOf(call: Call, t: TrackView): Promise<TrackFiles> {
  const files = await call.ctx.services.media.trackFiles(t.id);
  if (!files) throw notFoundError('Song');
  return files;
}

/** The best source ffmpeg can read: the original, or the highest HLS rendition. */
function sourceOf(files: TrackFiles): string {
  if (existsSync(files.original.path)) return files.original.path;
  const best = [...files.renditions].sort((a, b) => (b.bitrateKbps ?? 0) - (a.bitrateKbps ?? 0))[0];
  if (best && existsSync(best.playlist)) return best.playlist;
  throw notFoundError('Media file');
}

/** One `bytes=a-b` range of a file of `size` bytes: the part to send, or 416. */
function rangeOf(header: string | undefined, size: number): { status: 200 | 206; start: number; end: number } | { status: 416 } {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || !(m[1] || m[2])) return { status: 200, start: 0, end: size - 1 };
  const start = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
  const end = m[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  return start > end || start >= size ? { status: 416 } : { status: 206, start, end };
}

/** Sends a file (or the asked range of it); resolves with the range once the response is over, with the bytes that left. */
function sendFileRange(call: Call, file: string, contentType: string, headers: Record<string, string>): Promise<{ start: number; sent: number; size: number } | undefined> {
  const { req, res } = call;
  const size = statSync(file).size;
  const range = rangeOf(req.headers.range, size);
  res.set({ 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, no-store', ...headers });
  if (range.status === 416) {
    res.status(416).set('Content-Range', `bytes */${size}`).end();
    return Promise.resolve(undefined);
  }
  res.status(range.status).type(contentType).set('Content-Length', String(range.end - range.start + 1));
  if (range.status === 206) res.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  if (req.method === 'HEAD') {
    res.end();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    let read = 0;
    const input = createReadStream(file, { start: range.start, end: range.end });
    input.on('data', (c) => (read += c.length));
    input.on('error', () => res.destroy());
    res.on('close', () => {
      input.destroy();
      resolve({ start: range.start, sent: Math.max(0, read - (res.writableFinished ? 0 : res.writableLength)), size });
    });
    input.pipe(res);
  });
}

async function sendOriginal(call: Call, t: TrackView, files: TrackFiles, attachment: boolean) {
  if (!existsSync(files.original.path)) throw notFoundError('Original file');
  const name = `${t.title.replace(/[\\/"\u0000-\u001f\u007f]/g, '_').slice(0, 150)}${path.extname(files.original.path)}`;
  const headers: Record<string, string> = attachment ? { 'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` } : {};
  return sendFileRange(call, files.original.path, files.original.mime, headers);
}

const stream: Method = async (call) => {
  const { params: p, user, ctx, req, res } = call;
  const track = await call.library.track(user, p.required('id'));
  await checkAccess(call, track);
  const files = await filesOf(call, track);
  const duration = track.durationSeconds ?? 0;
  const asked = (p.str('format') ?? '').toLowerCase();
  const client = { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
  const served = (file: string, startSeconds: number, durationSeconds: number, bytes: { byteStart?: number; bytes: number; fileBytes?: number }) =>
    ctx.services.listening.recordRangeServed({ sessionId, userId: user.id, trackId: track.id, file, startSeconds, durationSeconds, ...bytes, ...client, at: new Date() });
  if (req.method === 'HEAD') {
    res.status(200).type(asked === 'raw' && mayDownload(call, track) ? files.original.mime : (formats[asked] ?? mp3).contentType).end();
    return 'sent';
  }
  const { sessionId } = await ctx.services.listening.startPlay(user, track.id, client);

  if (asked === 'raw' && mayDownload(call, track) && existsSync(files.original.path)) {
    const range = await sendOriginal(call, track, files, false);
    if (range && range.sent > 0 && duration > 0) served('original', 0, duration, { byteStart: range.start, bytes: range.sent, fileBytes: range.size });
    return 'sent';
  }

  const format = formats[asked] ?? mp3;
  const maxBitRate = p.int('maxBitRate', 0, { min: 0, max: 10_000 });
  // AAC asked for at the progressive file's bitrate or more, from the start: the node's own
  // .m4a, with ranges (seekable), metered by media under this play session like the web's.
  const progressive = track.progressive;
  if (progressive && (format === aac || format === m4a) && (!maxBitRate || maxBitRate >= (progressive.bitrateKbps ?? 0)) && !p.int('timeOffset', 0, { min: 0, max: 7 * 86_400 })) {
    await ctx.services.media.sendProgressive(track.id, req, res, { userId: user.id, session: sessionId, ip: client.ip ?? '', userAgent: client.userAgent });
    return 'sent';
  }
  const kbps = Math.max(minKbps, Math.min(maxBitRate || defaultKbps, format.maxKbps));
  const offset = Math.min(p.int('timeOffset', 0, { min: 0, max: 7 * 86_400 }), Math.max(0, duration - 1));
  const rest = Math.max(0, duration - offset);
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...(offset ? ['-ss', String(offset)] : []), '-i', sourceOf(files), '-map', '0:a:0', '-vn', '-sn', '-dn', '-ac', '2', ...format.codec, '-b:a', `${kbps}k`, ...format.container, 'pipe:1'];
  transcodeTo(res, args, format.contentType, rest, (bytesSent, complete) => {
    // Bytes at the stream's bitrate, or the whole rest once ffmpeg's output all left.
    const seconds = complete ? rest : Math.min(rest, (bytesSent * 8) / (kbps * 1000));
    if (seconds > 0) served(`${asked || 'mp3'}-${kbps}`, offset, seconds, { bytes: bytesSent });
  });
  return 'sent';
};

/**
 * Runs ffmpeg into the response (headers once its first bytes are out, so a failure before
 * then is still a Subsonic error), and reports what left: every few seconds and at the end.
 */
function transcodeTo(res: Response, args: string[], contentType: string, durationSeconds: number, report: (bytesSent: number, complete: boolean) => void): void {
  const ff = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let written = 0;
  let exitCode: number | null = null;
  let stderr = '';
  let last = -1;
  const sentNow = () => Math.max(0, written - (res.writableFinished ? 0 : res.writableLength));
  const tick = (complete: boolean) => {
    const sent = sentNow();
    if (sent === last && !complete) return;
    last = sent;
    report(sent, complete);
  };
  const timer = setInterval(() => tick(false), 5000).unref();
  ff.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  ff.stdout.on('data', (chunk: Buffer) => {
    if (!res.headersSent) {
      res.status(200).type(contentType).set({ 'Cache-Control': 'private, no-store', 'Accept-Ranges': 'none', 'X-Content-Duration': durationSeconds.toFixed(2) });
    }
    written += chunk.length;
    if (!res.write(chunk)) {
      ff.stdout.pause();
      res.once('drain', () => ff.stdout.resume());
    }
  });
  ff.on('close', (code) => {
    exitCode = code;
    if (!res.headersSent) {
      res.status(200).type('application/xml').send(`<?xml version="1.0" encoding="UTF-8"?><subsonic-response xmlns="http://subsonic.org/restapi" status="failed" version="1.16.1" type="9ten" openSubsonic="true"><error code="0" message="The stream could not be made"/></subsonic-response>`);
      res.log?.warn({ code, stderr }, 'subsonic stream: ffmpeg failed');
      return;
    }
    res.end();
  });
  res.on('close', () => {
    clearInterval(timer);
    if (exitCode === null) ff.kill('SIGKILL');
    // Complete only when ffmpeg ended well and every byte of it was handed to the client.
    tick(exitCode === 0 && res.writableFinished);
  });
}

const download: Method = async (call) => {
  const track = await call.library.track(call.user, call.params.required('id'));
  if (!mayDownload(call, track)) throw new SubsonicError(SubsonicCode.notAuthorized, 'The artist does not offer this track for download');
  await sendOriginal(call, track, await filesOf(call, track), true);
  return 'sent';
};

/** The track whose cover stands for an id: a song's own, an album's or artist's first, a playlist's first. */
async function coverTrackOf(call: Call, raw: string): Promise<string | undefined> {
  const id = parseId(raw);
  if (id?.kind === 'album') return (await call.library.album(call.user, id.channelId, id.key)).album.coverTrackId ?? undefined;
  if (id?.kind === 'artist') return (await call.library.artist(call.user, id.channelId)).coverTrackId ?? undefined;
  if (id?.kind !== 'song') return undefined;
  const track = await call.library.track(call.user, id.trackId).catch(() => undefined);
  if (track) return track.coverUrl ? track.id : undefined;
  const playlist = await call.ctx.services.media.getPlaylist(id.trackId, call.user);
  return playlist?.tracks.find((t) => t.coverUrl)?.id;
}

/** Resized covers (a client asks for the same few sizes again and again). */
const resized = new Map<string, Buffer>();
const maxResized = 300;

function resize(file: string, size: number): Promise<Buffer> {
  const key = `${file}\u0000${statSync(file).mtimeMs}\u0000${size}`;
  const hit = resized.get(key);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve, reject) => {
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-frames:v', '1', '-vf', `scale=w=${size}:h=${size}:force_original_aspect_ratio=decrease`, '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1'];
    const ff = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    ff.stdout.on('data', (c: Buffer) => chunks.push(c));
    ff.on('error', reject);
    ff.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg resize exited with ${code}`));
      const out = Buffer.concat(chunks);
      if (resized.size >= maxResized) resized.delete(resized.keys().next().value!);
      resized.set(key, out);
      resolve(out);
    });
  });
}

const coverTypes: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

const getCoverArt: Method = async (call) => {
  const trackId = await coverTrackOf(call, call.params.required('id'));
  const files = trackId ? await call.ctx.services.media.trackFiles(trackId) : undefined;
  if (!files?.cover || !existsSync(files.cover)) throw notFoundError('Cover art');
  const size = call.params.int('size', 0, { min: 0, max: 3000 });
  const body = size ? await resize(files.cover, size) : await readFile(files.cover);
  const type = size ? 'image/jpeg' : (coverTypes[path.extname(files.cover).toLowerCase()] ?? 'application/octet-stream');
  call.res.status(200).type(type).set('Cache-Control', 'private, max-age=86400').send(body);
  return 'sent';
};

export const fileMethods: Record<string, Method> = { stream, download, getCoverArt };
