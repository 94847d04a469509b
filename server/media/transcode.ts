// The transcode itself: the whole HLS ladder in ONE ffmpeg run (one decode, several
// fMP4 HLS outputs), and, beside it on another core, one analysis run for loudness
// (EBU R128) and the waveform. Then per-segment hashes and the master playlist.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FfmpegCommand } from 'fluent-ffmpeg';
import { ffmpeg } from './ffmpeg.js';
import type { ProbedMedia } from './probe.js';

export interface SegmentInfo {
  index: number;
  file: string;
  startSeconds: number;
  durationSeconds: number;
  bytes: number;
  sha256: string;
}

export interface Rendition {
  name: string;
  bitrateKbps?: number;
  height?: number;
  width?: number;
  /** Peak bits per second for the master playlist. */
  bandwidth: number;
  codecs: string;
  init: { file: string; sha256: string; bytes: number };
  segments: SegmentInfo[];
  infoHash?: string;
  magnetUri?: string;
}

export interface Loudness {
  integratedLufs: number | null;
  truePeakDbtp: number | null;
  lra: number | null;
}

export interface TranscodeOutput {
  durationSeconds: number;
  loudness: Loudness;
  peaks: number[];
  renditions: Rendition[];
}

export interface LadderSettings {
  audioBitratesKbps: number[];
  videoHeights: number[];
  segmentSeconds: number;
  waveformPeaks: number;
}

/** Plans the outputs: audio bitrates, or video heights never above the source. */
export function planLadder(probe: ProbedMedia, s: LadderSettings): { name: string; bitrateKbps?: number; height?: number }[] {
  if (probe.kind === 'audio') {
    return [...new Set(s.audioBitratesKbps)].sort((a, b) => a - b).map((b) => ({ name: `${b}k`, bitrateKbps: b }));
  }
  const src = probe.height ?? 0;
  let heights = [...new Set(s.videoHeights)].filter((h) => h <= src).sort((a, b) => a - b);
  if (!heights.length) heights = [Math.max(2, src - (src % 2))];
  return heights.map((h) => ({ name: `${h}p`, height: h }));
}

const videoKbps = (h: number) => (h <= 240 ? 400 : h <= 360 ? 800 : h <= 480 ? 1200 : h <= 720 ? 2500 : h <= 1080 ? 4500 : 9000);
const videoAudioKbps = 128;

function hlsOptions(dir: string, segmentSeconds: number): string[] {
  return [
    '-f', 'hls',
    '-hls_time', String(segmentSeconds),
    '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'fmp4',
    '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_flags', 'independent_segments',
    '-hls_segment_filename', path.join(dir, 'seg-%05d.m4s'),
  ];
}

/**
 * ffmpeg's native AAC encoder: the default "twoloop" coder below 128 kbps, where its quality
 * matters most, and the "fast" coder at 128 kbps and above, where the bitrate leaves ample
 * headroom and it encodes ~40 % faster (see docs/decisions/0100).
 */
export function aacOptions(kbps: number): string[] {
  return ['-c:a', 'aac', ...(kbps >= 128 ? ['-aac_coder', 'fast'] : []), '-b:a', `${kbps}k`];
}

