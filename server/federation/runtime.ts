// What every part of federation shares: the node context, its logger, the Postgres
// key-value store, the capabilities federation calls (typed by their contracts) and the
// node's own ActivityPub URIs.
import type { NodeContext } from '../context.js';
import type { Logger } from '../logger.js';
import * as uris from '../../shared/actor-uris.js';
import { isLocalHost, isLocalUri } from '../../shared/local-uri.js';
import { PostgresKvStore } from './kv-store.js';

export type { TrackView } from '../media/index.js';

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
  get media() {
    return this.ctx.services.media;
  }
  get listening() {
    return this.ctx.services.listening;
  }
  get money() {
    return this.ctx.services.money;
  }

  instanceActorUri(): string {
    return uris.instanceActorUri(this.publicUrl);
  }
  channelActorUri(name: string): string {
    return uris.channelActorUri(this.publicUrl, name);
  }
  userActorUri(username: string): string {
    return uris.userActorUri(this.publicUrl, username);
  }
  trackUri(id: string): string {
    return uris.trackUri(this.publicUrl, id);
  }
  playlistUri(id: string): string {
    return uris.playlistUri(this.publicUrl, id);
  }
  activityUri(id: string): string {
    return uris.activityUri(this.publicUrl, id);
  }
  sharedInboxUri(): string {
    return `${this.publicUrl}/ap/inbox`;
  }
  /** Whether a URI is this node's, however it spells the node's URL (case, default port, IPv4 forms). */
  isLocal(uri: string): boolean {
    return isLocalUri(this.publicUrl, uri);
  }
  /** Whether a host (`name` or `name:port`) is this node's. */
  isLocalHost(host: string): boolean {
    return isLocalHost(this.publicUrl, host);
  }
}
