// A local listener likes a track (local or remote): Like to the object's owner.
import { selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';

export async function sendLike(svc: FederationService, localActorUri: string, objectUri: string) {
  const owner = await svc.ownerOf(objectUri);
  return svc.rt.db.transaction(async (t) => {
    const existing = await selectOne<{ activity_uri: string }>(svc.rt.db, `SELECT activity_uri FROM federation_reactions WHERE actor_uri = :a AND object_uri = :o AND type = 'Like'`, { a: localActorUri, o: objectUri }, t);
    if (existing) return { uri: existing.activity_uri };
    const queued = await svc.delivery.queue(
      {
        actorUri: localActorUri,
        activity: { type: 'Like', actor: localActorUri, object: objectUri, to: owner ? [owner] : [] },
        toActors: owner && !svc.rt.isLocal(owner) ? [owner] : [],
        objectUri,
      },
      t,
    );
    await svc.rt.db.query(
      `INSERT INTO federation_reactions (activity_uri, type, actor_uri, object_uri, local_actor) VALUES (:u, 'Like', :a, :o, true) ON CONFLICT DO NOTHING`,
      { replacements: { u: queued.uri, a: localActorUri, o: objectUri }, transaction: t },
    );
    return { uri: queued.uri };
  });
}
