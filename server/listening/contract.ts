// What other capabilities may ask of listening, and the port listening needs from the
// capability that plays other nodes' tracks (federation knows listening, so listening may not
// know federation: node.ts wires the provider in).
import type { HeldListenEvidence, Listen, QualifiedSecondsRow, RemoteListen, SegmentServed } from './service.js';

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
  /** A served segment of a remote track (federation's cache serves it). */
  recordSegmentServed(e: SegmentServed): void;
  /** Wires the remote-track port (node.ts, once). */
  useRemoteTracks(port: RemoteTracksPort): void;
  /** Wires the live-streams port (node.ts, once). */
  useLiveStreams(port: LiveStreamsPort): void;
}
