// A remote actor deleted a track, a playlist or itself.
import { execute } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';

export async function processDelete(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const objectId = idOf(activity.object);
  if (!objectId) return 'ignored';
  if (objectId === actorUri) {
    await svc.tracks.removeAllOf(actorUri);
    await execute(svc.rt.db, 'DELETE FROM federation_remote_campaigns WHERE actor_uri = :a', { a: actorUri });
    await execute(svc.rt.db, 'DELETE FROM federation_follows WHERE follower_uri = :a OR following_uri = :a', { a: actorUri });
    await execute(svc.rt.db, 'DELETE FROM federation_remote_actors WHERE uri = :a', { a: actorUri });
    return 'processed';
  }
  const removed = (await svc.tracks.remove(objectId, actorUri)) || (await svc.tracks.removePlaylist(objectId, actorUri)) || (await svc.campaigns.remove(objectId, actorUri));
  return removed ? 'processed' : 'ignored';
}
