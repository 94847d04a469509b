// A remote actor likes one of our tracks.
import { select } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';

export async function processLike(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const objectUri = idOf(activity.object);
  if (!objectUri || !svc.rt.isLocal(objectUri)) return 'ignored';
  const rows = await select(
    svc.rt.db,
    `INSERT INTO federation_reactions (activity_uri, type, actor_uri, object_uri) VALUES (:id, 'Like', :actor, :o) ON CONFLICT DO NOTHING RETURNING activity_uri`,
    { id: activity.id, actor: actorUri, o: objectUri },
  );
  return rows.length ? 'processed' : 'ignored';
}
