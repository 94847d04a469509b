// Undo a local actor's Follow, Like or Announce.
import { select, selectOne, execute } from '../../db/index.js';
import type { FederationService } from '../service.js';
import { hostOf } from '../vocabulary.js';
import { followsNodeSql } from '../remote-tracks.js';

export async function sendUndoFollow(svc: FederationService, localActorUri: string, followId: string): Promise<boolean> {
  return svc.rt.db.transaction(async (t) => {
    const row = await selectOne<{ following_uri: string; activity_uri: string }>(
      svc.rt.db,
      'DELETE FROM federation_follows WHERE id = :id AND follower_uri = :f AND local_follower RETURNING following_uri, activity_uri',
      { id: followId, f: localActorUri },
      t,
    );
    if (!row) return false;
    await svc.delivery.queue(
      {
        actorUri: localActorUri,
        activity: {
          type: 'Undo', actor: localActorUri, to: [row.following_uri],
          object: { id: row.activity_uri, type: 'Follow', actor: localActorUri, object: row.following_uri },
        },
        toActors: [row.following_uri],
      },
      t,
    );
    // Nobody here follows that actor any more, nor its node: forget its tracks and campaigns.
    const still = await select(
      svc.rt.db,
      `SELECT 1 WHERE EXISTS (SELECT 1 FROM federation_follows WHERE following_uri = :g AND local_follower) OR ${followsNodeSql(':host')}`,
      { g: row.following_uri, instance: svc.rt.instanceActorUri(), host: hostOf(row.following_uri) },
      t,
    );
    if (!still.length) {
      await execute(svc.rt.db, 'DELETE FROM federation_remote_tracks WHERE actor_uri = :g', { g: row.following_uri }, t);
      await execute(svc.rt.db, 'DELETE FROM federation_remote_campaigns WHERE actor_uri = :g', { g: row.following_uri }, t);
    }
    return true;
  });
}

export async function sendUndoReaction(svc: FederationService, localActorUri: string, type: 'Like' | 'Announce', objectUri: string): Promise<boolean> {
  return svc.rt.db.transaction(async (t) => {
    const row = await selectOne<{ activity_uri: string }>(
      svc.rt.db,
      'DELETE FROM federation_reactions WHERE actor_uri = :a AND object_uri = :o AND type = :type AND local_actor RETURNING activity_uri',
      { a: localActorUri, o: objectUri, type },
      t,
    );
    if (!row) return false;
    const owner = await svc.ownerOf(objectUri);
    await svc.delivery.queue(
      {
        actorUri: localActorUri,
        activity: { type: 'Undo', actor: localActorUri, object: { id: row.activity_uri, type, actor: localActorUri, object: objectUri }, to: owner ? [owner] : [] },
        toActors: owner ? [owner] : [],
        toFollowersOf: type === 'Announce' ? localActorUri : undefined,
      },
      t,
    );
    return true;
  });
}
