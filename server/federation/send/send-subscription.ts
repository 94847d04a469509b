// A local listener subscribed to a node or an artist (or renewed, cancelled, lapsed):
// Subscription, multi-typed ["Subscription", "Join"] so other software can still parse it,
// sent to the node's instance actor or the artist's channel actor.
import type { FederationService } from '../service.js';

export interface SubscriptionInput {
  userId: string;
  /** The actor subscribed to: an artist's channel actor URI or a node's instance actor URI. */
  object: string;
  subscriptionId: string;
  status: 'active' | 'renewed' | 'past_due' | 'cancelled' | 'lapsed' | 'ended';
  /** Other remote actors to tell (e.g. the artists a listener follows, for a node subscription). */
  notify?: string[];
  /** The period, e.g. "2026-11" or an ISO 8601 interval. */
  period?: string;
  /** Integer minor units. */
  amount?: number;
  currency?: string;
}

export async function sendSubscription(svc: FederationService, input: SubscriptionInput) {
  if (input.amount != null && !Number.isInteger(input.amount)) throw new Error('amount is integer minor units');
  const listener = await svc.actors.forUser(input.userId);
  const subscriptionUri = `${svc.rt.publicUrl}/ap/subscriptions/${encodeURIComponent(input.subscriptionId)}`;
  return svc.rt.db.transaction(async (t) => {
    const q = await svc.delivery.queue(
      {
        actorUri: listener.uri,
        activity: {
          type: ['Subscription', 'Join'],
          actor: listener.uri,
          object: input.object,
          subscriptionStatus: input.status,
          ...(input.period ? { period: input.period } : {}),
          ...(input.amount != null ? { amount: input.amount } : {}),
          ...(input.currency ? { currency: input.currency } : {}),
          instrument: subscriptionUri,
          published: new Date().toISOString(),
          to: [input.object],
          ...(input.notify?.length ? { cc: input.notify } : {}),
        },
        toActors: [...new Set([...(svc.rt.isLocal(input.object) ? [] : [input.object]), ...(input.notify ?? [])])],
        objectUri: input.object,
      },
      t,
    );
    await svc.rt.db.query(
      `INSERT INTO federation_subscriptions (activity_uri, actor_uri, object_uri, status, period, amount, currency, subscription_uri, direction)
       VALUES (:u, :a, :o, :status, :period, :amount, :currency, :s, 'out')`,
      { replacements: { u: q.uri, a: listener.uri, o: input.object, status: input.status, period: input.period ?? null, amount: input.amount ?? null, currency: input.currency ?? null, s: subscriptionUri }, transaction: t },
    );
    return q;
  });
}
