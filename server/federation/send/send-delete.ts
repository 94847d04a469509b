// A track or playlist was deleted: Delete (with a Tombstone) to the channel's followers.
import { selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';
import { AS_PUBLIC } from '../vocabulary.js';

/** Delete from the local actor that created the object (its Create in the outbox names it). */
export async function sendDeleteFromCreator(svc: FederationService, objectUri: string, formerType: string) {
  const created = await selectOne<{ actor_uri: string }>(
    svc.rt.db,
    `SELECT actor_uri FROM federation_outbox WHERE object_uri = :o AND type = 'Create' ORDER BY created_at DESC LIMIT 1`,
    { o: objectUri },
  );
  if (!created) return undefined;
  return svc.delivery.queue({
    actorUri: created.actor_uri,
    activity: {
      type: 'Delete', actor: created.actor_uri, to: [AS_PUBLIC], cc: [`${created.actor_uri}/followers`],
      object: { id: objectUri, type: 'Tombstone', formerType, deleted: new Date().toISOString() },
    },
    toFollowersOf: created.actor_uri,
    public: true,
    objectUri,
  });
}

export async function sendDeleteObject(svc: FederationService, channelIdOrName: string, objectUri: string, formerType: string) {
  const channel = await svc.actors.forChannel(channelIdOrName);
  if (!channel) return undefined;
  return svc.delivery.queue({
    actorUri: channel.uri,
    activity: {
      type: 'Delete', actor: channel.uri, to: [AS_PUBLIC], cc: [`${channel.uri}/followers`],
      object: { id: objectUri, type: 'Tombstone', formerType, deleted: new Date().toISOString() },
    },
    // Nodes that follow this node get every public track of its channels too.
    toFollowersOf: [channel.uri, svc.rt.instanceActorUri()],
    public: true,
    objectUri,
  });
}
