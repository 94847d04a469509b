// A remote actor accepted our Follow: mark it, then list that artist's existing tracks.
import { selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';

export async function processAccept(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const follow = activity.object as unknown;
  const followId = idOf(follow);
  const follower = follow && typeof follow === 'object' ? idOf((follow as { actor?: unknown }).actor) : undefined;
  const row = await selectOne<{ id: string }>(
    svc.rt.db,
    `UPDATE federation_follows SET state = 'accepted', updated_at = now()
     WHERE following_uri = :actor AND local_follower AND (activity_uri = :fid OR follower_uri = :follower) RETURNING id`,
    { actor: actorUri, fid: followId ?? '', follower: follower ?? '' },
  );
  if (!row) return 'ignored';
  await svc.backfill(actorUri).catch((err) => svc.rt.log.warn({ err, actorUri }, 'backfill of a followed actor failed'));
  return 'processed';
}
