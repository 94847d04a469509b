// A remote actor updated a track, a playlist, a campaign or its own profile.
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf, typesOf } from '../vocabulary.js';

const actorTypes = ['Person', 'Group', 'Service', 'Application', 'Organization'];

export async function processUpdate(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const object = activity.object as Record<string, unknown>;
  const types = typesOf(object.type);
  if (types.some((t) => actorTypes.includes(t))) {
    if (idOf(object) !== actorUri) return 'ignored';
    await svc.remote.actor(actorUri, { refresh: true });
    return 'processed';
  }
  const known = await svc.tracks.byUri(idOf(object) ?? '');
  if (types.includes('Audio') || types.includes('Video')) {
    if (!known && !(await svc.tracks.followedHere(actorUri))) return 'ignored';
    return (await svc.tracks.upsert(actorUri, object)) ? 'processed' : 'ignored';
  }
  if (types.includes('Campaign')) {
    if (!(await svc.campaigns.has(idOf(object) ?? '', actorUri)) && !(await svc.tracks.followedHere(actorUri))) return 'ignored';
    return (await svc.campaigns.upsert(actorUri, object)) ? 'processed' : 'ignored';
  }
  if (types.includes('Playlist') && (await svc.tracks.followedHere(actorUri))) {
    await svc.tracks.upsertPlaylist(actorUri, object);
    return 'processed';
  }
  return 'ignored';
}
