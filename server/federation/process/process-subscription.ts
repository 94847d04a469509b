// A listener on another node subscribed to this node or one of its artists (or renewed,
// cancelled, lapsed): store it so the node and the artist see their subscribers.
import { select } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';

export async function processSubscription(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  // Subscribed to this node or one of its artists, or (a node subscription elsewhere)
  // told because the listener follows one of our artists.
  const objectUri = idOf(activity.object);
  if (!objectUri) return 'ignored';
  if (!svc.rt.isLocal(objectUri)) {
    const cc = Array.isArray(activity.cc) ? activity.cc : activity.cc ? [activity.cc] : [];
    if (!cc.some((c) => { const id = idOf(c); return !!id && svc.rt.isLocal(id); })) return 'ignored';
  }
  const rows = await select(
    svc.rt.db,
    `INSERT INTO federation_subscriptions (activity_uri, actor_uri, object_uri, status, period, amount, currency, subscription_uri, direction)
     VALUES (:id, :actor, :object, :status, :period, :amount, :currency, :sub, 'in') ON CONFLICT DO NOTHING RETURNING activity_uri`,
    {
      id: activity.id, actor: actorUri, object: objectUri, status: activity.subscriptionStatus ?? 'active',
      period: activity.period ?? null, amount: activity.amount ?? null, currency: activity.currency ?? null,
      sub: idOf(activity.instrument) ?? null,
    },
  );
  return rows.length ? 'processed' : 'ignored';
}
