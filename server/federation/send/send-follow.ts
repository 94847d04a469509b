// A local actor asks to follow a remote actor.
import { execute, selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';

export async function sendFollow(svc: FederationService, localActorUri: string, remoteActorUri: string): Promise<{ followId: string; state: string }> {
  await svc.remote.actor(remoteActorUri);
  return svc.rt.db.transaction(async (t) => {
    const existing = await selectOne<{ id: string; state: string }>(
      svc.rt.db,
      'SELECT id, state FROM federation_follows WHERE follower_uri = :f AND following_uri = :g',
      { f: localActorUri, g: remoteActorUri },
      t,
    );
    if (existing && existing.state === 'accepted') return { followId: existing.id, state: existing.state };
    const { uri } = await svc.delivery.queue(
      { actorUri: localActorUri, activity: { type: 'Follow', actor: localActorUri, object: remoteActorUri, to: [remoteActorUri] }, toActors: [remoteActorUri] },
      t,
    );
    const row = await selectOne<{ id: string; state: string }>(
      svc.rt.db,
      `INSERT INTO federation_follows (follower_uri, following_uri, state, activity_uri, local_follower) VALUES (:f, :g, 'pending', :a, true)
       ON CONFLICT (follower_uri, following_uri) DO UPDATE SET state = 'pending', activity_uri = EXCLUDED.activity_uri, updated_at = now()
       RETURNING id, state`,
      { f: localActorUri, g: remoteActorUri, a: uri },
      t,
    );
    return { followId: row!.id, state: row!.state };
  });
}

/** Marks a follow accepted (the remote side sent Accept). */
export async function markFollowAccepted(svc: FederationService, followId: string): Promise<void> {
  await execute(svc.rt.db, `UPDATE federation_follows SET state = 'accepted', updated_at = now() WHERE id = :id`, { id: followId });
}
