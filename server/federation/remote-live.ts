// Watching a followed channel's live stream through this node. Playlists come from the home
// node (same host as the channel, no redirects, bounded), at most once a second per rendition
// however many watch here; every segment is checked against the home node's hashes.json
// before it is served or kept, and kept copies are served from disk. A segment the home node
// has not hashed is not fetched at all, so random requests cost the home node nothing.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, notFound, RetryLaterError } from '../http/errors.js';
import type { FederationRuntime } from './runtime.js';
import type { Remote } from './remote.js';
import { ResponseTooLargeError, type SafeResponse } from './safe-fetch.js';
import { hostOf } from './vocabulary.js';
import { followedLiveStreams, type FollowedLiveStream } from './remote-streams.js';

const WATCH_ID = /^[0-9a-f]{32}$/;
const RENDITION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const MAX_PLAYLIST_BYTES = 256_000;
const MAX_HASHES_BYTES = 4_000_000;
const MAX_SEGMENT_BYTES = 32_000_000;
const TIMEOUT_MS = 10_000;
/** Playlists and hashes are asked again after this long. */
const FRESH_MS = 1_000;
/** A segment missing from hashes read longer ago than this asks for them again (at most four times a second). */
const HASHES_RETRY_MS = 250;
/** A segment this far past the newest hashed one cannot be new yet: 404 without asking the home node. */
const AHEAD_SEGMENTS = 5;
/** Copies kept per rendition; older ones are removed as new ones come (as the home node's keepSegments). */
const KEEP_SEGMENTS = 150;
/** Marks a rendition whose home node serves it privately. */
const PRIVATE_MARKER = '.private';
/** Renditions of one stream taken from its master playlist. */
const MAX_RENDITIONS = 8;
/** Segment fetches from home nodes at once, all streams together; past it, 503 and the player retries. */
const MAX_FETCHES = 32;
const STREAMS_FRESH_MS = 5_000;

const badGateway = (message: string) => new AppError(502, 'upstream_failed', message);

interface Fresh<T> {
  at: number;
  value: Promise<T>;
}

export class RemoteLive {
  private streams?: Fresh<FollowedLiveStream[]>;
  private readonly fresh = new Map<string, Fresh<unknown>>();
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  /** The newest hashed sequence number per stream and rendition (hashes are asked from a little before it). */
  private readonly newest = new Map<string, number>();
  /** Renditions whose home node marks its segments private (remembered on disk too: a marker file). */
  private readonly privately = new Map<string, boolean>();

  private async isPrivate(watchId: string, rendition: string): Promise<boolean> {
    const key = `${watchId}|${rendition}`;
    let known = this.privately.get(key);
    if (known === undefined) {
      known = !!(await stat(path.join(this.root, watchId, rendition, PRIVATE_MARKER)).catch(() => undefined));
      this.privately.set(key, known);
    }
    return known;
  }

  private async markPrivate(watchId: string, rendition: string): Promise<void> {
    this.privately.set(`${watchId}|${rendition}`, true);
    await mkdir(path.join(this.root, watchId, rendition), { recursive: true });
    await writeFile(path.join(this.root, watchId, rendition, PRIVATE_MARKER), '');
  }

  constructor(
    private readonly rt: FederationRuntime,
    private readonly remote: Remote,
  ) {}

  private get root(): string {
    return path.join(this.rt.config.dataDir, 'federation-cache', 'live');
  }

  /** A followed stream that is live and carries a playlist, by its watch id; 404 otherwise. */
  async stream(watchId: string): Promise<FollowedLiveStream & { hlsUrl: string }> {
    if (!WATCH_ID.test(watchId)) throw notFound('Remote live stream');
    if (!this.streams || Date.now() - this.streams.at > STREAMS_FRESH_MS) {
      this.streams = { at: Date.now(), value: followedLiveStreams(this.rt.db, this.rt.publicUrl) };
      this.streams.value.catch(() => (this.streams = undefined));
    }
    const s = (await this.streams.value).find((x) => x.watchId === watchId);
    if (!s?.hlsUrl) throw notFound('Remote live stream');
    return s as FollowedLiveStream & { hlsUrl: string };
  }