/** ffmpeg arguments for the ladder, as one command (used by the job and by the bench). */
export function ladderArgs(input: string, outDir: string, probe: ProbedMedia, s: LadderSettings): { outputs: { dir: string; options: string[] }[]; complexFilter?: string } {
  const plan = planLadder(probe, s);
  const outputs: { dir: string; options: string[] }[] = [];
  const sampleRate = probe.sampleRate && probe.sampleRate > 48000 ? ['-ar', '48000'] : [];
  if (probe.kind === 'audio') {
    for (const r of plan) {
      const dir = path.join(outDir, r.name);
      outputs.push({ dir, options: ['-map', '0:a:0', '-vn', '-sn', '-dn', ...aacOptions(r.bitrateKbps!), '-ac', '2', ...sampleRate, ...hlsOptions(dir, s.segmentSeconds)] });
    }
    return { outputs };
  }
  const hasAudio = probe.audioCodec !== null;
  const splits = plan.map((_, i) => `[v${i}]`).join('');
  const scales = plan.map((r, i) => `[v${i}]scale=-2:${r.height}:flags=bicubic,format=yuv420p[o${i}]`).join(';');
  const complexFilter = `[0:v:0]split=${plan.length}${splits};${scales}`;
  plan.forEach((r, i) => {
    const dir = path.join(outDir, r.name);
    const kbps = videoKbps(r.height!);
    outputs.push({
      dir,
      options: [
        '-map', `[o${i}]`,
        ...(hasAudio ? ['-map', '0:a:0', ...aacOptions(videoAudioKbps), '-ac', '2', ...sampleRate] : []),
        '-sn', '-dn',
        '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-level:v', '4.0',
        '-b:v', `${kbps}k`, '-maxrate', `${Math.round(kbps * 1.5)}k`, '-bufsize', `${kbps * 2}k`,
        '-force_key_frames', `expr:gte(t,n_forced*${s.segmentSeconds})`, '-sc_threshold', '0',
        ...hlsOptions(dir, s.segmentSeconds),
      ],
    });
  });
  return { outputs, complexFilter };
}

interface Running {
  kill(): void;
}

function runCommand(cmd: FfmpegCommand, onStderr?: (line: string) => void, onProgressSeconds?: (s: number) => void): { done: Promise<void>; handle: Running } {
  let settled = false;
  const done = new Promise<void>((resolve, reject) => {
    const lastLines: string[] = [];
    cmd.on('stderr', (line: string) => {
      onStderr?.(line);
      lastLines.push(line);
      if (lastLines.length > 8) lastLines.shift();
    });
    if (onProgressSeconds) {
      cmd.on('progress', (p: { timemark?: string }) => {
        const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(p.timemark ?? '');
        if (m) onProgressSeconds(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
      });
    }
    cmd.on('end', () => {
      settled = true;
      resolve();
    });
    cmd.on('error', (err: Error) => {
      settled = true;
      const first = err.message.split('\n')[0];
      const detail = [...new Set(lastLines.map((l) => l.trim()))]
        .filter((l) => l && !/^(size=|frame=|lib\w+\s+\d)/.test(l) && !first.includes(l))
        .slice(-2)
        .join(' | ');
      reject(new Error(`ffmpeg failed: ${first}${detail ? ` (${detail})` : ''}`));
    });
    cmd.run();
  });
  return {
    done,
    handle: {
      kill: () => {
        if (!settled) cmd.kill('SIGKILL');
      },
    },
  };
}

/** Parses the ebur128 filter's end-of-run summary. */
export function parseEbur128Summary(lines: string[]): Loudness {
  const text = lines.join('\n');
  const at = text.lastIndexOf('Summary:');
  const summary = at >= 0 ? text.slice(at) : '';
  const num = (re: RegExp) => {
    const m = re.exec(summary);
    if (!m) return null;
    const v = Number(m[1]);
    return Number.isFinite(v) ? v : null;
  };
  return {
    integratedLufs: num(/I:\s+(-?[\d.]+|-inf)\s+LUFS/),
    lra: num(/LRA:\s+(-?[\d.]+)\s+LU\b/),
    truePeakDbtp: num(/Peak:\s+(-?[\d.]+|-inf)\s+dBFS/),
  };
}

/** Sample rate of the waveform source: 8 kHz, lower for long files so the raw data stays under ~20 MB. */
export const waveformRate = (durationSeconds: number) => Math.max(1000, Math.min(8000, Math.floor((8000 * 600) / Math.max(1, durationSeconds))));

/** Peaks (0..1) from raw interleaved stereo s16le frames, in `count` buckets (the louder channel counts). */
export async function peaksFromRaw(file: string, count: number): Promise<number[]> {
  const data = await readFile(file);
  const samples = new Int16Array(data.buffer, data.byteOffset, Math.floor(data.length / 2));
  const frames = Math.floor(samples.length / 2);
  if (frames === 0) return [];
  const n = Math.min(count, frames);
  const peaks = new Array<number>(n);
  for (let b = 0; b < n; b++) {
    const from = Math.floor((b * frames) / n) * 2;
    const to = Math.floor(((b + 1) * frames) / n) * 2;
    let max = 0;
    for (let i = from; i < to; i++) {
      const v = samples[i] < 0 ? -samples[i] : samples[i];
      if (v > max) max = v;
    }
    peaks[b] = Math.round((max / 32768) * 1000) / 1000;
  }
  return peaks;
}

/** Segments of an HLS media playlist, with cumulative start times. */
export function parseMediaPlaylist(text: string): { file: string; startSeconds: number; durationSeconds: number }[] {
  const out: { file: string; startSeconds: number; durationSeconds: number }[] = [];
  let pending: number | null = null;
  let t = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^#EXTINF:([\d.]+)/.exec(line);
    if (m) pending = Number(m[1]);
    else if (line && !line.startsWith('#') && pending !== null) {
      out.push({ file: line, startSeconds: Math.round(t * 1e6) / 1e6, durationSeconds: pending });
      t += pending;
      pending = null;
    }
  }
  return out;
}

