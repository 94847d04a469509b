// A track or playlist changed: Update to the channel's followers.
import type { FederationService } from '../service.js';
import type { TrackView } from '../runtime.js';
import { trackNote, trackObject, playlistObject, type PlaylistView } from '../objects.js';
import { AS_PUBLIC } from '../vocabulary.js';
import { playlistActor } from './send-create.js';

export async function sendUpdateTrack(svc: FederationService, track: TrackView) {
  const channel = await svc.actors.forChannel(track.channel.id);
  if (!channel) return undefined;
  const object = trackObject(svc.rt, track);
  const address = { to: [AS_PUBLIC], cc: [`${channel.uri}/followers`] };
  return svc.delivery.queue({
    actorUri: channel.uri,
    activity: { type: 'Update', actor: channel.uri, object, ...address },
    fallback: { type: 'Update', actor: channel.uri, object: trackNote(svc.rt, track), ...address },
    // Nodes that follow this node get every public track of its channels too.
    toFollowersOf: [channel.uri, svc.rt.instanceActorUri()],
    public: true,
    objectUri: object.id as string,
  });
}

export async function sendUpdatePlaylist(svc: FederationService, playlist: PlaylistView) {
  const actor = await playlistActor(svc, playlist);
  if (!actor) return undefined;
  const object = playlistObject(svc.rt, { ...playlist, actorUri: actor.uri });
  return svc.delivery.queue({
    actorUri: actor.uri,
    activity: { type: 'Update', actor: actor.uri, object, to: [AS_PUBLIC], cc: [`${actor.uri}/followers`] },
    toFollowersOf: actor.uri,
    public: true,
    objectUri: object.id as string,
  });
}
