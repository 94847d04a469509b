// What every part of federation shares: the node context, its logger, the Postgres
// key-value store and typed access to the capabilities federation reads from.
import type { NodeContext } from '../context.js';
import type { Logger } from '../logger.js';
import { PostgresKvStore } from './kv-store.js';

/** The parts of media's Track view federation reads (media owns the full type). */
export interface TrackView {
  id: string;
  kind: 'audio' | 'video' | string;
  channel: { id: string; name: string; displayName?: string | null; ownerId?: string | null };
  title: string;
  artist?: string | null;
  album?: string | null;
  trackNumber?: number | null;
  genre?: string | null;
  license?: string | null;
  visibility?: string | null;
  status?: string | null;
  durationSeconds?: number | null;
  coverUrl?: string | null;
  description?: string | null;
  publishedAt?: string | null;
  createdAt?: string | null;
  streaming?: {
    masterPlaylistUrl?: string | null;
    renditions?: { name: string; playlistUrl?: string | null; segmentHashesUrl?: string | null; torrentUrl?: string | null; magnetUri?: string | null; bitrateKbps?: number | null; height?: number | null }[];
  } | null;
}

export interface ChannelView {
  id: string;
  name: string;
  displayName?: string | null;
  description?: string | null;
  ownerId?: string | null;
  avatarUrl?: string | null;
  createdAt?: string | null;
}

/** The media service as federation uses it; every method is optional while media lands. */
export interface MediaLike {
  getTrack?(id: string): Promise<TrackView | undefined | null>;
  getChannel?(idOrName: string): Promise<ChannelView | undefined | null>;
  listChannels?(...args: unknown[]): Promise<unknown>;
  listTracks?(...args: unknown[]): Promise<unknown>;
  onChannelCreated?(listener: (channel: ChannelView) => unknown): void;
  getPlaylist?(id: string): Promise<MediaPlaylist | undefined | null>;
}

/** A playlist as media returns it to an anonymous viewer (only what anyone may see). */
export interface MediaPlaylist {
  id: string;
  name: string;
  description?: string | null;
  visibility?: string;
  channelId?: string;
  channel?: { id?: string; name: string } | null;
  owner?: { id: string; username: string } | null;
  trackIds?: string[];
  tracks?: { id: string; visibility?: string }[];
}

export interface ListeningLike {
  recordSegmentServed?(e: {
    trackId: string; rendition: string; segmentIndex: number; segmentStartSeconds: number; segmentDurationSeconds: number;
    bytes: number; userId: string | null; sessionId: string | null; ip: string | null; userAgent: string | null; at: Date;
  }): void;
  recordRemoteListen?(input: { activityId: string; actorUri: string; trackId: string; seconds: number; at: string }): Promise<{ created: boolean }>;
  getListen?(id: string): Promise<{ id: string; trackId: string; userId?: string | null; status?: string; seconds?: number; qualifiedSeconds?: number; at?: string; qualifiedAt?: string } | undefined | null>;
}

/** Money's subscription as federation reads it (money owns the full type). */
export interface SubscriptionLike {
  id: string;
  userId: string;
  status: string;
  amount: number;
  currency: string;
  currentMonth: string | null;
}

export interface MoneyLike {
  subscriptions?: { byId(id: string): Promise<SubscriptionLike | undefined> };
}

export class FederationRuntime {
  readonly log: Logger;
  readonly kv: PostgresKvStore;

  constructor(readonly ctx: NodeContext) {
    this.log = ctx.logger.child({ component: 'federation' });
    this.kv = new PostgresKvStore(ctx.db);
  }

  get config() {
    return this.ctx.config;
  }
  get db() {
    return this.ctx.db;
  }
  get publicUrl(): string {
    return this.ctx.config.publicUrl;
  }
  get host(): string {
    return new URL(this.ctx.config.publicUrl).host.toLowerCase();
  }
  get media(): MediaLike | undefined {
    return this.ctx.services.media as MediaLike | undefined;
  }
  get listening(): ListeningLike | undefined {
    return this.ctx.services.listening as ListeningLike | undefined;
  }
  get money(): MoneyLike | undefined {
    return this.ctx.services.money as MoneyLike | undefined;
  }

  instanceActorUri(): string {
    return `${this.publicUrl}/ap/actor`;
  }
  channelActorUri(name: string): string {
    return `${this.publicUrl}/ap/channels/${encodeURIComponent(name)}`;
  }
  userActorUri(username: string): string {
    return `${this.publicUrl}/ap/users/${encodeURIComponent(username)}`;
  }
  trackUri(id: string): string {
    return `${this.publicUrl}/ap/tracks/${encodeURIComponent(id)}`;
  }
  playlistUri(id: string): string {
    return `${this.publicUrl}/ap/playlists/${encodeURIComponent(id)}`;
  }
  activityUri(id: string): string {
    return `${this.publicUrl}/ap/activities/${id}`;
  }
  sharedInboxUri(): string {
    return `${this.publicUrl}/ap/inbox`;
  }
  isLocal(uri: string): boolean {
    return uri.startsWith(`${this.publicUrl}/`);
  }
}
