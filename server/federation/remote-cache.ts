// Plays a remote track through this node: HLS playlists and segments are fetched from the
// track's home node (same host only), every segment is checked against the home node's
// segment hashes before it is served or cached, and cached copies are served from disk.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, notFound } from '../http/errors.js';
import type { FederationRuntime } from './runtime.js';
import type { Remote } from './remote.js';
import { ResponseTooLargeError, type SafeResponse } from './safe-fetch.js';
import type { RemoteTrack, RemoteTracks } from './remote-tracks.js';
import { hostOf } from './vocabulary.js';
import { parseMediaPlaylist } from '../../shared/hls.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;
const MAX_PLAYLIST_BYTES = 1_000_000;
const MAX_SEGMENT_BYTES = 50_000_000;
const UPSTREAM_TIMEOUT_MS = 15_000;

export const hlsContentType = (file: string): string =>
  file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl'
    : file.endsWith('.m4s') ? 'video/iso.segment'
      : file.endsWith('.ts') ? 'video/mp2t'
        : file.endsWith('.mp4') ? 'video/mp4'
          : 'application/octet-stream';

const badGateway = (message: string) => new AppError(502, 'upstream_failed', message);

export class RemoteCache {
  constructor(
    private readonly rt: FederationRuntime,
    private readonly remote: Remote,
    private readonly tracks: RemoteTracks,
  ) {}

  private dirOf(trackId: string): string {
    return path.join(this.rt.config.dataDir, 'federation-cache', trackId);
  }

  private async track(id: string): Promise<RemoteTrack> {
    const track = await this.tracks.byId(id);
    if (!track) throw notFound('Remote track');
    return track;
  }

  /** A file from the track's home node, cut off while it streams once it passes `max` bytes. */
  private async upstream(track: RemoteTrack, url: string | null, max: number, signed = false): Promise<Buffer> {
    if (!url || hostOf(url) !== track.host) throw badGateway('The home node does not offer this file');
    let res: SafeResponse;
    try {
      // No redirects: a redirect could lead off the home node's host.
      const opts = { maxBytes: max, timeoutMs: UPSTREAM_TIMEOUT_MS, redirect: 'error' as const };
      res = signed ? await this.remote.requestSigned(url, opts) : await this.remote.request(url, opts);
    } catch (err) {
      if (err instanceof ResponseTooLargeError) throw badGateway(`The home node sent too much (more than ${max} bytes)`);
      throw badGateway(`The home node did not answer: ${(err as Error).message}`);
    }
    if (!res.ok) throw badGateway(`The home node answered ${res.status}`);
    return res.body;
  }

  private async cached(file: string): Promise<Buffer | undefined> {
    return readFile(file).catch(() => undefined);
  }

