// A track or playlist was deleted: Delete (with a Tombstone) to the channel's followers.
import type { FederationService } from '../service.js';
import { AS_PUBLIC } from '../vocabulary.js';

export async function sendDeleteObject(svc: FederationService, channelIdOrName: string, objectUri: string, formerType: string) {
  const channel = await svc.actors.forChannel(channelIdOrName);
  if (!channel) return undefined;
  return svc.delivery.queue({
    actorUri: channel.uri,
    activity: {
      type: 'Delete', actor: channel.uri, to: [AS_PUBLIC], cc: [`${channel.uri}/followers`],
      object: { id: objectUri, type: 'Tombstone', formerType, deleted: new Date().toISOString() },
    },
    toFollowersOf: channel.uri,
    public: true,
    objectUri,
  });
}
