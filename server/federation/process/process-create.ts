// A remote actor created a track or a playlist: list it here when someone here follows them.
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf, typesOf } from '../vocabulary.js';

export async function processCreate(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const object = activity.object as Record<string, unknown>;
  const types = typesOf(object.type);
  const owner = idOf(object.attributedTo) ?? actorUri;
  if (!(await svc.tracks.followedHere(owner)) && !(await svc.tracks.followedHere(actorUri))) return 'ignored';
  if (types.includes('Audio') || types.includes('Video')) {
    return (await svc.tracks.upsert(actorUri, object)) ? 'processed' : 'ignored';
  }
  if (types.includes('Playlist')) {
    await svc.tracks.upsertPlaylist(actorUri, object);
    return 'processed';
  }
  return 'ignored';
}
