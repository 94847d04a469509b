// What other capabilities may ask of federation, and the port federation needs from the
// capability that reviews disputes (disputes knows federation, so federation may not know
// disputes: node.ts wires the provider in).
import type { Transaction } from 'sequelize';
import type { RemoteTrackForListening } from '../listening/contract.js';
import type { RemoteArtistsPort } from '../money/contract.js';
import type { RelayPort } from '../media/contract.js';
import type * as api from '../../shared/api/index.js';

/** Federation's port for dispute Flags (provided by disputes, wired in node.ts). */
export interface FlagReceiver {
  /** Whether an incoming Flag is a dispute review request (the rest are moderation reports). */
  isDisputeFlag(activity: Record<string, unknown>): boolean;
  /** A verified dispute Flag from another node's actor (4xx AppError: refused). */
  receiveFlag(activity: unknown, verifiedActorUri: string): Promise<{ created: boolean }>;
}

/** A moderation report that came from another server as a Flag (not a dispute review). */
export interface IncomingReport {
  /** The Flag's id (a redelivered Flag is one report). */
  activityId: string;
  /** The actor whose HTTP signature verified (the reporting server's actor, or a person on it). */
  actorUri: string;
  /** What is reported: URIs of this node's objects (tracks, channels, playlists, accounts). */
  objectUris: string[];
  /** The reason, as the other server wrote it (plain text, sanitised). */
  content: string;
}

/** Federation's port for moderation Flags (provided by moderation, wired in node.ts). */
export interface ReportReceiver {
  receiveReport(report: IncomingReport): Promise<{ created: boolean }>;
}

/** A report forwarded to the server whose content it is about, as a Flag from the instance actor. */
export interface OutgoingFlag {
  /** The remote actor whose content it is (its inbox, or its server's shared inbox, receives the Flag). */
  targetActorUri: string;
  /** What is reported (remote object URIs, the actor's among them when the account itself is reported). */
  objectUris: string[];
  content: string;
}

/** Deliveries to one remote host (the admin's view of federation health), as the API describes it. */
export type DeliveryHealth = api.DeliveryHealth;

/** What a remote object is, as this node knows it (cached; fetched when unknown). */
export interface RemoteObjectInfo {
  uri: string;
  kind: 'track' | 'channel' | 'playlist' | 'account' | 'other';
  name: string | null;
  /** The actor it belongs to (itself, for an account or channel). */
  actorUri: string;
  host: string;
}

/** A local channel's live stream started or ended (sent as a Stream activity to its followers). */
export interface StreamAnnouncement {
  /** The channel (id or name) that streams. */
  channel: string;
  streamId: string;
  state: 'started' | 'ended';
  name: string;
  /** Where to watch (the live page). */
  url?: string;
  /** The HLS master playlist (a start): followers' nodes play it through their cache. */
  hls?: string;
  at?: string;
}

/** A followed channel on another node that is live now (its Stream start arrived, its end has not). */
export type RemoteLiveStream = api.LiveDirectory['remote'][number];

export interface FederationApi extends RemoteArtistsPort, RelayPort {
  /** The node's instance actor, which signs what the node itself sends. */
  instanceActorUri(): string;
  /**
   * Queues an activity from the instance actor to one remote actor's inbox, delivered after
   * `t` commits. `inboxes` is 0 when no inbox was found for the actor.
   */
  sendFromInstance(t: Transaction, toActorUri: string, activity: Record<string, unknown>): Promise<{ uri: string; inboxes: number }>;
  /** A track of another node this node plays through its cache (listening's remote-track port). */
  trackForListening(id: string): Promise<RemoteTrackForListening | undefined>;
  /** Tells the channel's followers (and Mastodon) that a live stream started or ended. */
  announceStream(input: StreamAnnouncement): Promise<void>;
  /** Live streams of channels someone on this node follows, newest first. */
  followedLiveStreams(): Promise<RemoteLiveStream[]>;
  /** Wires the dispute-Flag port (node.ts, once). */
  useFlagReceiver(receiver: FlagReceiver): void;
  /** Wires the moderation-report port (node.ts, once). */
  useReportReceiver(receiver: ReportReceiver): void;
  /** Forwards a report to another server as a Flag from the instance actor. */
  sendFlag(flag: OutgoingFlag): Promise<{ uri: string; inboxes: number }>;
  /** What a remote object is (undefined: not a URI federation can resolve). */
  describeRemote(uri: string): Promise<RemoteObjectInfo | undefined>;
  /** Blocks a remote actor or a whole domain (moderation; the existing admin block list). */
  block(kind: 'actor' | 'domain', value: string, reason?: string): Promise<void>;
  /** Delivery health per remote host, worst first. */
  deliveryHealth(): Promise<DeliveryHealth[]>;
}
