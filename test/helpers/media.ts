// Test media made with ffmpeg on the spot: tagged sine-tone audio, test-pattern video
// with audio, and broken files (corrupt, truncated, empty). Small and stable: other
// capabilities' tests import it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath, ffprobePath } from '../../server/media/ffmpeg.js';

export { ffmpegPath, ffprobePath };

const run = promisify(execFile);

export type AudioFormat = 'mp3' | 'flac' | 'wav' | 'ogg' | 'm4a';
export type VideoFormat = 'mp4' | 'webm' | 'mov';

export interface AudioTags {
  title?: string;
  artist?: string;
  album?: string;
  trackNumber?: number;
  genre?: string;
}

export interface AudioOptions {
  format?: AudioFormat;
  seconds?: number;
  /** Sine frequency in Hz. */
  frequency?: number;
  tags?: AudioTags;
  /** File name inside the folder (default `tone-<format>.<ext>`). */
  name?: string;
  /** Embed a small PNG as cover art (mp3 and flac only). */
  cover?: boolean;
}

export interface VideoOptions {
  format?: VideoFormat;
  seconds?: number;
  width?: number;
  height?: number;
  /** Include an audio track (default true). */
  audio?: boolean;
  name?: string;
}

/** A fresh temporary folder for generated media; remove it with `removeMediaDir`. */
export function mediaDir(prefix = 'media'): string {
  return mkdtempSync(path.join(os.tmpdir(), `9ten-${prefix}-`));
}

export function removeMediaDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

async function ffmpeg(args: string[]): Promise<void> {
  await run(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 16 * 1024 * 1024 });
}

function tagArgs(tags: AudioTags = {}): string[] {
  const out: string[] = [];
  if (tags.title !== undefined) out.push('-metadata', `title=${tags.title}`);
  if (tags.artist !== undefined) out.push('-metadata', `artist=${tags.artist}`);
  if (tags.album !== undefined) out.push('-metadata', `album=${tags.album}`);
  if (tags.trackNumber !== undefined) out.push('-metadata', `track=${tags.trackNumber}`);
  if (tags.genre !== undefined) out.push('-metadata', `genre=${tags.genre}`);
  return out;
}

const audioCodec: Record<AudioFormat, string[]> = {
  mp3: ['-c:a', 'libmp3lame', '-b:a', '128k', '-id3v2_version', '3'],
  flac: ['-c:a', 'flac'],
  wav: ['-c:a', 'pcm_s16le'],
  ogg: ['-c:a', 'libopus', '-b:a', '96k', '-ar', '48000'],
  m4a: ['-c:a', 'aac', '-b:a', '128k'],
};

/** A stereo sine tone with tags; returns the file's path. `ogg` is Ogg/Opus. */
export async function makeAudio(dir: string, opts: AudioOptions = {}): Promise<string> {
  const format = opts.format ?? 'mp3';
  const seconds = opts.seconds ?? 4;
  const frequency = opts.frequency ?? 440;
  const file = path.join(dir, opts.name ?? `tone-${format}.${format}`);
  const input = ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=44100:duration=${seconds}`];
  if (opts.cover) {
    if (format !== 'mp3' && format !== 'flac') throw new Error('cover art is supported for mp3 and flac only');
    const cover = await makeImage(dir, `cover-${randomBytes(4).toString('hex')}.png`, '64x64');
    input.push('-i', cover);
    await ffmpeg([...input, '-map', '0:a', '-map', '1:v', '-c:v', 'png', '-disposition:v', 'attached_pic', '-ac', '2', ...audioCodec[format], ...tagArgs(opts.tags), file]);
    rmSync(cover, { force: true });
    return file;
  }
  await ffmpeg([...input, '-ac', '2', ...audioCodec[format], ...tagArgs(opts.tags), file]);
  return file;
}

const videoCodec: Record<VideoFormat, { video: string[]; audio: string[] }> = {
  mp4: { video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'], audio: ['-c:a', 'aac', '-b:a', '96k'] },
  mov: { video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'], audio: ['-c:a', 'aac', '-b:a', '96k'] },
  webm: { video: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k'], audio: ['-c:a', 'libopus', '-b:a', '64k'] },
};

/** A test-pattern video (with a sine tone unless `audio: false`); returns the file's path. */
export async function makeVideo(dir: string, opts: VideoOptions = {}): Promise<string> {
  const format = opts.format ?? 'mp4';
  const seconds = opts.seconds ?? 4;
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const audio = opts.audio ?? true;
  const file = path.join(dir, opts.name ?? `pattern-${format}-${height}.${format}`);
  const codec = videoCodec[format];
  const args = ['-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=25:duration=${seconds}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=48000:duration=${seconds}`);
  args.push(...codec.video, '-g', '50');
  if (audio) args.push(...codec.audio, '-ac', '2');
  args.push('-shortest', file);
  await ffmpeg(args);
  return file;
}

/** Ogg/Speex: a real, decodable file whose codec the node does not accept. */
export async function makeUnsupportedCodec(dir: string, seconds = 2): Promise<string> {
  const file = path.join(dir, 'speech.ogg');
  await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=16000:duration=${seconds}`, '-c:a', 'libspeex', file]);
  return file;
}

/** A PNG image: probes fine but holds neither audio nor playable video. */
export async function makeImage(dir: string, name = 'cover.png', size = '320x320'): Promise<string> {
  const file = path.join(dir, name);
  await ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=${size}:duration=1`, '-frames:v', '1', file]);
  return file;
}

/** Random bytes under a media-looking name. */
export function makeCorrupt(dir: string, name = 'corrupt.mp3', bytes = 64 * 1024): string {
  const file = path.join(dir, name);
  // The same bytes every run (a fixed-seed xorshift): fresh random bytes now and then look like
  // some container to ffprobe by chance, which made "unreadable" a coin toss.
  const out = Buffer.alloc(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  writeFileSync(file, out);
  return file;
}

/** The first `fraction` of a real file (a cut-off upload). */
export function makeTruncated(source: string, dir: string, fraction = 0.3, name?: string): string {
  const data = readFileSync(source);
  const file = path.join(dir, name ?? `truncated-${path.basename(source)}`);
  writeFileSync(file, data.subarray(0, Math.max(1, Math.floor(data.length * fraction))));
  return file;
}

/** A zero-byte file. */
export function makeEmpty(dir: string, name = 'empty.mp3'): string {
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.alloc(0));
  return file;
}

export interface ProbeResult {
  format: { format_name: string; duration?: string; tags?: Record<string, string> };
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; bit_rate?: string }[];
}

/** ffprobe of a path or URL as JSON (streams and format). */
export async function probe(input: string, extraArgs: string[] = []): Promise<ProbeResult> {
  const { stdout } = await run(ffprobePath, ['-v', 'error', ...extraArgs, '-print_format', 'json', '-show_format', '-show_streams', input], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ProbeResult;
}

/** Decodes a path or URL fully (e.g. an HLS master playlist over HTTP); rejects on a decode error. */
export async function decodeFully(input: string, extraArgs: string[] = []): Promise<void> {
  await run(ffmpegPath, ['-hide_banner', '-v', 'error', '-xerror', ...extraArgs, '-i', input, '-f', 'null', '-'], { maxBuffer: 16 * 1024 * 1024 });
}
