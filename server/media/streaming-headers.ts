// The headers of streaming files by name and track: content type, caching and CORS. The route,
// the fast path and the nginx site (nginx-site.ts) all send these, so players see one answer
// whichever of them served the file.
import type { ServerResponse } from 'node:http';

const corsHeaders = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Range, X-Play-Session, Content-Type',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges, ETag, Content-Type, Last-Modified',
};

export const corsEntries = Object.entries(corsHeaders);

export function setCors<R extends ServerResponse>(res: R): R {
  for (const [k, v] of corsEntries) res.setHeader(k, v);
  return res;
}

/** Content type of a streaming file, by name and the track's kind. */
export function streamingContentType(file: string, kind: 'audio' | 'video'): string | undefined {
  if (file.endsWith('.m3u8')) return 'application/vnd.apple.mpegurl';
  if (file.endsWith('/init.mp4') || file === 'init.mp4') return kind === 'audio' ? 'audio/mp4' : 'video/mp4';
  if (file.endsWith('.m4s')) return kind === 'audio' ? 'audio/mp4' : 'video/iso.segment';
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.torrent')) return 'application/x-bittorrent';
  return undefined;
}

const scopeOf = (visibility: string) => (visibility === 'private' ? 'private' : 'public');

export function cacheControlFor(file: string, visibility: string): string {
  if (file.endsWith('.m4s') || file.endsWith('init.mp4')) return `${scopeOf(visibility)}, max-age=31536000, immutable`;
  if (file.endsWith('.m3u8')) return `${scopeOf(visibility)}, max-age=10`;
  return hourCacheControl(visibility);
}

/** Files of a track that may change (hashes, torrents, waveform, cover, original): an hour. */
export const hourCacheControl = (visibility: string): string => `${scopeOf(visibility)}, max-age=3600`;

/**
 * A segment of a track that is not free: a browser may keep it but asks again each time, so the
 * gate sees every use (a credential expires, a subscription lapses); never a shared cache.
 */
export const gatedSegmentCacheControl = 'private, no-cache';