  /** One fetch per key at a time and at most one a second: what the watchers here share. */
  private shared<T>(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.fresh.get(key) as Fresh<T> | undefined;
    if (hit && Date.now() - hit.at < FRESH_MS) return hit.value;
    const value = make();
    this.fresh.set(key, { at: Date.now(), value });
    value.catch(() => this.fresh.delete(key));
    if (this.fresh.size > 5_000) for (const [k, v] of this.fresh) if (Date.now() - v.at > FRESH_MS) this.fresh.delete(k);
    return value;
  }

  private async upstream(s: FollowedLiveStream, url: string, max: number): Promise<Buffer> {
    return (await this.upstreamResponse(s, url, max)).body;
  }

  private async upstreamResponse(s: FollowedLiveStream, url: string, max: number): Promise<SafeResponse> {
    if (hostOf(url) !== hostOf(s.actorUri)) throw badGateway('The home node does not offer this file');
    let res;
    try {
      res = await this.remote.request(url, { maxBytes: max, timeoutMs: TIMEOUT_MS, redirect: 'error' });
    } catch (err) {
      if (err instanceof ResponseTooLargeError) throw badGateway(`The home node sent too much (more than ${max} bytes)`);
      throw badGateway(`The home node did not answer: ${(err as Error).message}`);
    }
    if (res.status === 402 || res.status === 401) {
      throw new AppError(402, 'paid_on_home_node', 'This live stream is paid on its home node: watch it there', { url: s.url });
    }
    if (res.status === 404) throw notFound('Live file (the home node no longer has it)');
    if (!res.ok) throw badGateway(`The home node answered ${res.status}`);
    return res;
  }

  /** The renditions the master playlist lists, by name, with their playlist URLs on the home node. */
  private async renditions(s: FollowedLiveStream & { hlsUrl: string }): Promise<{ text: string; urls: Map<string, string> }> {
    return this.shared(`m|${s.watchId}`, async () => {
      const text = (await this.upstream(s, s.hlsUrl, MAX_PLAYLIST_BYTES)).toString('utf8');
      const urls = new Map<string, string>();
      const out: string[] = [];
      for (const line of text.split(/\r?\n/)) {
        if (!line || line.startsWith('#')) {
          out.push(line);
          continue;
        }
        const resolved = new URL(line, s.hlsUrl);
        const m = /\/([^/]+)\/index\.m3u8$/.exec(resolved.pathname);
        if (m && RENDITION.test(m[1]) && hostOf(resolved.href) === hostOf(s.actorUri) && urls.size < MAX_RENDITIONS) {
          urls.set(m[1], resolved.href);
          out.push(`${m[1]}/index.m3u8`);
        } else if (out.at(-1)?.startsWith('#EXT-X-STREAM-INF')) out.pop();
      }
      return { text: out.join('\n'), urls };
    });
  }

  async master(watchId: string): Promise<string> {
    return (await this.renditions(await this.stream(watchId))).text;
  }

  private async renditionUrl(watchId: string, rendition: string) {
    if (!RENDITION.test(rendition)) throw notFound('Rendition');
    const s = await this.stream(watchId);
    const url = (await this.renditions(s)).urls.get(rendition);
    if (!url) throw notFound('Rendition');
    return { s, url };
  }

  /** A rendition's live playlist, its segments made local (`<seq>.ts`). */
  async playlist(watchId: string, rendition: string): Promise<string> {
    const { s, url } = await this.renditionUrl(watchId, rendition);
    return this.shared(`p|${watchId}|${rendition}`, async () => {
      const text = (await this.upstream(s, url, MAX_PLAYLIST_BYTES)).toString('utf8');
      const out: string[] = [];
      for (const line of text.split(/\r?\n/)) {
        if (!line || line.startsWith('#')) {
          out.push(line);
          continue;
        }
        const name = new URL(line, url).pathname.split('/').pop() ?? '';
        if (/^\d{1,9}\.ts$/.test(name)) out.push(name);
        // Not a segment of ours: left out with its #EXTINF.
        else if (out.at(-1)?.startsWith('#EXTINF')) out.pop();
      }
      return out.join('\n');
    });
  }

  private async hashes(s: FollowedLiveStream, url: string, watchId: string, rendition: string, seq: number): Promise<{ known: Map<number, string>; max: number }> {
    const key = `h|${watchId}|${rendition}`;
    let got = await this.readHashes(s, url, key);
    // Newer than the hashes read a moment ago: read them again, a few times a second at most,
    // and never for numbers too far ahead to exist (made-up requests cost the home node nothing).
    const at = this.fresh.get(key)?.at ?? 0;
    if (!got.known.has(seq) && seq <= got.max + AHEAD_SEGMENTS && Date.now() - at > HASHES_RETRY_MS) {
      if (this.fresh.get(key)?.at === at) this.fresh.delete(key);
      got = await this.readHashes(s, url, key);
    }
    return got;
  }

