// A remote actor created a track, a playlist or an investment campaign: list it here when someone
// here follows them (or this node follows their node).
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { hostOf, idOf, typesOf } from '../vocabulary.js';
import { notifyRemoteTrack } from '../notify.js';

export async function processCreate(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const object = activity.object as Record<string, unknown>;
  const types = typesOf(object.type);
  // The owner it names counts only on the sender's own host (never a local actor another node names).
  const named = idOf(object.attributedTo);
  const owner = named && hostOf(named) === hostOf(actorUri) ? named : actorUri;
  if (!(await svc.tracks.followedHere(owner)) && !(await svc.tracks.followedHere(actorUri))) return 'ignored';
  if (types.includes('Audio') || types.includes('Video')) {
    // Through an instance follow the channel may be new here: learn its name for the listing.
    await svc.knowActor(actorUri);
    const track = await svc.tracks.upsert(actorUri, object);
    if (track) await notifyRemoteTrack(svc, [owner, actorUri], track);
    return track ? 'processed' : 'ignored';
  }
  if (types.includes('Campaign')) return (await svc.campaigns.upsert(actorUri, object)) ? 'processed' : 'ignored';
  if (types.includes('Playlist')) {
    await svc.tracks.upsertPlaylist(actorUri, object);
    return 'processed';
  }
  return 'ignored';
}
