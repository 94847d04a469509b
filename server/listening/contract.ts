// What other capabilities may ask of listening, and the port listening needs from the
// capability that plays other nodes' tracks (federation knows listening, so listening may not
// know federation: node.ts wires the provider in).
import type { HeldListenEvidence, Listen, ListenSource, Progress, ProgressResult, QualifiedSecondsRow, RemoteListen, SegmentServed, SubmitOutcome, SubmittedListen } from './service.js';

/**
 * Bytes of a file that holds the whole track (or the part from `startSeconds`) served to a play
 * session: a Subsonic stream, a progressive download. The bytes [byteStart, byteStart + bytes)
 * of a file of `fileBytes` stand for their share of the span [startSeconds, startSeconds +
 * durationSeconds], as a 206 of a segment does; without `fileBytes` the whole span was served.
 */
export interface RangeServed {
  sessionId: string;
  userId: string;
  trackId: string;
  /** Which file (e.g. `original`, `mp3-128`): shown in a held listen's evidence. */
  file: string;
  startSeconds: number;
  durationSeconds: number;
  bytes: number;
  byteStart?: number;
  fileBytes?: number;
  ip: string | null;
  userAgent: string | null;
  at: Date;
}

/** A track of another node, played through this node. */
export interface RemoteTrackForListening {
  id: string;
  /** The remote channel's actor URI: the artist listening counts and money pays. */
  artistUri: string;
  durationSeconds: number | null;
}

/** Listening's port for remote tracks (provided by federation, wired in node.ts). */
export interface RemoteTracksPort {
  trackForListening(id: string): Promise<RemoteTrackForListening | undefined>;
}

/** A live stream of this node, as listening counts it (its segments are served on a timeline of seq × segment length). */
export interface LiveStreamForListening {
  id: string;
  channelId: string;
  ownerId: string;
  /** The channel's actor URI: the artist listening counts and money pays. */
  artistUri: string;
  /** Whether it is live now (a play starts only then). */
  live: boolean;
}

/** Listening's port for live streams (provided by live, wired in node.ts). */
export interface LiveStreamsPort {
  streamForListening(id: string): Promise<LiveStreamForListening | undefined>;
}

export interface ListeningApi {
  /** The listener's pseudonym for a month: HMAC under the node's secret of that month (the node's one pseudonym store). */
  pseudonym(userId: string, month: string): Promise<string>;
  /** Qualified seconds per listener and artist in a month (counted and held), for month close. */
  qualifiedSeconds(month: string): Promise<QualifiedSecondsRow[]>;
  /** Qualified listens per track since a time, most first (local listens and Listens other nodes reported), of one local channel when given; discovery's trending. */
  trending(since: Date, limit: number, channelId?: string): Promise<{ trackId: string; listens: number }[]>;
  /** The tracks a listener played last (local or remote track ids), newest first, from the last 90 days. */
  recentTracks(userId: string, limit: number): Promise<{ trackId: string; playedAt: string }[]>;
  /** The held listens of a listener for an artist in a month, with their serve-log figures. */
  heldListens(userId: string, artist: string, month: string): Promise<HeldListenEvidence[]>;
  /** A decided dispute: count a held listen after all, or reject it for good (409 not_held when it is no longer held). */
  resolveHeldListen(listenId: string, decision: 'counted' | 'rejected'): Promise<void>;
  getListen(id: string): Promise<Listen | undefined>;
  /** A Listen activity from another node for a local track (refused with 422 past its caps). */
  recordRemoteListen(input: RemoteListen): Promise<{ created: boolean }>;
  /** Starts a play session for a listener (the web player's POST /api/v1/plays; an app's stream). 404 when they may not play the track. */
  startPlay(user: { id: string; role: string }, trackId: string, client: { ip: string | null; userAgent: string | null }): Promise<{ sessionId: string; trackId: string }>;
  /** A progress report of a session: what of the claimed playback the served bytes cover. */
  reportProgress(userId: string, sessionId: string, input: Progress): Promise<ProgressResult>;
  /** A range of a whole-track file served to a play session (hot path: buffered, never throws). */
  recordRangeServed(e: RangeServed): void;
  /**
   * Listens an app says were played (ListenBrainz, Subsonic scrobble): stored for the listener's
   * statistics; one that matches a play session this node served confirms it, and with
   * `reportProgress` claims the whole track for it (only served bytes cover the claim). They never
   * count otherwise.
   */
  submitListens(userId: string, source: ListenSource, listens: SubmittedListen[], opts: { reportProgress: boolean }): Promise<SubmitOutcome>;
  /** A served segment of a remote track (federation's cache serves it). */
  recordSegmentServed(e: SegmentServed): void;
  /** Wires the remote-track port (node.ts, once). */
  useRemoteTracks(port: RemoteTracksPort): void;
  /** Wires the live-streams port (node.ts, once). */
  useLiveStreams(port: LiveStreamsPort): void;
}
