// The progressive file (docs/decisions/0102): one AAC rendition of an audio track's ladder
// remuxed, without a second encode, into an ordinary audio/mp4 file (ftyp M4A, moov first) that Mastodon, Misskey,
// podcast apps and a bare <audio> play inline. Its index (audio.json) gives the byte range of
// each HLS segment's audio inside it (a "part"), with its SHA-256: served byte ranges are metered
// on the rendition's own segment timeline, exactly as segments are, and can be checked as they are.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const progressiveFile = 'audio.m4a';
export const progressiveIndexFile = 'audio.json';
export const progressiveMimeType = 'audio/mp4';

/** The audio of one HLS segment inside the progressive file. */
export interface ProgressivePart {
  /** The segment's index in its rendition. */
  index: number;
  /** Where its bytes start in the file, and how many. */
  offset: number;
  bytes: number;
  startSeconds: number;
  durationSeconds: number;
  sha256: string;
}

/** audio.json: the file, where its media data starts, and its parts in order. */
export interface ProgressiveIndex {
  algorithm: 'sha256';
  file: string;
  mimeType: string;
  /** The HLS rendition it was remuxed from (the same AAC frames). */
  rendition: string;
  bytes: number;
  sha256: string;
  /** Bytes before this are the header (ftyp, moov): like init.mp4, not metered. */
  dataOffset: number;
  durationSeconds: number;
  parts: ProgressivePart[];
}

/** What the track row keeps of it (media_tracks.progressive_audio). */
export interface ProgressiveAudio {
  file: string;
  mimeType: string;
  rendition: string;
  bitrateKbps: number | null;
  bytes: number;
  sha256: string;
}

/** A rendition's segments as the transcode (or its segment-hashes.json) lists them. */
export interface RenditionSegments {
  name: string;
  bitrateKbps?: number;
  segments: { index: number; file: string; startSeconds: number; durationSeconds: number }[];
}

/** The audio rendition to remux: the bitrate nearest `targetKbps` (the higher on a tie). */
export function progressiveRenditionOf<R extends { name: string; bitrateKbps?: number }>(renditions: R[], targetKbps: number): R | undefined {
  const distance = (r: R) => Math.abs((r.bitrateKbps ?? 0) - targetKbps);
  return [...renditions].sort((a, b) => distance(a) - distance(b) || (b.bitrateKbps ?? 0) - (a.bitrateKbps ?? 0))[0];
}

/** ffmpeg arguments that remux a rendition's audio into a faststart .m4a (errors only on stderr). */
export function remuxArgs(playlist: string, out: string): string[] {
  return ['-hide_banner', '-nostdin', '-loglevel', 'level+error', '-y', '-i', playlist, '-map', '0:a:0', '-vn', '-sn', '-dn', '-c:a', 'copy', '-movflags', '+faststart', '-f', 'ipod', out];
}

interface Box {
  type: string;
  start: number;
  size: number;
  header: number;
}

/** The top-level boxes of an ISO BMFF file, reading only their headers. */
async function topLevelBoxes(file: string): Promise<{ boxes: Box[]; bytes: number }> {
  const fh = await open(file, 'r');
  try {
    const bytes = (await fh.stat()).size;
    const boxes: Box[] = [];
    const head = Buffer.alloc(16);
    for (let at = 0; at + 8 <= bytes; ) {
      await fh.read(head, 0, 16, at);
      let size = head.readUInt32BE(0);
      let header = 8;
      if (size === 1) {
        size = Number(head.readBigUInt64BE(8));
        header = 16;
      } else if (size === 0) size = bytes - at;
      if (size < header || at + size > bytes) throw new Error(`${path.basename(file)}: a box runs past the end of the file`);
      boxes.push({ type: head.toString('latin1', 4, 8), start: at, size, header });
      at += size;
    }
    return { boxes, bytes };
  } finally {
    await fh.close();
  }
}

const mdatPayload = (boxes: Box[]) => boxes.filter((b) => b.type === 'mdat').reduce((n, b) => n + b.size - b.header, 0);

/**
 * The index of a remuxed file. A remux copies the AAC frames in order into one mdat, so the
 * audio of segment i is the next `mdat payload of segment i` bytes of it; the sums must agree.
 */
