// The transcode itself: the HLS ladder split over parallel ffmpeg processes (one per core,
// balanced by cost, each decoding the source), the loudness (EBU R128) and waveform
// analysis folded into the lightest one. Then per-segment hashes and the master playlist.
import { parseMediaPlaylist } from '../../shared/hls.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { ffmpegPath } from './ffmpeg.js';
import type { ProbedMedia } from './probe.js';
import { makeProgressive, progressiveRenditionOf, type ProgressiveAudio } from './progressive.js';

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
  /** The progressive file (progressive.ts); null for video; `error` when the remux failed (the HLS stands, the backfill tries again). */
  progressive: ProgressiveAudio | { error: string } | null;
}

export interface LadderSettings {
  audioBitratesKbps: number[];
  videoHeights: number[];
  segmentSeconds: number;
  waveformPeaks: number;
  /** Never encode more than this of an input (a source whose header understates its length). */
  maxDurationSeconds?: number;
  /** The audio rendition nearest this bitrate is remuxed into the progressive file (default 128). */
  progressiveBitrateKbps?: number;
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
  /** SIGKILL. */
  kill(): void;
}

/** One ffmpeg process of a transcode: its full argument list and what it writes. */
export interface LadderProcess {
  /** Indexes into `planLadder()` of the renditions this process encodes. */
  renditions: number[];
  /** Whether this process also measures loudness and writes the waveform samples. */
  analysis: boolean;
  args: string[];
}

/** Rough CPU cost of one output, in "one fast-coder AAC encode" units (measured, see docs/decisions/0100). */
const aacCost = (kbps: number) => (kbps >= 128 ? 1 : 1.6);
const analysisCost = 0.5;

/** Filter and outputs of the loudness + waveform analysis (ebur128 summary on stderr, raw s16le samples to `waveRaw`). */
function analysisArgs(probe: ProbedMedia, waveRaw: string): { filter: string; outputs: string[] } {
  return {
    filter: `[0:a:0]asplit=2[l][w];[l]ebur128=peak=true:framelog=verbose[lo];[w]aresample=${waveformRate(probe.durationSeconds)},aformat=sample_fmts=s16:channel_layouts=stereo[wo]`,
    outputs: ['-map', '[lo]', '-f', 'null', '-', '-map', '[wo]', '-f', 's16le', waveRaw],
  };
}

/**
 * The transcode as parallel ffmpeg processes (the job and the bench run exactly these).
 * ffmpeg 5.1 runs all encoders of one invocation on one thread, so an audio ladder is split
 * into at most `parallelism` processes of balanced cost, each decoding the source (cheap
 * for audio), with the loudness/waveform analysis folded into the lightest one. Video
 * stays one process (x264 is threaded; a second video decode is not cheap) with the
 * analysis beside it. `bare` gives the commands an operator would type (no progress pipe,
 * errors only): the bench's parallel baseline.
 */
