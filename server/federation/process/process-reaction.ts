// A remote actor likes (Like) or shares (Announce, a boost) one of our tracks: recorded once
// per activity; anything aimed at another server's object is ignored.
import { select } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';

export function processReaction(type: 'Like' | 'Announce') {
  return async (svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> => {
    const objectUri = idOf(activity.object);
    if (!objectUri || !svc.rt.isLocal(objectUri)) return 'ignored';
    const rows = await select(
      svc.rt.db,
      `INSERT INTO federation_reactions (activity_uri, type, actor_uri, object_uri) VALUES (:id, :type, :actor, :o) ON CONFLICT DO NOTHING RETURNING activity_uri`,
      { id: activity.id, type, actor: actorUri, o: objectUri },
    );
    return rows.length ? 'processed' : 'ignored';
  };
}
