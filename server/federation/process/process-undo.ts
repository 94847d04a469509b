// A remote actor undoes its Follow, Like or Announce.
import { select } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf, typesOf } from '../vocabulary.js';

export async function processUndo(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const object = activity.object as unknown;
  const objectId = idOf(object);
  const types = object && typeof object === 'object' ? typesOf((object as { type?: unknown }).type) : [];
  const target = object && typeof object === 'object' ? idOf((object as { object?: unknown }).object) : undefined;
  if (types.includes('Follow') || !types.length) {
    const rows = await select(
      svc.rt.db,
      `DELETE FROM federation_follows WHERE follower_uri = :actor AND NOT local_follower AND (activity_uri = :id OR following_uri = :target) RETURNING id`,
      { actor: actorUri, id: objectId ?? '', target: target ?? '' },
    );
    if (rows.length) return 'processed';
  }
  const rows = await select(
    svc.rt.db,
    `DELETE FROM federation_reactions WHERE actor_uri = :actor AND NOT local_actor AND (activity_uri = :id OR (object_uri = :target AND type = ANY(CAST(:types AS text[])))) RETURNING activity_uri`,
    { actor: actorUri, id: objectId ?? '', target: target ?? '', types: `{${types.filter((t) => /^\w+$/.test(t)).join(',')}}` },
  );
  return rows.length ? 'processed' : 'ignored';
}