export function ladderProcesses(input: string, outDir: string, probe: ProbedMedia, s: LadderSettings, parallelism = availableParallelism(), bare = false): LadderProcess[] {
  const { outputs, complexFilter } = ladderArgs(input, outDir, probe, s);
  const waveRaw = path.join(outDir, 'waveform.raw');
  const withAnalysis = probe.audioCodec !== null;
  const cap = s.maxDurationSeconds ? ['-t', String(s.maxDurationSeconds)] : [];
  const head = ['-hide_banner', '-nostdin', '-y', ...(bare ? ['-loglevel', 'error'] : ['-loglevel', 'level+info', '-nostats', '-progress', 'pipe:1']), ...cap, '-i', input];
  const outArgs = (i: number) => [...outputs[i].options, path.join(outputs[i].dir, 'playlist.m3u8')];
  const an = analysisArgs(probe, waveRaw);
  if (probe.kind === 'video') {
    const procs: LadderProcess[] = [{ renditions: outputs.map((_, i) => i), analysis: false, args: [...head, '-filter_complex', complexFilter!, ...outputs.flatMap((_, i) => outArgs(i))] }];
    if (withAnalysis) procs.push({ renditions: [], analysis: true, args: [...head, '-filter_complex', an.filter, ...an.outputs] });
    return procs;
  }
  const plan = planLadder(probe, s);
  const groups = Array.from({ length: Math.max(1, Math.min(parallelism, plan.length)) }, () => ({ cost: 0, renditions: [] as number[], analysis: false }));
  const lightest = () => groups.reduce((a, b) => (b.cost < a.cost ? b : a));
  // Longest processing time first: the costliest output goes to the least loaded process.
  const order = plan.map((r, i) => ({ i, cost: aacCost(r.bitrateKbps!) })).sort((a, b) => b.cost - a.cost || a.i - b.i);
  for (const o of order) {
    const g = lightest();
    g.renditions.push(o.i);
    g.cost += o.cost;
  }
  if (withAnalysis) {
    const g = lightest();
    g.analysis = true;
    g.cost += analysisCost;
  }
  return groups
    .filter((g) => g.renditions.length || g.analysis)
    .map((g) => {
      g.renditions.sort((a, b) => a - b);
      return {
        renditions: g.renditions,
        analysis: g.analysis,
        args: [...head, ...(g.analysis ? ['-filter_complex', an.filter] : []), ...g.renditions.flatMap(outArgs), ...(g.analysis ? an.outputs : [])],
      };
    });
}

const plainReasons: [RegExp, string][] = [
  [/Invalid data found when processing input/i, 'The file is corrupt or not in a format ffmpeg can read.'],
  [/Cannot determine format of input stream|after EOF|could not find codec parameters/i, 'No decodable audio or video was found; the file may be corrupt or truncated.'],
  [/No such file or directory/i, 'The stored original file is missing.'],
  [/No space left on device/i, 'The server ran out of disk space.'],
];