async function sha256File(file: string, small = false): Promise<{ sha256: string; bytes: number }> {
  if (small) {
    // Segments are small: one read is cheaper than a stream.
    const data = await readFile(file);
    return { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
  }
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

export interface TranscodeRun {
  done: Promise<TranscodeOutput>;
  kill(): void;
}

/**
 * Transcodes `input` into `workDir` (which must be empty): rendition folders with
 * playlist.m3u8, init.mp4, seg-NNNNN.m4s and segment-hashes.json, plus master.m3u8 and
 * waveform.json. `onProgress` gets 0..1 of the encode.
 */
export function transcode(input: string, workDir: string, probe: ProbedMedia, s: LadderSettings, onProgress: (fraction: number) => void): TranscodeRun {
  const handles: Running[] = [];
  let killed = false;
  const done = (async (): Promise<TranscodeOutput> => {
    const { outputs, complexFilter } = ladderArgs(input, workDir, probe, s);
    for (const o of outputs) await mkdir(o.dir, { recursive: true });
    const ladder = ffmpeg(input).inputOptions(['-nostdin', '-hide_banner']);
    if (complexFilter) ladder.complexFilter(complexFilter);
    for (const o of outputs) ladder.output(path.join(o.dir, 'playlist.m3u8')).outputOptions(o.options);
    const ladderRun = runCommand(ladder, undefined, (secs) => onProgress(Math.min(1, secs / Math.max(0.001, probe.durationSeconds))));
    handles.push(ladderRun.handle);

    // Loudness and waveform from one more decode, in parallel (a second core), so the
    // ladder itself runs at bare-ffmpeg speed.
    const waveRaw = path.join(workDir, 'waveform.raw');
    const stderr: string[] = [];
    let analysis: Promise<void> = Promise.resolve();
    if (probe.audioCodec) {
      const a = ffmpeg(input)
        .inputOptions(['-nostdin', '-hide_banner'])
        .complexFilter(`[0:a:0]asplit=2[l][w];[l]ebur128=peak=true[lo];[w]aresample=${waveformRate(probe.durationSeconds)},aformat=sample_fmts=s16:channel_layouts=stereo[wo]`)
        .output('-')
        .outputOptions(['-map', '[lo]', '-f', 'null'])
        .output(waveRaw)
        .outputOptions(['-map', '[wo]', '-f', 's16le']);
      const run = runCommand(a, (l) => {
        if (stderr.length < 5000) stderr.push(l);
      });
      handles.push(run.handle);
      analysis = run.done;
    }
    if (killed) for (const h of handles) h.kill();
    // One failing stops the other; then wait for both, so a failure of one never leaves the other writing into a removed folder.
    const stopAll = () => handles.forEach((h) => h.kill());
    let firstError: unknown;
    const stopOnFailure = (p: Promise<void>) =>
      p.catch((e: unknown) => {
        firstError ??= e; // the cause, not the other run's "killed"
        stopAll();
      });
    await Promise.all([stopOnFailure(ladderRun.done), stopOnFailure(analysis)]);
    if (firstError) throw firstError;

    const loudness: Loudness = probe.audioCodec ? parseEbur128Summary(stderr) : { integratedLufs: null, truePeakDbtp: null, lra: null };
    const peaks = probe.audioCodec ? await peaksFromRaw(waveRaw, s.waveformPeaks) : [];
    await rm(waveRaw, { force: true });

    const plan = planLadder(probe, s);
    const renditions = await Promise.all(plan.map(async (r, i): Promise<Rendition> => {
      const dir = outputs[i].dir;
      const playlist = await readFile(path.join(dir, 'playlist.m3u8'), 'utf8');
      const listed = parseMediaPlaylist(playlist);
      if (!listed.length) throw new Error(`rendition ${r.name} has no segments`);
      const init = await sha256File(path.join(dir, 'init.mp4'));
      const segments: SegmentInfo[] = [];
      for (const [index, seg] of listed.entries()) {
        const h = await sha256File(path.join(dir, seg.file), true);
        segments.push({ index, file: seg.file, startSeconds: seg.startSeconds, durationSeconds: seg.durationSeconds, bytes: h.bytes, sha256: h.sha256 });
      }
      const maxBps = Math.max(...segments.map((x) => (x.bytes * 8) / Math.max(0.1, x.durationSeconds)));
      const width = r.height && probe.width && probe.height ? 2 * Math.round((probe.width * r.height) / probe.height / 2) : undefined;
      const rendition: Rendition = {
        name: r.name,
        bitrateKbps: r.bitrateKbps ?? (r.height ? videoKbps(r.height) + (probe.audioCodec ? videoAudioKbps : 0) : undefined),
        height: r.height,
        width,
        bandwidth: Math.ceil(maxBps),
        codecs: probe.kind === 'audio' ? 'mp4a.40.2' : probe.audioCodec ? 'avc1.640028,mp4a.40.2' : 'avc1.640028',
        init: { file: 'init.mp4', ...init },
        segments,
      };
      await writeFile(
        path.join(dir, 'segment-hashes.json'),
        JSON.stringify({
          algorithm: 'sha256',
          rendition: r.name,
          files: Object.fromEntries([['init.mp4', init.sha256], ...segments.map((x) => [x.file, x.sha256])]),
          segments: segments.map((x) => ({ index: x.index, file: x.file, sha256: x.sha256, bytes: x.bytes, startSeconds: x.startSeconds, durationSeconds: x.durationSeconds })),
        }),
      );
      return rendition;
    }));
    await writeFile(path.join(workDir, 'master.m3u8'), masterPlaylist(renditions));
    const first = renditions[0].segments;
    const durationSeconds = Math.round((first[first.length - 1].startSeconds + first[first.length - 1].durationSeconds) * 1000) / 1000;
    await writeFile(path.join(workDir, 'waveform.json'), JSON.stringify({ peaks, durationSeconds }));
    return { durationSeconds, loudness, peaks, renditions };
  })();
  return {
    done,
    kill: () => {
      killed = true;
      for (const h of handles) h.kill();
    },
  };
}

export function masterPlaylist(renditions: Rendition[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of renditions) {
    const attrs = [`BANDWIDTH=${r.bandwidth}`, `CODECS="${r.codecs}"`];
    if (r.width && r.height) attrs.push(`RESOLUTION=${r.width}x${r.height}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, `${r.name}/playlist.m3u8`);
  }
  return lines.join('\n') + '\n';
}
