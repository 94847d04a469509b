// What other capabilities may ask of media, and the events it emits to them.
import type { Channel, SegmentServed, SegmentTimeline, TrackView } from './model.js';
import type { PlaylistView } from './playlists.js';

/** A ready track whose segments are not free, as the segment access gate sees it. */
export interface GatedTrack {
  id: string;
  ownerId: string;
  channelName: string;
  title: string;
  access: 'subscribers' | 'metered';
  /** Rendition name → minor units per minute (metered). */
  pricesPerMinute: Record<string, number>;
  renditions: { name: string; segmentCount: number; bitrateKbps?: number; height?: number }[];
  /** Per rendition: [startSeconds, durationSeconds] per segment index. */
  timeline: SegmentTimeline;
}

/** What the payment side answers for one metered segment: serve it, or refuse with a challenge. */
export type PaymentDecision =
  | { ok: true }
  | {
      ok: false;
      /** 401: the credential is not valid here (forged, malformed, another track); 402: pay (none, expired, outside its span or renditions). */
      status: 401 | 402;
      code: string;
      message: string;
      /** The WWW-Authenticate value: a fresh L402 challenge for this segment's span (made when asked: it costs a macaroon). */
      challenge: () => string;
      details?: Record<string, unknown>;
    };

/**
 * Who may play the segments of tracks that are not free (media's port, provided by money):
 * subscribers, and payers of metered spans (L402). `payment` is synchronous: it runs on the
 * streaming hot path and decides from the credential alone.
 */
export interface SegmentAccessPort {
  isSubscriber(userId: string): boolean | Promise<boolean>;
  payment(track: GatedTrack, rendition: string, index: number, authorization: string | undefined): PaymentDecision;
}

export interface MediaApi {
  getChannel(idOrName: string): Promise<Channel | undefined>;
  getTrack(id: string): Promise<TrackView | undefined>;
  getPlaylist(id: string): Promise<PlaylistView | undefined>;
  /** A ready track whose segments are not free (undefined: no such track, not ready, private or free). */
  gatedTrack(id: string): Promise<GatedTrack | undefined>;
  /** SHA-256 (hex) of every segment of a ready track's rendition, by index (the published segment-hashes.json). */
  segmentHashes(trackId: string, rendition: string): Promise<string[] | undefined>;
  /** Wires the segment access port (node.ts, once). */
  useSegmentAccess(port: SegmentAccessPort): void;
  /** Event: a segment of a local track was served in full or in part (every 200/206). */
  onSegmentServed(listener: (e: SegmentServed) => void): void;
  /** Event: a channel was made (after commit). */
  onChannelCreated(listener: (c: Channel) => void | Promise<void>): void;
}
