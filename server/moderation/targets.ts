// What a report is about: a track, channel, playlist or account of this node (by kind and id,
// or by its ActivityPub URI), or another server's (by URI, as federation describes it).
import type { NodeContext } from '../context.js';
import { AppError, notFound } from '../http/errors.js';
import * as uris from '../../shared/actor-uris.js';
import { isUuid } from '../../shared/ids.js';
import { canonicalLocalUri, isLocalUri } from '../../shared/local-uri.js';
import type * as api from '../../shared/api/index.js';
import type { TargetKind } from './model.js';
import type { TargetInput } from './store.js';

export type TargetRef = { kind: TargetKind; id: string } | { uri: string };

const uriOf: Record<TargetKind, (publicUrl: string, id: string) => string> = {
  track: uris.trackUri,
  channel: uris.channelActorUri,
  playlist: uris.playlistUri,
  account: uris.userActorUri,
};

/** The kind and id (or name) an ActivityPub URI of this node names (however it spells the node's URL), or undefined. */
export function localRefOf(publicUrl: string, uri: string): { kind: TargetKind; id: string } | undefined {
  const canonical = canonicalLocalUri(publicUrl, uri);
  if (!canonical) return undefined;
  for (const [kind, of] of Object.entries(uriOf) as [TargetKind, (typeof uriOf)[TargetKind]][]) {
    const prefix = of(publicUrl, '');
    if (!canonical.startsWith(prefix) || canonical.length === prefix.length) continue;
    try {
      return { kind, id: decodeURIComponent(canonical.slice(prefix.length)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Most specific first: a Flag naming a track and its channel is about the track. */
const specificity: TargetKind[] = ['track', 'playlist', 'channel', 'account'];

export class Targets {
  constructor(private readonly ctx: NodeContext) {}

  private get publicUrl(): string {
    return this.ctx.config.publicUrl;
  }

  /**
   * A local object, as `viewer` may see it (a user reports only what they can see; `null`:
   * another server's report, which may name anything that exists here).
   */
  async local(kind: TargetKind, id: string, viewer: api.User | null): Promise<TargetInput | undefined> {
    const { media, accounts } = this.ctx.services;
    const staff = !!viewer && ['admin', 'moderator'].includes(viewer.role);
    const local = (uri: string, rest: Pick<TargetInput, 'id' | 'ownerId' | 'actorUri' | 'name'>): TargetInput => ({ kind, uri, host: null, ...rest });
    switch (kind) {
      case 'track': {
        const track = isUuid(id) ? await media.getTrack(id) : undefined;
        if (!track) return undefined;
        const seen = (track.status === 'ready' && track.visibility !== 'private') || !viewer || staff || viewer.id === track.channel.ownerId;
        if (!seen) return undefined;
        return local(uris.trackUri(this.publicUrl, track.id), { id: track.id, ownerId: track.channel.ownerId, actorUri: uris.channelActorUri(this.publicUrl, track.channel.name), name: track.title });
      }
      case 'channel': {
        const channel = await media.getChannel(id);
        if (!channel) return undefined;
        const uri = uris.channelActorUri(this.publicUrl, channel.name);
        return local(uri, { id: channel.id, ownerId: channel.ownerId, actorUri: uri, name: channel.displayName });
      }
      case 'playlist': {
        const playlist = isUuid(id) ? await media.getPlaylist(id, viewer && !staff ? viewer : undefined) : undefined;
        if (!playlist) return undefined;
        const actorUri = playlist.channel ? uris.channelActorUri(this.publicUrl, playlist.channel.name) : uris.userActorUri(this.publicUrl, playlist.owner.username);
        return local(uris.playlistUri(this.publicUrl, playlist.id), { id: playlist.id, ownerId: playlist.owner.id, actorUri, name: playlist.title });
      }
      case 'account': {
        const user = isUuid(id) ? await accounts.byId(id) : await accounts.byUsername(id);
        if (!user) return undefined;
        const uri = uris.userActorUri(this.publicUrl, user.username);
        return local(uri, { id: user.id, ownerId: user.id, actorUri: uri, name: user.displayName ?? user.username });
      }
    }
  }

  /** Whether a URI is this node's, however it spells the node's URL (resolved without asking anyone). */
  isLocalUri(uri: string): boolean {
    return isLocalUri(this.publicUrl, uri);
  }

  /** What a user's report names; 404 when it is not there for them, 422 when a URI names nothing reportable. */
  async resolve(ref: TargetRef, viewer: api.User): Promise<TargetInput> {
    if ('kind' in ref) return this.found(ref, viewer);
    if (this.isLocalUri(ref.uri)) return this.found(localRefOf(this.publicUrl, ref.uri), viewer);
    const info = await this.ctx.services.federation.describeRemote(ref.uri);
    if (!info) throw new AppError(422, 'unresolvable', `Could not find out what ${ref.uri} is`);
    if (info.kind === 'other') throw new AppError(422, 'not_reportable', 'Only tracks, channels, playlists and accounts can be reported');
    return { kind: info.kind, uri: info.uri, id: null, ownerId: null, actorUri: info.actorUri, host: info.host, name: info.name };
  }

  private async found(ref: { kind: TargetKind; id: string } | undefined, viewer: api.User): Promise<TargetInput> {
    const target = ref && (await this.local(ref.kind, ref.id, viewer));
    if (!target) throw notFound(ref ? kindName(ref.kind) : 'Object');
    return target;
  }

  /** What a Flag from another server names on this node: the most specific object, and the URIs of the others. */
  async ofFlag(objectUris: string[]): Promise<{ target: TargetInput; related: string[] } | undefined> {
    const found: TargetInput[] = [];
    for (const uri of objectUris) {
      const ref = localRefOf(this.publicUrl, uri);
      const target = ref && (await this.local(ref.kind, ref.id, null));
      if (target && !found.some((f) => f.uri === target.uri)) found.push(target);
    }
    if (!found.length) return undefined;
    found.sort((a, b) => specificity.indexOf(a.kind) - specificity.indexOf(b.kind));
    return { target: found[0], related: found.slice(1).map((f) => f.uri) };
  }
}

export const kindName = (kind: TargetKind): string => kind[0].toUpperCase() + kind.slice(1);
