// A remote actor rejected our Follow (or ended it). A node ending our instance follow: its tracks
// nobody here follows by channel are forgotten.
import { selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { hostOf, idOf } from '../vocabulary.js';

export async function processReject(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const follow = activity.object as unknown;
  const follower = follow && typeof follow === 'object' ? idOf((follow as { actor?: unknown }).actor) : undefined;
  const row = await selectOne<{ follower_uri: string }>(
    svc.rt.db,
    `UPDATE federation_follows SET state = 'rejected', updated_at = now()
     WHERE following_uri = :actor AND local_follower AND (activity_uri = :fid OR follower_uri = :follower) RETURNING follower_uri`,
    { actor: actorUri, fid: idOf(follow) ?? '', follower: follower ?? '' },
  );
  if (!row) return 'ignored';
  if (row.follower_uri === svc.rt.instanceActorUri()) await svc.tracks.forgetUnfollowedOn(hostOf(actorUri));
  return 'processed';
}
