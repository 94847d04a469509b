// The live ladder: one ffmpeg per connected publisher reads the pushed FLV on stdin and writes
// MPEG-TS segments per rendition — an audio-only AAC rendition always (a listener with no
// video plays it), and H.264 renditions at the configured heights, none above the source.
// ffmpeg's own playlists are only read to learn which segments are complete; the node lists
// segments itself (after hashing them), so a reconnect can continue the same stream.
import path from 'node:path';
import type { LiveConfig } from './config.js';
import type { StreamMetadata } from './rtmp-adapter.js';

export interface LiveRendition {
  name: string;
  kind: 'audio' | 'video';
  height?: number;
  /** Video and audio, for the master playlist's BANDWIDTH. */
  bitrateKbps: number;
  codecs: string;
}

const videoKbps = (h: number) => (h <= 240 ? 400 : h <= 360 ? 800 : h <= 480 ? 1200 : h <= 720 ? 2500 : h <= 1080 ? 4500 : 9000);

export function planLiveLadder(source: StreamMetadata & { hasVideo: boolean }, c: Pick<LiveConfig, 'videoHeights' | 'audioBitrateKbps'>): LiveRendition[] {
  const audio: LiveRendition = { name: 'audio', kind: 'audio', bitrateKbps: c.audioBitrateKbps, codecs: 'mp4a.40.2' };
  if (!source.hasVideo) return [audio];
  const configured = [...new Set(c.videoHeights)].sort((a, b) => a - b);
  let heights = source.height ? configured.filter((h) => h <= source.height!) : configured.slice(0, 1);
  if (!heights.length) heights = [Math.max(2, Math.floor(source.height!) - (Math.floor(source.height!) % 2))];
  return [
    ...heights.map((h): LiveRendition => ({ name: `${h}p`, kind: 'video', height: h, bitrateKbps: videoKbps(h) + c.audioBitrateKbps, codecs: 'avc1.4d401f,mp4a.40.2' })),
    audio,
  ];
}

/** Where ffmpeg writes one rendition of one part (a connection) of a stream. */
export const partPlaylist = (dir: string, rendition: string, part: number) => path.join(dir, rendition, `p${part}.m3u8`);

export function liveFfmpegArgs(dir: string, part: number, plan: LiveRendition[], c: Pick<LiveConfig, 'segmentSeconds' | 'audioBitrateKbps' | 'x264Preset'>): string[] {
  const video = plan.filter((r) => r.kind === 'video');
  const aac = ['-c:a', 'aac', '-b:a', `${c.audioBitrateKbps}k`, '-ac', '2', '-ar', '48000'];
  const hls = (r: LiveRendition) => [
    '-f', 'hls',
    '-hls_time', String(c.segmentSeconds),
    '-hls_list_size', '30',
    '-hls_segment_type', 'mpegts',
    '-hls_flags', 'temp_file+independent_segments',
    '-hls_segment_filename', path.join(dir, r.name, `p${part}-%06d.ts`),
    partPlaylist(dir, r.name, part),
  ];
  const args = ['-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-fflags', '+nobuffer', '-analyzeduration', '300000', '-probesize', '65536', '-f', 'flv', '-i', 'pipe:0'];
  if (video.length) {
    const splits = video.map((_, i) => `[v${i}]`).join('');
    const scales = video.map((r, i) => `[v${i}]scale=-2:${r.height}:flags=bicubic,format=yuv420p[o${i}]`).join(';');
    args.push('-filter_complex', `[0:v:0]split=${video.length}${splits};${scales}`);
  }
  for (const r of plan) {
    if (r.kind === 'audio') {
      args.push('-map', '0:a:0', '-vn', '-sn', '-dn', ...aac, ...hls(r));
      continue;
    }
    const i = video.indexOf(r);
    const kbps = videoKbps(r.height!);
    args.push(
      '-map', `[o${i}]`, '-map', '0:a:0', '-sn', '-dn',
      '-c:v', 'libx264', '-preset', c.x264Preset, '-tune', 'zerolatency', '-profile:v', 'main',
      '-b:v', `${kbps}k`, '-maxrate', `${Math.round(kbps * 1.2)}k`, '-bufsize', `${kbps * 2}k`,
      '-force_key_frames', `expr:gte(t,n_forced*${c.segmentSeconds})`, '-sc_threshold', '0',
      ...aac, ...hls(r),
    );
  }
  return args;
}
