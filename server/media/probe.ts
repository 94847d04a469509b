// Probes an uploaded file and decides, from its content (never its name), whether it is
// audio or video the node accepts.
import { execFile } from 'node:child_process';
import { ffprobePath } from './ffmpeg.js';
import type { FfprobeData, FfprobeStream } from 'fluent-ffmpeg';

export interface ProbedMedia {
  kind: 'audio' | 'video';
  /** Short container name for the stored original's extension (mp3, flac, wav, ogg, m4a, mp4, webm, mov). */
  container: string;
  mime: string;
  durationSeconds: number;
  audioCodec: string | null;
  sampleRate: number | null;
  videoCodec: string | null;
  width: number | null;
  height: number | null;
}

/** Why a file was refused: a stable code and a message an artist understands. */
export class MediaRejected extends Error {
  constructor(
    public readonly code: 'unreadable_media' | 'unsupported_codec' | 'unsupported_format' | 'no_media_stream' | 'empty_media' | 'media_too_long' | 'resolution_too_high',
    message: string,
    /** Figures for the problem response (the limit and what the file has). */
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'MediaRejected';
  }
}

const audioCodecs = new Set(['mp3', 'flac', 'opus', 'vorbis', 'aac', 'alac', 'pcm_s16le', 'pcm_s24le', 'pcm_s32le', 'pcm_f32le', 'pcm_u8', 'pcm_s16be', 'pcm_s24be']);
const videoCodecs = new Set(['h264', 'hevc', 'vp8', 'vp9', 'av1', 'mpeg4']);

/** ffprobe's JSON for a file; errors carry ffprobe's own error line (no banner, no path). */
export function ffprobe(file: string): Promise<FfprobeData> {
  return new Promise((resolve, reject) => {
    execFile(
      ffprobePath,
      ['-hide_banner', '-loglevel', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
      { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) {
          const line = String(stderr).split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? err.message.split('\n')[0];
          return reject(new Error(line.split(file).join('the file').replace(/\[[^\]]*@ 0x[0-9a-f]+\]\s*/g, '')));
        }
        try {
          const data = JSON.parse(String(stdout)) as Partial<FfprobeData>;
          resolve({ streams: data.streams ?? [], format: data.format ?? {}, chapters: [] } as FfprobeData);
        } catch {
          reject(new Error('ffprobe gave no readable answer'));
        }
      },
    );
  });
}

const isCoverArt = (s: FfprobeStream) => s.codec_type === 'video' && (s.disposition?.attached_pic === 1 || ['mjpeg', 'png', 'bmp', 'gif', 'webp'].includes(s.codec_name ?? ''));

function containerOf(formatName: string, kind: 'audio' | 'video', majorBrand: string | undefined, videoCodec: string | null): { container: string; mime: string } | undefined {
  const names = formatName.split(',');
  if (names.includes('mp3')) return { container: 'mp3', mime: 'audio/mpeg' };
  if (names.includes('flac')) return { container: 'flac', mime: 'audio/flac' };
  if (names.includes('wav')) return { container: 'wav', mime: 'audio/wav' };
  if (names.includes('ogg')) return { container: 'ogg', mime: kind === 'audio' ? 'audio/ogg' : 'video/ogg' };
  if (names.includes('webm') || names.includes('matroska')) {
    // ffprobe reports "matroska,webm" for both; webm only carries VP8/VP9/AV1 (+ Opus/Vorbis).
    if (kind === 'video' && videoCodec && !['vp8', 'vp9', 'av1'].includes(videoCodec)) return undefined;
    return { container: 'webm', mime: kind === 'audio' ? 'audio/webm' : 'video/webm' };
  }
  if (names.includes('mov') || names.includes('mp4')) {
    if (kind === 'audio') return { container: 'm4a', mime: 'audio/mp4' };
    if (majorBrand?.trim() === 'qt') return { container: 'mov', mime: 'video/quicktime' };
    return { container: 'mp4', mime: 'video/mp4' };
  }
  return undefined;
}

