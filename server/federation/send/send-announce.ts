// A local actor shares (boosts) a track: Announce to its followers and the object's owner.
import type { FederationService } from '../service.js';
import { AS_PUBLIC } from '../vocabulary.js';

export async function sendAnnounce(svc: FederationService, localActorUri: string, objectUri: string) {
  const owner = await svc.ownerOf(objectUri);
  return svc.rt.db.transaction(async (t) => {
    const queued = await svc.delivery.queue(
      {
        actorUri: localActorUri,
        activity: { type: 'Announce', actor: localActorUri, object: objectUri, to: [AS_PUBLIC], cc: [`${localActorUri}/followers`, ...(owner ? [owner] : [])] },
        toActors: owner && !svc.rt.isLocal(owner) ? [owner] : [],
        toFollowersOf: localActorUri,
        public: true,
        objectUri,
      },
      t,
    );
    await svc.rt.db.query(
      `INSERT INTO federation_reactions (activity_uri, type, actor_uri, object_uri, local_actor) VALUES (:u, 'Announce', :a, :o, true) ON CONFLICT DO NOTHING`,
      { replacements: { u: queued.uri, a: localActorUri, o: objectUri }, transaction: t },
    );
    return { uri: queued.uri };
  });
}
