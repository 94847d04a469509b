// A local listener's qualified listen of a REMOTE track: Listen (AS2 core) to the track's
// home node, carrying the qualified seconds, so the artist's node sees plays from everywhere.
// Mastodon and others ignore Listen; only the home node receives it.
import { createHash } from 'node:crypto';
import type { FederationService } from '../service.js';

export interface ListenInput {
  userId: string;
  /** The local listen reported: its Listen gets an activity id derived from it, so it goes out once however often it is emitted. */
  listenId?: string;
  /** The remote track: our id for it, or its ActivityPub URI. */
  remoteTrackId?: string;
  trackUri?: string;
  qualifiedSeconds: number;
  at?: string;
}

/** A name-based UUID (RFC 9562 version 8 layout) for the Listen of one local listen. */
function listenActivityId(listenId: string): string {
  const h = createHash('sha256').update(`listen:${listenId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function sendListen(svc: FederationService, input: ListenInput) {
  const track = input.remoteTrackId ? await svc.tracks.byId(input.remoteTrackId) : input.trackUri ? await svc.tracks.byUri(input.trackUri) : undefined;
  if (!track) throw new Error('Listen: unknown remote track');
  const listener = await svc.actors.forUser(input.userId);
  const at = input.at ?? new Date().toISOString();
  return svc.delivery.queue({
    id: input.listenId ? listenActivityId(input.listenId) : undefined,
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