  private async store(file: string, body: Buffer | string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, file);
  }

  /** The master playlist, pointing at this node's copies of the renditions. */
  async master(id: string): Promise<string> {
    const track = await this.track(id);
    const file = path.join(this.dirOf(track.id), 'master.m3u8');
    const hit = await this.cached(file);
    if (hit) return hit.toString('utf8');
    const text = (await this.upstream(track, track.masterPlaylistUrl, MAX_PLAYLIST_BYTES)).toString('utf8');
    const names = new Set(track.renditions.map((r) => r.name));
    const out: string[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (!line || line.startsWith('#')) {
        out.push(line);
        continue;
      }
      // Only renditions the home node announced, under their names.
      const resolved = new URL(line, track.masterPlaylistUrl!).href;
      const r = track.renditions.find((x) => x.playlistUrl === resolved) ?? track.renditions.find((x) => resolved.endsWith(`/${x.name}/playlist.m3u8`));
      if (r && names.has(r.name) && SAFE_NAME.test(r.name)) out.push(`${r.name}/playlist.m3u8`);
      else if (out.length && out[out.length - 1].startsWith('#EXT-X-STREAM-INF')) out.pop();
    }
    const rewritten = out.join('\n');
    await this.store(file, rewritten);
    return rewritten;
  }

  /** A rendition's playlist, its segment and init URIs made local. */
  async playlist(id: string, rendition: string, known?: RemoteTrack): Promise<string> {
    if (!SAFE_NAME.test(rendition)) throw notFound('Rendition');
    const track = known ?? (await this.track(id));
    const r = track.renditions.find((x) => x.name === rendition);
    if (!r) throw notFound('Rendition');
    const file = path.join(this.dirOf(track.id), rendition, 'playlist.m3u8');
    const hit = await this.cached(file);
    if (hit) return hit.toString('utf8');
    const text = (await this.upstream(track, r.playlistUrl, MAX_PLAYLIST_BYTES)).toString('utf8');
    const local = (uri: string) => {
      const name = new URL(uri, r.playlistUrl!).pathname.split('/').pop() ?? '';
      return SAFE_NAME.test(name) ? name : null;
    };
    const out: string[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (line.startsWith('#EXT-X-MAP:')) {
        out.push(line.replace(/URI="([^"]+)"/, (_m, u: string) => `URI="${local(u) ?? 'invalid'}"`));
      } else if (line && !line.startsWith('#')) {
        out.push(local(line) ?? '#invalid');
      } else out.push(line);
    }
    const rewritten = out.join('\n');
    await this.store(file, rewritten);
    return rewritten;
  }

  /** A segment (or init section): from the cache, or from the home node once its hash matches. */
  async file(id: string, rendition: string, name: string, known?: RemoteTrack): Promise<{ body: Buffer; cached: boolean }> {
    if (!SAFE_NAME.test(rendition) || !SAFE_NAME.test(name) || name.endsWith('.m3u8') || name.endsWith('.tmp')) throw notFound('File');
    const track = known ?? (await this.track(id));
    const r = track.renditions.find((x) => x.name === rendition);
    if (!r?.playlistUrl) throw notFound('Rendition');
    const expected = track.segmentHashes[rendition]?.[name];
    if (!expected) throw badGateway('The home node published no hash for this file; it is not served');
    // Copies fetched as a relay (a paid track) are kept apart and served only while the track
    // is paid here; were it free here, the home node is asked unsigned and decides.
    const paid = track.access.mode !== 'free';
    const file = path.join(this.dirOf(track.id), paid ? 'paid' : '', rendition, name);
    const hit = await this.cached(file);
    if (hit && createHash('sha256').update(hit).digest('hex') === expected) return { body: hit, cached: true };
    // A paid track's segments: asked as this node (its listeners pay it; it owes the artist).
    const body = await this.upstream(track, new URL(name, r.playlistUrl).href, MAX_SEGMENT_BYTES, paid);
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== expected) {
      this.rt.log.warn({ track: track.uri, rendition, name, expected, actual }, 'segment from the home node does not match its hash; refused');
      throw badGateway('The segment does not match the home node\'s hash');
    }
    await this.store(file, body);
    return { body, cached: false };
  }

  /**
   * A rendition's segment timeline ([start, duration] by index) from its playlist's #EXTINF
   * durations, or undefined when a duration is missing or not between 0 and 60 s (a paid
   * track is then not sold here: its spans could not be priced).
   */
  async timeline(id: string, rendition: string, known?: RemoteTrack): Promise<[number, number][] | undefined> {
    const out: [number, number][] = [];
    for (const s of parseMediaPlaylist(await this.playlist(id, rendition, known))) {
      if (!(s.durationSeconds > 0 && s.durationSeconds <= 60)) return undefined;
      out.push([s.startSeconds, s.durationSeconds]);
    }
    return out;
  }

  /**
   * Where a segment sits on the track's timeline, read from the rendition playlist
   * (cumulative #EXTINF durations), for the listening capability's segment-serve log.
   */
  async segmentTiming(id: string, rendition: string, name: string): Promise<{ index: number; start: number; duration: number } | null> {
    const segments = parseMediaPlaylist(await this.playlist(id, rendition));
    const index = segments.findIndex((s) => s.file === name);
    return index < 0 ? null : { index, start: segments[index].startSeconds, duration: segments[index].durationSeconds };
  }

  async evict(id: string): Promise<void> {
    await rm(this.dirOf(id), { recursive: true, force: true });
  }
}
