// A channel published a track (or a playlist): Create to its followers. 9ten and
// Funkwhale-style software get the AudioTrack; everyone else gets a Note with the audio
// attached and a link.
import type { FederationService } from '../service.js';
import type { TrackView } from '../runtime.js';
import { trackNote, trackObject, playlistObject, type PlaylistView } from '../objects.js';
import { AS_PUBLIC } from '../vocabulary.js';

export function isFederatedTrack(track: TrackView): boolean {
  return (track.visibility ?? 'public') === 'public' && (track.status == null || ['ready', 'published'].includes(track.status));
}

export async function sendCreateTrack(svc: FederationService, track: TrackView) {
  const channel = await svc.actors.forChannel(track.channel.id);
  if (!channel) return undefined;
  const object = trackObject(svc.rt, track);
  const note = trackNote(svc.rt, track);
  const address = { to: [AS_PUBLIC], cc: [`${channel.uri}/followers`] };
  return svc.delivery.queue({
    actorUri: channel.uri,
    activity: { type: 'Create', actor: channel.uri, object, published: object.published, ...address },
    fallback: { type: 'Create', actor: channel.uri, object: note, published: object.published, ...address },
    // Nodes that follow this node get every public track of its channels too.
    toFollowersOf: [channel.uri, svc.rt.instanceActorUri()],
    public: true,
    objectUri: object.id as string,
  });
}

/** The local actor that publishes a playlist: its channel, or its owner (a listener). */
export async function playlistActor(svc: FederationService, playlist: PlaylistView) {
  return playlist.owner.kind === 'channel' ? svc.actors.forChannel(playlist.owner.id) : svc.actors.forUser(playlist.owner.id);
}

export async function sendCreatePlaylist(svc: FederationService, playlist: PlaylistView) {
  const actor = await playlistActor(svc, playlist);
  if (!actor) return undefined;
  const object = playlistObject(svc.rt, { ...playlist, actorUri: actor.uri });
  return svc.delivery.queue({
    actorUri: actor.uri,
    activity: { type: 'Create', actor: actor.uri, object, to: [AS_PUBLIC], cc: [`${actor.uri}/followers`] },
    toFollowersOf: actor.uri,
    public: true,
    objectUri: object.id as string,
  });
}
