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
}
