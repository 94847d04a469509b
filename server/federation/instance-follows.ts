// Instance follows, as PeerTube has them: this node's instance actor follows another node's
// instance actor, and every public track of that node's channels then comes here without anyone
// following each channel. The followed side accepts at once or waits for its admin
// (federation.instanceFollowers); either side ends it (Undo from the follower, Reject from the
// followed), and the tracks nobody here follows otherwise are forgotten.
import { select, selectOne } from '../db/index.js';
import { AppError, badRequest, conflict, notFound } from '../http/errors.js';
import type { FederationService } from './service.js';
import { RemoteAddressError } from './remote.js';
import { INSTANCE_ACTOR_NAME } from './actors.js';
import { sendFollow } from './send/send-follow.js';
import { sendUndoFollow } from './send/send-undo.js';
import { sendAccept } from './send/send-accept.js';
import { sendReject } from './send/send-reject.js';
import { hostOf } from './vocabulary.js';
import { isUuid } from '../../shared/ids.js';
import type * as api from '../../shared/api/index.js';

/** Actor types a node's instance actor has (PeerTube's and Mastodon's are Application, 9ten's Service). */
export const INSTANCE_ACTOR_TYPES = new Set(['Application', 'Service']);

export type InstanceFollow = api.InstanceFollow;

interface Row {
  id: string;
  follower_uri: string;
  following_uri: string;
  state: InstanceFollow['state'];
  activity_uri: string;
  created_at: Date;
  updated_at: Date;
  host: string | null;
  software: string | null;
}

const HOST = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:\d{1,5})?$/i;

export class InstanceFollows {
  constructor(private readonly svc: FederationService) {}

  private get instance(): string {
    return this.svc.rt.instanceActorUri();
  }

