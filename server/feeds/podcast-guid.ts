// The Podcasting 2.0 `podcast:guid` of a feed: a UUIDv5 (RFC 9562, SHA-1) of the feed's URL
// without its scheme and trailing slashes, in the namespace the spec fixes.
import { createHash } from 'node:crypto';

/** The namespace of podcast:guid (https://podcasting2.org/docs/podcast-namespace/tags/guid). */
export const podcastNamespace = 'ead4c236-bf58-58c6-a2c6-a6b28d128cb6';

export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** podcast:guid of a feed URL: "https://example.com/feed/" and "example.com/feed" give the same guid. */
export function podcastGuid(feedUrl: string): string {
  return uuidV5(feedUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, ''), podcastNamespace);
}
