// Browsing in data: one row shape for every list of tracks (this node's Track, a DiscoverTrack of
// here or elsewhere), what the player queues of a row, the app's addresses of albums, genres,
// playlists and searches, what a search query is (words, or an address to look up), a playlist's
// order after a move, and search refusals in words.
import type { QueueItem } from './queue.js';
import { appPath } from './discover.js';
import type { DiscoverTrack, RemoteTrack, Track } from '../../../shared/api/index.js';

/** A track as every list shows it, whatever endpoint it came from. */
export interface TrackRow {
  id: string;
  origin: 'local' | 'remote';
  kind: 'audio' | 'video';
  title: string;
  artist: string | null;
  /** Its channel's name as shown, and where the channel's page is here (null: another node's). */
  channelName: string | null;
  channelHref: string | null;
  /** `@name@host` for a channel of another node. */
  channelHandle: string | null;
  /** The track's page in this app. */
  href: string;
  coverUrl: string | null;
  durationSeconds: number | null;
  access: 'free' | 'subscribers' | 'metered';
  album: string | null;
  trackNumber: number | null;
}

const channelPath = (name: string): string => `/channels/${encodeURIComponent(name)}`;

export function rowFromTrack(t: Track): TrackRow {
  return {
    id: t.id,
    origin: 'local',
    kind: t.kind,
    title: t.title,
    artist: t.artist,
    channelName: t.channel?.displayName ?? null,
    channelHref: t.channel ? channelPath(t.channel.name) : null,
    channelHandle: null,
    href: `/tracks/${encodeURIComponent(t.id)}`,
    coverUrl: t.coverUrl,
    durationSeconds: t.durationSeconds,
    access: t.access?.mode ?? 'free',
    album: t.album,
    trackNumber: t.trackNumber,
  };
}

export function rowFromDiscover(t: DiscoverTrack): TrackRow {
  const local = t.origin === 'local';
  return {
    id: t.id,
    origin: t.origin,
    kind: t.kind,
    title: t.title,
    artist: t.artist,
    channelName: t.channel.name ?? t.channel.handle ?? t.channel.host,
    channelHref: local && t.channel.name ? channelPath(t.channel.name) : null,
    channelHandle: local || !t.channel.handle ? null : `@${t.channel.handle.replace(/^@/, '')}`,
    href: appPath(t.pageUrl),
    coverUrl: t.coverUrl,
    durationSeconds: t.durationSeconds,
    access: t.access,
    album: null,
    trackNumber: null,
  };
}

/** A track of another node listed here (a followed actor's playlist names these). */
export function rowFromRemote(t: RemoteTrack): TrackRow {
  return {
    id: t.id,
    origin: 'remote',
    kind: t.kind,
    title: t.title,
    artist: t.artist,
    channelName: t.host,
    channelHref: null,
    channelHandle: null,
    href: `/remote/${encodeURIComponent(t.id)}`,
    coverUrl: t.coverUrl,
    durationSeconds: t.durationSeconds,
    access: t.access.mode,
    album: t.album,
    trackNumber: t.position,
  };
}

/** "Artist · Channel", or one of them when they are the same or one is missing. */
export function bylineText(r: Pick<TrackRow, 'artist' | 'channelName'>): string {
  if (r.artist && r.channelName && r.artist !== r.channelName) return `${r.artist} · ${r.channelName}`;
  return r.artist || r.channelName || 'Unknown artist';
}

/** What the player queues of a row. */
export function queueItem(r: TrackRow): QueueItem {
  return { id: r.id, origin: r.origin, title: r.title, artist: r.artist || r.channelName, coverUrl: r.coverUrl, durationSeconds: r.durationSeconds };
}

/** Only this node's tracks go into a playlist (the node keeps playlists of its own tracks). */
export const mayAddToPlaylist = (r: Pick<TrackRow, 'origin'>): boolean => r.origin === 'local';

export const albumPath = (channelName: string, album: string): string => `${channelPath(channelName)}/albums/${encodeURIComponent(album)}`;
export const genrePath = (genre: string): string => `/genres/${encodeURIComponent(genre)}`;
export const playlistPath = (id: string): string => `/playlists/${encodeURIComponent(id)}`;
export const searchPath = (q: string): string => `/search?q=${encodeURIComponent(q.trim())}`;

/** A remote playlist's page here (it has no id of this node: its URI and its actor name it). */
export const remotePlaylistPath = (uri: string, actorUri: string): string => `/playlists/remote?${new URLSearchParams({ uri, actor: actorUri })}`;

/** Is this query an address to look up (a URL or @name@host) rather than words to search for? */
export function isAddressQuery(q: string): boolean {
  const s = q.trim();
  return /^https?:\/\/\S+$/i.test(s) || /^@?[\w.-]+@[\w-]+(\.[\w-]+)*(:\d+)?$/.test(s);
}

/** The list with the item at `from` moved to `to` (both clamped); the same list when nothing moves. */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length) return out;
  const target = Math.min(Math.max(0, to), out.length - 1);
  if (target === from) return out;
  const [item] = out.splice(from, 1);
  out.splice(target, 0, item);
  return out;
}

/** The spoken line after a move: "Opening moved to position 2 of 5." */
export const movedText = (title: string, position: number, total: number): string => `${title} moved to position ${position} of ${total}.`;

/** The ids of a playlist with these appended (the node keeps each track once). */
export function withTracks(ids: readonly string[], added: readonly string[]): { ids: string[]; added: number } {
  const have = new Set(ids);
  const fresh = added.filter((id, i) => !have.has(id) && added.indexOf(id) === i);
  return { ids: [...ids, ...fresh], added: fresh.length };
}

/** How many of something, in words: "1 track", "12 tracks". */
export const countText = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** A search the node refused, in words. */
export function searchErrorMessage(p: { status: number; code?: string; detail?: string }): string {
  switch (p.status) {
    case 400:
      return 'Type something to search for.';
    case 401:
      return 'Log in to look up an address or @name@host on another node. Searching by words works signed out.';
    case 422:
      if (p.code === 'private_address') return 'That address is on a private network; this node does not fetch from there.';
      if (p.code === 'unsupported_object') return 'That address is not a track or a channel.';
      return 'Nothing found at that address: the server did not answer, or has no such track or channel.';
    case 429:
      return 'Too many lookups, try again in a minute.';
  }
  if (p.status >= 500) return `The node had a problem (${p.status}). Try again later.`;
  return p.detail?.trim() || `Search failed (${p.status}).`;
}

/** How long ago, in words: "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", else the date. */
export function agoText(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  const days = Math.floor(seconds / 86_400);
  if (days === 1) return 'yesterday';
  if (days < 30) return `${days} days ago`;
  return then.toISOString().slice(0, 10);
}

/** A followed actor's playlist as GET /api/v1/federation/playlists lists it (its items as track URIs). */
export interface RemotePlaylist {
  uri: string;
  actorUri: string;
  name: string;
  summary: string | null;
  items: { uri: string; trackId: string | null }[];
  updatedAt: string;
}

/** Who may reorder and edit a playlist here: its owner, or an admin. */
export const mayEditPlaylist = (p: { owner: { id: string } }, user: { id: string; role: string } | null | undefined): boolean => !!user && (user.id === p.owner.id || user.role === 'admin');

/** The host of an actor or object URI ("b.example"), or the text itself when it is no URL. */
export function hostOf(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return uri;
  }
}
