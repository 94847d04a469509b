// A remote actor follows a local actor: record it and Accept (Reject when the account is
// disabled; nothing at all when the actor is a deleted account's or channel's). A follow of the instance actor is another node following this one: only another
// node's instance actor may, and it waits for an admin when federation.instanceFollowers is manual.
import { selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';
import { sendAccept } from '../send/send-accept.js';
import { sendReject } from '../send/send-reject.js';
import { INSTANCE_ACTOR_TYPES } from '../instance-follows.js';
import { notifyFollowed, remoteFollower } from '../notify.js';
import { isDeletedLocalActor } from '../account-data.js';

export async function processFollow(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const target = idOf(activity.object);
  const local = target ? await svc.actors.resolveUri(target) : undefined;
  if (!local) return 'ignored';
  // A tombstone answers nothing, as Mastodon does for a deleted account: no follow is recorded and
  // no Accept or Reject is signed with its kept key (the follower was sent the actor's Delete).
  if (local.kind !== 'instance' && (await isDeletedLocalActor(svc, local.uri))) return 'ignored';
  const follower = await svc.remote.actor(actorUri);
  const disabled = local.kind === 'user' && local.refId ? (await svc.rt.ctx.services.accounts.byId(local.refId))?.disabled : false;
  const instance = local.kind === 'instance';
  // Only another node's instance actor may follow this node (not a person, nor a bot account).
  const refused = disabled || (instance && !(INSTANCE_ACTOR_TYPES.has(follower.type) && (await svc.instanceFollows.isInstanceActor(actorUri))));
  // A node already accepted stays accepted when it sends its Follow again (and hears Accept again).
  const waits = instance && !refused && svc.rt.config.federation.instanceFollowers === 'manual';
  const state = await svc.rt.db.transaction(async (t) => {
    const row = await selectOne<{ state: string }>(
      svc.rt.db,
      `INSERT INTO federation_follows (follower_uri, following_uri, state, activity_uri, local_follower) VALUES (:f, :g, :state, :a, false)
       ON CONFLICT (follower_uri, following_uri) DO UPDATE SET activity_uri = EXCLUDED.activity_uri, updated_at = now(),
         state = CASE WHEN EXCLUDED.state = 'pending' AND federation_follows.state = 'accepted' THEN 'accepted' ELSE EXCLUDED.state END
       RETURNING state`,
      { f: actorUri, g: local.uri, a: activity.id, state: refused ? 'rejected' : waits ? 'pending' : 'accepted' },
      t,
    );
    if (refused) await sendReject(svc, local.uri, activity, actorUri, t);
    else if (row?.state === 'accepted') await sendAccept(svc, local.uri, activity, actorUri, t);
    return row?.state;
  });
  if (state === 'accepted' && !instance) await notifyFollowed(svc, remoteFollower(follower), local);
  return 'processed';
}
