// A local listener's qualified listen of a REMOTE track: Listen (AS2 core) to the track's
// home node, carrying the qualified seconds, so the artist's node sees plays from everywhere.
// Mastodon and others ignore Listen; only the home node receives it.
import type { FederationService } from '../service.js';

export interface ListenInput {
  userId: string;
  /** The remote track: our id for it, or its ActivityPub URI. */
  remoteTrackId?: string;
  trackUri?: string;
  qualifiedSeconds: number;
  at?: string;
}

export async function sendListen(svc: FederationService, input: ListenInput) {
  const track = input.remoteTrackId ? await svc.tracks.byId(input.remoteTrackId) : input.trackUri ? await svc.tracks.byUri(input.trackUri) : undefined;
  if (!track) throw new Error('Listen: unknown remote track');
  const listener = await svc.actors.forUser(input.userId);
  const at = input.at ?? new Date().toISOString();
  return svc.delivery.queue({
    actorUri: listener.uri,
    activity: {
      type: 'Listen',
      actor: listener.uri,
      object: track.uri,
      qualifiedSeconds: Math.max(0, Math.round(input.qualifiedSeconds)),
      published: at,
      endTime: at,
      to: [track.actorUri],
    },
    toActors: [track.actorUri],
    objectUri: track.uri,
  });
}
