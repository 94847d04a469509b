// A local listener tipped an artist on another node: ["Tip", "Like"] to the artist's channel
// actor, carrying the amount this node now owes them (software that knows only Like sees a
// like). The activity id is the tip's, so it goes out once however often it is announced.
import type { TipToSend } from '../../money/contract.js';
import type { FederationService } from '../service.js';

export async function sendTip(svc: FederationService, tip: TipToSend) {
  const tipper = await svc.actors.forUser(tip.tipperId);
  return svc.delivery.queue({
    id: tip.id,
    actorUri: tipper.uri,
    activity: {
      type: ['Tip', 'Like'],
      actor: tipper.uri,
      object: tip.objectUri,
      amount: tip.amount,
      currency: tip.currency,
      ...(tip.message ? { content: tip.message } : {}),
      published: tip.createdAt,
      to: [tip.artistUri],
    },
    toActors: [tip.artistUri],
    objectUri: tip.objectUri,
  });
}