  private view(r: Row, other: string): InstanceFollow {
    return {
      id: r.id, host: r.host ?? hostOf(other), actor: other, software: r.software, state: r.state,
      createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  private async rows(where: string, params: Record<string, unknown>, otherColumn: 'follower_uri' | 'following_uri'): Promise<{ row: Row; view: InstanceFollow }[]> {
    const rows = await select<Row>(
      this.svc.rt.db,
      `SELECT f.*, ra.host, ra.software FROM federation_follows f LEFT JOIN federation_remote_actors ra ON ra.uri = f.${otherColumn}
        WHERE ${where} ORDER BY f.created_at DESC LIMIT 1000`,
      { ...params, instance: this.instance },
    );
    return rows.map((row) => ({ row, view: this.view(row, row[otherColumn]) }));
  }

  /** The nodes this node follows. */
  async following(): Promise<InstanceFollow[]> {
    return (await this.rows('f.follower_uri = :instance AND f.local_follower', {}, 'following_uri')).map((r) => r.view);
  }

  /** The nodes that follow this node (pending ones wait for an admin when federation.instanceFollowers is manual). */
  async followers(): Promise<InstanceFollow[]> {
    // A refused follow (a person, not a node) is kept as rejected, not listed.
    return (await this.rows(`f.following_uri = :instance AND NOT f.local_follower AND f.state <> 'rejected'`, {}, 'follower_uri')).map((r) => r.view);
  }

  /** The instance actor of a node named by its host, a URL on it, or its instance actor's URL or handle. */
  async resolve(target: string): Promise<string> {
    const input = target.trim();
    const remote = this.svc.remote;
    const fail = (err: unknown): never => {
      if (err instanceof RemoteAddressError) throw new AppError(422, 'private_address', err.message);
      throw new AppError(422, 'unresolvable', `Could not find a node at ${input}: ${(err as Error).message}`);
    };
    let host: string;
    if (/^https?:\/\//i.test(input)) {
      let url: URL;
      try {
        url = new URL(input);
      } catch {
        throw badRequest('invalid_host', 'That is not a URL');
      }
      // An actor's URL (not the site's root): take it as the instance actor.
      if (url.pathname.length > 1) return this.checkInstanceActor(input).catch(fail);
      host = url.host.toLowerCase();
    } else {
      const handle = /^@?([^@\s]+)@([^@\s/]+)$/.exec(input);
      if (handle) return this.checkInstanceActor(await remote.resolveHandle(input).catch(fail)).catch(fail);
      host = input.toLowerCase().replace(/\/+$/, '');
    }
    if (!HOST.test(host)) throw badRequest('invalid_host', 'A node is named by its host (music.example.org), its URL, or its instance actor');
    // 9ten's instance actor, then Mastodon's (host@host), then PeerTube's.
    const bare = host.replace(/:\d+$/, '');
    let lastError: unknown;
    for (const name of [INSTANCE_ACTOR_NAME, bare, 'peertube']) {
      try {
        return await this.checkInstanceActor(await remote.resolveHandle(`${name}@${host}`));
      } catch (err) {
        if (err instanceof RemoteAddressError) fail(err);
        lastError = err;
      }
    }
    return fail(lastError ?? new Error('no instance actor'));
  }

  /**
   * Whether `actorUri` is its host's instance actor: an Application or Service that the host's
   * WebFinger names as its instance (a bot account is a Service too, but not the node).
   */
  async isInstanceActor(actorUri: string): Promise<boolean> {
    try {
      return (await this.resolve(hostOf(actorUri))) === actorUri;
    } catch {
      return false;
    }
  }

  private async checkInstanceActor(uri: string): Promise<string> {
    // This node's own instance actor (its host named): not fetched as a remote one; follow() refuses it.
    if (this.svc.rt.isLocal(uri)) return uri;
    const actor = await this.svc.remote.actor(uri);
    if (!INSTANCE_ACTOR_TYPES.has(actor.type)) throw new Error(`${uri} is a ${actor.type}, not a node's instance actor`);
    return actor.uri;
  }

  /** Follows another node (an admin of this node). Following again one that ended it asks again. */
  async follow(target: string): Promise<InstanceFollow> {
    const actorUri = await this.resolve(target);
    if (this.svc.rt.isLocal(actorUri) || hostOf(actorUri) === this.svc.rt.host) throw badRequest('local_actor', 'That is this node');
    if (await this.svc.blocks.isBlocked(actorUri)) throw new AppError(403, 'blocked', 'That server is blocked by this node');
    const { followId } = await sendFollow(this.svc, this.instance, actorUri);
    return (await this.rows('f.id = :id', { id: followId }, 'following_uri'))[0].view;
  }

  /** Stops following another node: Undo, and its tracks nobody here follows by channel are forgotten. */
  async unfollow(id: string): Promise<void> {
    const found = isUuid(id) ? (await this.rows('f.id = :id AND f.follower_uri = :instance AND f.local_follower', { id }, 'following_uri'))[0] : undefined;
    if (!found) throw notFound('Instance follow');
    await sendUndoFollow(this.svc, this.instance, id);
    // The follow has ended either way; tracks left by a failure here are forgotten when it is
    // followed and unfollowed again, or removed by a block.
    await this.svc.tracks.forgetUnfollowedOn(found.view.host).catch((err) => this.svc.rt.log.warn({ err, host: found.view.host }, 'forgetting an unfollowed node\'s tracks failed'));
  }

  private async incoming(id: string) {
    const found = isUuid(id) ? (await this.rows('f.id = :id AND f.following_uri = :instance AND NOT f.local_follower', { id }, 'follower_uri'))[0] : undefined;
    if (!found) throw notFound('Instance follower');
    return found;
  }

  /** Accepts a node's pending follow (an admin, when federation.instanceFollowers is manual). */
  async accept(id: string): Promise<InstanceFollow> {
    const { row } = await this.incoming(id);
    if (row.state === 'accepted') return (await this.incoming(id)).view;
    if (row.state !== 'pending') throw conflict('not_pending', `This follow is ${row.state}`);
    await this.svc.rt.db.transaction(async (t) => {
      await selectOne(this.svc.rt.db, `UPDATE federation_follows SET state = 'accepted', updated_at = now() WHERE id = :id`, { id }, t);
      await sendAccept(this.svc, this.instance, { id: row.activity_uri }, row.follower_uri, t);
    });
    return (await this.incoming(id)).view;
  }

  /** Refuses a pending follow or ends an accepted one: Reject to the follower, and it gets nothing more. */
  async remove(id: string): Promise<void> {
    const { row } = await this.incoming(id);
    await this.svc.rt.db.transaction(async (t) => {
      await selectOne(this.svc.rt.db, 'DELETE FROM federation_follows WHERE id = :id', { id }, t);
      await sendReject(this.svc, this.instance, { id: row.activity_uri }, row.follower_uri, t);
    });
  }
}
