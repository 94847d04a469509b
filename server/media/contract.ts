// What other capabilities may ask of media, and the events it emits to them.
import type { Channel, SegmentServed, SegmentTimeline, TrackView } from './model.js';
import type { PlaylistView } from './playlists.js';
import type { CatalogSearch, LibraryAlbum, LibraryAlbumQuery, LibraryArtist, LibraryTrackQuery } from './catalog.js';
import type { User } from '../accounts/service.js';

export type { LibraryAlbum, LibraryAlbumQuery, LibraryArtist, LibraryTrackQuery, LibraryAlbumOrder, LibraryTrackOrder } from './catalog.js';

/** Where a track's files are on disk (an app's stream transcodes from them). */
export interface TrackFiles {
  original: { path: string; mime: string };
  /** The HLS renditions of a ready track (audio: AAC at bitrateKbps), their media playlists. */
  renditions: { name: string; bitrateKbps: number | null; playlist: string }[];
  cover: string | null;
}
import type { SegmentRefusal } from '../http/segment-refusal.js';

/** A ready track whose segments are not free, as the segment access gate sees it (a local track, or a remote one played through this node's cache). */
export interface GatedTrack {
  /** The local track's id, or the remote track's id here. */
  id: string;
  /** The ActivityPub id of the track. */
  uri: string;
  /** The channel actor paid: a local channel's, or (remote) its home node's. */
  artistUri: string;
  /** The local owner (credited at once), or null for a remote track (an obligation, as remote payouts are). */
  ownerId: string | null;
  title: string;
  access: 'subscribers' | 'metered';
  /** Rendition name → minor units per minute (metered). */
  pricesPerMinute: Record<string, number>;
  renditions: { name: string; segmentCount: number; bitrateKbps?: number; height?: number }[];
  /** Per rendition: [startSeconds, durationSeconds] per segment index. */
  timeline: SegmentTimeline;
}

/**
 * Whether a request may have a segment of a track that is not free: yes, or why not (401: sign
 * in with a subscription, or the L402 credential is not valid here; 402: pay; 403: subscribers
 * only; 404: not a segment of the track). The refusal is the one every segment route answers.
 */
export type AccessDecision = { ok: true } | ({ ok: false } & SegmentRefusal);

/**
 * Which trusted node signed a request (media's port, provided by federation): another node's
 * cache fetching a paid track's segments to play to its own listeners, who pay it, and it owes
 * the artist. Undefined: not signed, not verified, or not a trusted relay.
 */
export interface RelayPort {
  relayOf(req: { method: string; url: string; headers: Record<string, string | string[] | undefined> }): Promise<string | undefined>;
}

/**
 * Who may play the segments of tracks that are not free (media's port, provided by money):
 * subscribers of this node, and payers of metered spans (L402). Synchronous without a user
 * (it runs on the streaming hot path and decides from the credential alone); a user's
 * subscription may need a lookup.
 */
export interface SegmentAccessPort {
  decide(track: GatedTrack, rendition: string, index: number, authorization: string | undefined, userId: string | undefined): AccessDecision | Promise<AccessDecision>;
}

export interface MediaApi {
  getChannel(idOrName: string): Promise<Channel | undefined>;
  getTrack(id: string): Promise<TrackView | undefined>;
  /** Ready public tracks, channels, albums and public playlists matching a text, best first (at most `limit` of each). */
  search(text: string, limit: number): Promise<CatalogSearch>;
  /**
   * Sends a free track's progressive file (the .m4a) with ranges, metered to listening under
   * `who.session` as the static route does; refuses (403/404 problem) before sending anything.
   */
  sendProgressive(trackId: string, req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, who: { userId: string | null; session: string | null; ip: string; userAgent: string | null }): Promise<void>;
  /** Ready public tracks (of these channels, by id, when given), newest published first (discovery's "new on the network"). */
  latestPublicTracks(limit: number, offset: number, channelIds?: string[]): Promise<TrackView[]>;
  getPlaylist(id: string, viewer?: User | null): Promise<PlaylistView | undefined>;
  /** The library as listeners' apps browse it (Subsonic): channels with ready public audio tracks (and the viewer's own). */
  libraryArtists(viewerId: string | null): Promise<LibraryArtist[]>;
  /** Albums of the library (album tags per channel; a channel's untagged tracks are one album, null). */
  libraryAlbums(q: LibraryAlbumQuery): Promise<LibraryAlbum[]>;
  /** Tracks of the library, filtered and ordered. */
  libraryTracks(q: LibraryTrackQuery): Promise<TrackView[]>;
  /** Genres of the ready public tracks, most tracks first. */
  genres(limit: number): Promise<{ name: string; tracks: number }[]>;
  /** A track's files on disk (undefined: no such track). Who may have them is the caller's check. */
  trackFiles(id: string): Promise<TrackFiles | undefined>;
  /** A user's own playlists, every visibility, newest first. */
  playlistsOf(user: User): Promise<PlaylistView[]>;
  createPlaylist(user: User, input: unknown): Promise<PlaylistView>;
  updatePlaylist(user: User, id: string, input: unknown): Promise<PlaylistView>;
  deletePlaylist(user: User, id: string): Promise<void>;
  /** A ready track whose segments are not free (undefined: no such track, not ready, private or free). */
  gatedTrack(id: string): Promise<GatedTrack | undefined>;
  /** SHA-256 (hex) of every segment of a ready track's rendition, by index (the published segment-hashes.json). */
  segmentHashes(trackId: string, rendition: string): Promise<string[] | undefined>;
  /**
   * A recording (a live stream's replay) becomes a track of the channel, transcoded like an
   * upload; the file is moved into media's storage. Refused (MediaRejected) when it is not media.
   */
  importRecording(input: { channelId: string; file: string; title: string; visibility: 'public' | 'unlisted' | 'private' }): Promise<{ trackId: string }>;
  /** Wires the segment access port (node.ts, once). */
  useSegmentAccess(port: SegmentAccessPort): void;
  /** Wires the relay port (node.ts, once). */
  useRelays(port: RelayPort): void;
  /** Event: a segment of a local track was served in full or in part (every 200/206). */
  onSegmentServed(listener: (e: SegmentServed) => void): void;
  /** Event: a channel was made (after commit). */
  onChannelCreated(listener: (c: Channel) => void | Promise<void>): void;
  /**
   * Hides a local track from everyone but its owner and moderators (moderation), or shows it
   * again; undefined when no such track. Hidden tracks leave listings, search, feeds and federation.
   */
  setTrackHidden(trackId: string, hidden: boolean): Promise<TrackView | undefined>;
  /** The local channels a user owns (a deletion, a report about an account). */
  channelsOwnedBy(userId: string): Promise<Channel[]>;
  /** Bytes on disk per kind of media file (originals, streaming renditions, covers, torrents, uploads in progress, ...). */
  diskUse(): Promise<MediaDiskUse>;
}

/** Bytes and files on disk per kind of media file (the admin's view of the machine). */
export interface MediaDiskUse {
  kinds: { kind: string; bytes: number; files: number }[];
  /** When measured (it is cached for a minute: a walk of a large data folder takes time). */
  measuredAt: string;
}
