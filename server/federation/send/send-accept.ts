// Accept a remote actor's Follow of a local actor.
import type { Transaction } from 'sequelize';
import type { FederationService } from '../service.js';
import type { IncomingActivity } from '../validate.js';

export async function sendAccept(svc: FederationService, localActorUri: string, follow: Pick<IncomingActivity, 'id'>, followerUri: string, t?: Transaction) {
  return svc.delivery.queue(
    {
      actorUri: localActorUri,
      activity: { type: 'Accept', actor: localActorUri, object: { id: follow.id, type: 'Follow', actor: followerUri, object: localActorUri }, to: [followerUri] },
      toActors: [followerUri],
    },
    t,
  );
}