export async function indexProgressive(file: string, renditionDir: string, rendition: RenditionSegments): Promise<ProgressiveIndex> {
  const { boxes, bytes } = await topLevelBoxes(file);
  const mdats = boxes.filter((b) => b.type === 'mdat');
  if (mdats.length !== 1 || boxes.findIndex((b) => b.type === 'moov') > boxes.indexOf(mdats[0])) throw new Error('the remuxed file is not one moov followed by one mdat');
  const data = mdats[0];
  const sizes = await Promise.all(rendition.segments.map(async (s) => mdatPayload((await topLevelBoxes(path.join(renditionDir, s.file))).boxes)));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== data.size - data.header) throw new Error(`the remuxed file holds ${data.size - data.header} bytes of audio, the segments ${total}`);
  let offset = data.start + data.header;
  const parts = rendition.segments.map((s, i) => {
    const part = { index: s.index, offset, bytes: sizes[i], startSeconds: s.startSeconds, durationSeconds: s.durationSeconds, sha256: '' };
    offset += sizes[i];
    return part;
  });
  // One pass over the file: the whole file's hash and each part's.
  const whole = createHash('sha256');
  let at = 0;
  let p = 0;
  let partHash = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    for (let i = 0; i < chunk.length && p < parts.length; ) {
      const pos = at + i;
      const part = parts[p];
      if (pos < part.offset) {
        i += Math.min(chunk.length - i, part.offset - pos);
        continue;
      }
      const take = Math.min(chunk.length - i, part.offset + part.bytes - pos);
      partHash.update(chunk.subarray(i, i + take));
      i += take;
      if (pos + take === part.offset + part.bytes) {
        part.sha256 = partHash.digest('hex');
        partHash = createHash('sha256');
        p++;
      }
    }
    at += chunk.length;
  }
  const last = parts[parts.length - 1];
  return {
    algorithm: 'sha256',
    file: path.basename(file),
    mimeType: progressiveMimeType,
    rendition: rendition.name,
    bytes,
    sha256: whole.digest('hex'),
    dataOffset: data.start + data.header,
    durationSeconds: last ? Math.round((last.startSeconds + last.durationSeconds) * 1000) / 1000 : 0,
    parts,
  };
}

/**
 * Makes audio.m4a and audio.json in `trackDir` from the rendition folder beside them (written
 * under temporary names, then renamed: a reader sees the old pair or the new one). `ffmpeg`
 * runs one ffmpeg with the given arguments (the transcode's runner, so a stop kills it too).
 */
export async function makeProgressive(trackDir: string, rendition: RenditionSegments, ffmpeg: (args: string[]) => Promise<void>): Promise<ProgressiveAudio> {
  const renditionDir = path.join(trackDir, rendition.name);
  const tmp = path.join(trackDir, `.${progressiveFile}.part`);
  const tmpIndex = path.join(trackDir, `.${progressiveIndexFile}.part`);
  try {
    await ffmpeg(remuxArgs(path.join(renditionDir, 'playlist.m3u8'), tmp));
    const index = await indexProgressive(tmp, renditionDir, rendition);
    index.file = progressiveFile;
    await writeFile(tmpIndex, JSON.stringify(index));
    await rename(tmpIndex, path.join(trackDir, progressiveIndexFile));
    await rename(tmp, path.join(trackDir, progressiveFile));
    return { file: progressiveFile, mimeType: progressiveMimeType, rendition: rendition.name, bitrateKbps: rendition.bitrateKbps ?? null, bytes: index.bytes, sha256: index.sha256 };
  } finally {
    await Promise.all([rm(tmp, { force: true }), rm(tmpIndex, { force: true })]);
  }
}

/** A published rendition's segments, from its segment-hashes.json (tracks transcoded before the progressive file existed). */
export async function publishedSegments(trackDir: string, rendition: { name: string; bitrateKbps?: number }): Promise<RenditionSegments> {
  const hashes = JSON.parse(await readFile(path.join(trackDir, rendition.name, 'segment-hashes.json'), 'utf8')) as { segments?: RenditionSegments['segments'] };
  if (!hashes.segments?.length) throw new Error(`rendition ${rendition.name} lists no segments`);
  return { name: rendition.name, bitrateKbps: rendition.bitrateKbps, segments: hashes.segments };
}

/** Reads audio.json (undefined when it is missing or unreadable). */
export async function readProgressiveIndex(trackDir: string): Promise<ProgressiveIndex | undefined> {
  try {
    return JSON.parse(await readFile(path.join(trackDir, progressiveIndexFile), 'utf8')) as ProgressiveIndex;
  } catch {
    return undefined;
  }
}

/** The parts a served byte range [start, end) touches, each with the bytes of it served (for listening's SegmentServed). */
export function servedParts(index: Pick<ProgressiveIndex, 'parts'>, start: number, end: number): { part: ProgressivePart; byteStart: number; bytes: number }[] {
  const out: { part: ProgressivePart; byteStart: number; bytes: number }[] = [];
  const parts = index.parts;
  // Binary search for the first part ending after `start`.
  let lo = 0;
  let hi = parts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (parts[mid].offset + parts[mid].bytes <= start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < parts.length && parts[i].offset < end; i++) {
    const p = parts[i];
    const from = Math.max(start, p.offset);
    const to = Math.min(end, p.offset + p.bytes);
    if (to > from) out.push({ part: p, byteStart: from - p.offset, bytes: to - from });
  }
  return out;
}