  private readHashes(s: FollowedLiveStream, url: string, key: string): Promise<{ known: Map<number, string>; max: number }> {
    return this.shared(key, async () => {
      // The newest few only (a 9ten home node answers ?from=; others send all, within the cap).
      const newest = this.newest.get(key) ?? -1;
      const body = await this.upstream(s, new URL(`hashes.json${newest >= 0 ? `?from=${Math.max(0, newest - KEEP_SEGMENTS)}` : ''}`, url).href, MAX_HASHES_BYTES);
      const out = new Map<number, string>();
      let max = -1;
      try {
        const doc = JSON.parse(body.toString('utf8')) as { segments?: { seq?: unknown; sha256?: unknown }[] };
        for (const h of doc.segments ?? []) {
          if (!Number.isSafeInteger(h.seq) || typeof h.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(h.sha256)) continue;
          out.set(h.seq as number, h.sha256);
          // Counted here: a spread of tens of thousands of keys would pass the engine's argument limit.
          if ((h.seq as number) > max) max = h.seq as number;
        }
      } catch {
        throw badGateway('The home node sent hashes that are not JSON');
      }
      if (max >= 0) this.newest.set(key, max);
      return { known: out, max };
    });
  }

  /** A segment: from disk, or from the home node once its hash matches. */
  async segment(watchId: string, rendition: string, seq: number): Promise<{ body: Buffer; sha256: string; cached: boolean; private: boolean }> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw notFound('Live segment');
    const { s, url } = await this.renditionUrl(watchId, rendition);
    const got = await this.hashes(s, url, watchId, rendition, seq);
    // Older than the copies kept: not fetched (the copies on disk stay bounded).
    if (seq < got.max - KEEP_SEGMENTS) throw notFound('Live segment (older than this node keeps)');
    const expected = got.known.get(seq);
    if (!expected) throw notFound('Live segment (not hashed by the home node)');
    const file = path.join(this.root, watchId, rendition, `${seq}.ts`);
    const hit = await readFile(file).catch(() => undefined);
    // A stream its home node serves privately (a priced one's free minutes) is served privately here too.
    const kept = await this.isPrivate(watchId, rendition);
    if (hit && createHash('sha256').update(hit).digest('hex') === expected) return { body: hit, sha256: expected, cached: true, private: kept };
    const key = `${watchId}|${rendition}|${seq}`;
    let fetching = this.inFlight.get(key);
    if (!fetching && this.inFlight.size >= MAX_FETCHES) throw new RetryLaterError(503, 'upstream_busy', 'This node is fetching as many live segments from home nodes as it takes; try again in a moment', 1);
    if (!fetching) {
      fetching = (async () => {
        const res = await this.upstreamResponse(s, new URL(`${seq}.ts`, url).href, MAX_SEGMENT_BYTES);
        const body = res.body;
        if (/\bprivate\b/i.test(res.headers.get('cache-control') ?? '')) await this.markPrivate(watchId, rendition);
        const actual = createHash('sha256').update(body).digest('hex');
        if (actual !== expected) {
          this.rt.log.warn({ stream: s.uri, rendition, seq, expected, actual }, 'live segment from the home node does not match its hash; refused');
          throw badGateway("The segment does not match the home node's hash");
        }
        await mkdir(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, body);
        await rename(tmp, file);
        await rm(path.join(path.dirname(file), `${seq - KEEP_SEGMENTS}.ts`), { force: true });
        return body;
      })().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, fetching);
    }
    const body = await fetching;
    return { body, sha256: expected, cached: false, private: await this.isPrivate(watchId, rendition) };
  }

  /** Removes the copies of streams that are no longer live. */
  async sweep(): Promise<number> {
    const live = new Set((await followedLiveStreams(this.rt.db, this.rt.publicUrl)).map((s) => s.watchId));
    let removed = 0;
    for (const dir of await readdir(this.root).catch(() => [] as string[])) {
      if (live.has(dir)) continue;
      await rm(path.join(this.root, dir), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }
}