/** Probes and classifies; throws MediaRejected with a clear reason when the file is not acceptable. */
export async function probeMedia(file: string): Promise<ProbedMedia> {
  let data: FfprobeData;
  try {
    data = await ffprobe(file);
  } catch (err) {
    const last = String((err as Error).message).trim().replace(/^the file:\s*/, '').replace(/[.\s]+$/, '');
    throw new MediaRejected('unreadable_media', `The file could not be read as audio or video (corrupt, truncated or not a media file)${last ? `: ${last}` : ''}`);
  }
  const formatName = data.format.format_name ?? '';
  const video = data.streams.find((s) => s.codec_type === 'video' && !isCoverArt(s));
  const audio = data.streams.find((s) => s.codec_type === 'audio');
  if (/image2|_pipe$/.test(formatName) && !audio) throw new MediaRejected('no_media_stream', 'The file is an image, not audio or video');
  if (!audio && !video) throw new MediaRejected('no_media_stream', 'The file has no audio or video stream');
  const kind: 'audio' | 'video' = video ? 'video' : 'audio';
  if (audio && !audioCodecs.has(audio.codec_name ?? '')) {
    throw new MediaRejected('unsupported_codec', `The audio codec "${audio.codec_name}" is not supported; use MP3, FLAC, WAV (PCM), Ogg Opus/Vorbis, AAC or ALAC`);
  }
  if (video && !videoCodecs.has(video.codec_name ?? '')) {
    throw new MediaRejected('unsupported_codec', `The video codec "${video.codec_name}" is not supported; use H.264, HEVC, VP8, VP9 or AV1`);
  }
  const majorBrand = (data.format.tags as Record<string, string> | undefined)?.major_brand;
  const c = containerOf(formatName, kind, majorBrand, video?.codec_name ?? null);
  if (!c) throw new MediaRejected('unsupported_format', `The container "${formatName}" is not supported; upload mp3, flac, wav, ogg/opus, m4a, mp4, webm or mov`);
  const duration = Number(data.format.duration ?? audio?.duration ?? video?.duration);
  if (!Number.isFinite(duration) || duration <= 0) throw new MediaRejected('empty_media', 'The file has no playable duration');
  return {
    kind,
    container: c.container,
    mime: c.mime,
    durationSeconds: duration,
    audioCodec: audio?.codec_name ?? null,
    sampleRate: audio?.sample_rate ? Number(audio.sample_rate) : null,
    videoCodec: video?.codec_name ?? null,
    width: video?.width ?? null,
    height: video?.height ?? null,
  };
}

export interface SourceLimits {
  maxDurationSeconds: number;
  maxSourceWidth: number;
  maxSourceHeight: number;
}

/**
 * Refuses a source longer or larger than the node transcodes (config media.maxDurationSeconds,
 * media.maxSourceWidth × media.maxSourceHeight in either orientation): checked when the upload
 * completes and again before a transcode, since the limits may have been lowered meanwhile.
 */
export function checkSourceLimits(p: Pick<ProbedMedia, 'durationSeconds' | 'width' | 'height'>, l: SourceLimits): void {
  if (p.durationSeconds > l.maxDurationSeconds) {
    throw new MediaRejected(
      'media_too_long',
      `The file lasts ${Math.round(p.durationSeconds)} s, longer than this node accepts (${l.maxDurationSeconds} s)`,
      { durationSeconds: p.durationSeconds, maxDurationSeconds: l.maxDurationSeconds },
    );
  }
  if (p.width && p.height) {
    const long = Math.max(p.width, p.height);
    const short = Math.min(p.width, p.height);
    if (long > l.maxSourceWidth || short > l.maxSourceHeight) {
      throw new MediaRejected(
        'resolution_too_high',
        `The video is ${p.width}×${p.height}, larger than this node accepts (${l.maxSourceWidth}×${l.maxSourceHeight}, either orientation)`,
        { width: p.width, height: p.height, maxWidth: l.maxSourceWidth, maxHeight: l.maxSourceHeight },
      );
    }
  }
}
