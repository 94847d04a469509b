// Subsonic ids, mapped as Navidrome maps its library: an artist is a channel (`ar-<channelId>`),
// an album an album tag within a channel (`al-<channelId>-<12 hex of md5(tag)>`; the channel's
// tracks without one are its singles, `al-<channelId>-singles`), a song a track (its uuid). The
// prefixes keep the kinds apart, so one parameter (star's `id`, getCoverArt's `id`) can take any.
import { createHash } from 'node:crypto';
import { isUuid } from '../../../shared/ids.js';

export type SubsonicId = { kind: 'artist'; channelId: string } | { kind: 'album'; channelId: string; key: string } | { kind: 'song'; trackId: string };

export const artistId = (channelId: string) => `ar-${channelId}`;

/** An album tag's key: stable, short, and the same for the same tag. */
export const albumKey = (album: string | null) => (album === null ? 'singles' : createHash('md5').update(album).digest('hex').slice(0, 12));

export const albumId = (channelId: string, album: string | null) => `al-${channelId}-${albumKey(album)}`;

export function parseId(id: string | undefined): SubsonicId | undefined {
  if (!id) return undefined;
  const m = /^(ar|al)-([0-9a-f-]{36})(?:-(singles|[0-9a-f]{12}))?$/i.exec(id);
  if (m && isUuid(m[2])) {
    if (m[1] === 'ar' && !m[3]) return { kind: 'artist', channelId: m[2].toLowerCase() };
    if (m[1] === 'al' && m[3]) return { kind: 'album', channelId: m[2].toLowerCase(), key: m[3].toLowerCase() };
    return undefined;
  }
  return isUuid(id) ? { kind: 'song', trackId: id.toLowerCase() } : undefined;
}