/** A readable reason from ffmpeg's error lines: one sentence, no paths, no addresses, no banner. */
export function ffmpegReason(lines: string[], exitCode: number | null, signal: string | null): string {
  const clean = (l: string) =>
    l
      .replace(/\[[^\]]*@ 0x[0-9a-f]+\]\s*/g, '')
      .replace(/\[(error|fatal|panic|warning|info)\]\s*/g, '')
      .replace(/(^|\s)(\/[^\s:'"]+)+:?/g, '$1')
      .replace(/^\s*:\s*/, '')
      .trim();
  const useful = (l: string) => !!l && !/^(size=|frame=|lib\w+\s+\d|ffmpeg version|built with|configuration:|Input #|Output #|Stream #|Duration:|Metadata:|Conversion failed|\w+=)/.test(l);
  let picked = lines.filter((l) => /\[(error|fatal|panic)\]/.test(l)).map(clean).filter(useful);
  if (!picked.length) picked = lines.filter((l) => !/\[(info|warning|verbose|debug)\]/.test(l)).map(clean).filter(useful);
  // ffmpeg ends with generic lines ("Error marking filters as finished"); the cause comes before.
  const generic = /^(Error marking filters|Error while (filtering|decoding|processing|opening)|Task finished|Terminating|Finishing stream|Nothing was written)/i;
  const specific = picked.filter((l) => !generic.test(l));
  const last = [...new Set(specific.length ? specific : picked)].pop();
  if (last) {
    for (const [re, text] of plainReasons) if (re.test(last)) return text;
    return `${last.charAt(0).toUpperCase()}${last.slice(1).replace(/[.\s]+$/, '')}.`;
  }
  return signal ? `ffmpeg was stopped (${signal}).` : `ffmpeg exited with code ${exitCode}.`;
}

/** Thrown when an ffmpeg process fails; `reason` is fit for artists. */
export class FfmpegError extends Error {
  constructor(public readonly reason: string) {
    super(`ffmpeg failed: ${reason}`);
    this.name = 'FfmpegError';
  }
}

/** Runs one ffmpeg process; `onSeconds` gets the encoded position from `-progress pipe:1`. */
export function runFfmpeg(args: string[], onStderr?: (line: string) => void, onSeconds?: (s: number) => void): { done: Promise<void>; handle: Running } {
  const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  const lastLines: string[] = [];
  const lines = (stream: NodeJS.ReadableStream, each: (line: string) => void) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        each(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => buf && each(buf));
  };
  lines(child.stderr!, (l) => {
    onStderr?.(l);
    lastLines.push(l);
    if (lastLines.length > 30) lastLines.shift();
  });
  lines(child.stdout!, (l) => {
    if (!onSeconds || !l.startsWith('out_time_us=')) return;
    const us = Number(l.slice(12));
    if (Number.isFinite(us) && us >= 0) onSeconds(us / 1e6);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => {
      exited = true;
      reject(new FfmpegError(`ffmpeg could not be started (${(err as NodeJS.ErrnoException).code ?? err.message})`));
    });
    child.on('close', (code, signal) => {
      exited = true;
      if (code === 0) resolve();
      else reject(new FfmpegError(ffmpegReason(lastLines, code, signal)));
    });
  });
  return {
    done,
    handle: {
      kill: () => {
        if (!exited) child.kill('SIGKILL');
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
  /** Stops every ffmpeg process of the transcode (SIGKILL). */
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
    const { outputs } = ladderArgs(input, workDir, probe, s);
    for (const o of outputs) await mkdir(o.dir, { recursive: true });
    const waveRaw = path.join(workDir, 'waveform.raw');
    const procs = ladderProcesses(input, workDir, probe, s);
    // Progress: the slowest encoding process (the analysis-only one does not count).
    const positions = procs.map(() => 0);
    const report = () => {
      const at = Math.min(...procs.map((p, i) => (p.renditions.length ? positions[i] : Infinity)));
      if (Number.isFinite(at)) onProgress(Math.min(1, at / Math.max(0.001, probe.durationSeconds)));
    };
    const summary: string[] = [];
    const runs = procs.map((p, i) => {
      let inSummary = false;
      const run = runFfmpeg(
        p.args,
        p.analysis
          ? (l) => {
              // The ebur128 summary of the final graph comes last (a graph configured early prints an empty one).
              if (l.includes('Summary:')) {
                inSummary = true;
                summary.length = 0;
              }
              if (inSummary && summary.length < 200) summary.push(l);
            }
          : undefined,
        p.renditions.length
          ? (secs) => {
              positions[i] = secs;
              report();
            }
          : undefined,
      );
      handles.push(run.handle);
      return run.done;
    });
    if (killed) for (const h of handles) h.kill();
    // One failing stops the others; then wait for all, so a failure of one never leaves another writing into a removed folder.
    const stopAll = () => handles.forEach((h) => h.kill());
    let firstError: unknown;
    await Promise.all(
      runs.map((p) =>
        p.catch((e: unknown) => {
          firstError ??= killed ? new Error('transcode stopped') : e; // the cause, not the others' "killed"
          stopAll();
        }),
      ),
    );
    if (firstError) throw firstError;
    const stderr = summary;

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
    // The progressive file of an audio track: the chosen rendition's AAC frames remuxed (no second encode).
    const source = probe.kind === 'audio' ? progressiveRenditionOf(renditions, s.progressiveBitrateKbps ?? 128) : undefined;
    const remux = (args: string[]) => {
      const run = runFfmpeg(args);
      handles.push(run.handle);
      if (killed) run.handle.kill();
      return run.done;
    };
    const progressive = source
      ? await makeProgressive(workDir, source, remux).catch((err: unknown) => {
          if (killed) throw new Error('transcode stopped');
          return { error: err instanceof FfmpegError ? err.reason : err instanceof Error ? err.message : String(err) };
        })
      : null;
    await writeFile(path.join(workDir, 'master.m3u8'), masterPlaylist(renditions));
    const first = renditions[0].segments;
    const durationSeconds = Math.round((first[first.length - 1].startSeconds + first[first.length - 1].durationSeconds) * 1000) / 1000;
    await writeFile(path.join(workDir, 'waveform.json'), JSON.stringify({ peaks, durationSeconds }));
    return { durationSeconds, loudness, peaks, renditions, progressive };
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
