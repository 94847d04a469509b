// The shapes of media's records: channels and tracks as stored, as the API and the other
// capabilities see them, and the segment-served event.
import type { Loudness, Rendition } from './transcode.js';
import type { ProbedMedia } from './probe.js';
import type { ProgressiveAudio } from './progressive.js';
import type * as api from '../../shared/api/index.js';

export const licenses = [
  'cc0-1.0',
  'cc-by-4.0',
  'cc-by-sa-4.0',
  'cc-by-nd-4.0',
  'cc-by-nc-4.0',
  'cc-by-nc-sa-4.0',
  'cc-by-nc-nd-4.0',
  'all-rights-reserved',
] as const;
export type License = (typeof licenses)[number];
export const visibilities = ['public', 'unlisted', 'private'] as const;
export type Visibility = (typeof visibilities)[number];
/** Who may play a track's segments: whoever may see it, subscribers only, or pay as you play. */
export const accessModes = ['free', 'subscribers', 'metered'] as const;
export type AccessMode = (typeof accessModes)[number];
/** The most a minute of one rendition may cost, in minor units. */
export const maxPricePerMinute = 100_000;
export type TrackStatus = 'processing' | 'ready' | 'failed';
export type TrackKind = 'audio' | 'video';

export type Channel = api.Channel;

export type RenditionView = api.Rendition;

/** A track as the API shows it (api.Track), plus what only the node knows: the channel's owner and the files' folder. */
export type TrackView = Omit<api.Track, 'channel'> & {
  channel: api.ChannelRef & { ownerId: string };
  /** The track's streaming folder on disk (HLS, torrents, waveform). */
  filesDir: string;
};

/** One media segment actually served (response finished with 200/206). */
export interface SegmentServed {
  trackId: string;
  rendition: string;
  segmentIndex: number;
  segmentStartSeconds: number;
  segmentDurationSeconds: number;
  bytes: number;
  /** Where the response's bytes start in the segment file (a 206's Content-Range; 0 for a 200). */
  byteStart?: number;
  /** The whole segment file's size. Listening credits bytes / segmentBytes of the segment's time span; absent: the whole segment was served. */
  segmentBytes?: number;
  userId: string | null;
  sessionId: string | null;
  ip: string;
  userAgent: string | null;
  at: Date;
}

export interface ListTracksQuery {
  channel?: string;
  /** Only these channels (by id). */
  channelIds?: string[];
  kind?: TrackKind;
  limit?: number;
  offset?: number;
  /** The viewer: their own tracks are listed whatever their state. */
  viewerId?: string | null;
}

/** A media_tracks row with its channel's name, display name and owner. */
export interface TrackRow {
  id: string;
  channel_id: string;
  channel_name: string;
  channel_display_name: string;
  owner_id: string;
  kind: TrackKind;
  title: string;
  artist: string | null;
  album: string | null;
  track_number: number | null;
  genre: string | null;
  license: License;
  visibility: Visibility;
  allow_download: boolean;
  access: AccessMode;
  /** Metered tracks: rendition name → minor units per minute ({} otherwise). */
  prices_per_minute: Record<string, number>;
  status: TrackStatus;
  progress: number;
  failure_reason: string | null;
  original_file: string;
  original_mime: string;
  duration_seconds: number | null;
  integrated_lufs: number | null;
  true_peak_dbtp: number | null;
  lra: number | null;
  cover_file: string | null;
  probe: ProbedMedia | null;
  renditions: StoredRendition[];
  /** Written by the transcode; the streaming hot path reads it (streaming.ts). */
  segment_timeline: SegmentTimeline | null;
  /** The progressive file (progressive.ts), or null: not made (yet) or no audio. */
  progressive_audio: ProgressiveAudio | null;
  created_at: Date;
  published_at: Date | null;
  /** The BullMQ job carrying a processing track; null while it waits in the owner's fair-share line (transcode-queue.ts). */
  transcode_job_id: string | null;
  /** Hidden by a moderator (moderation.ts): only its owner, admins and moderators see it, whatever its visibility. */
  hidden: boolean;
}

/** What the tracks table keeps per rendition (the segment timeline is stored apart). */
export type StoredRendition = Omit<Rendition, 'segments' | 'init'> & { segmentCount: number };

/** Per rendition: [startSeconds, durationSeconds] per segment index. */
export type SegmentTimeline = Record<string, [number, number][]>;
