// A local listener tipped an artist on another node: ["Tip", "Like"] to the artist's channel
// actor, carrying the amount this node now owes them (software that knows only Like sees a
// like). The activity id is the tip's, so it goes out once however often it is announced.
import type { TipToSend } from '../../money/contract.js';
import type { FederationService } from '../service.js';

/** How far back the sweep looks for tips whose announcement was lost (a crash after commit). */
const TIP_ANNOUNCE_WINDOW_MS = 7 * 86_400_000;

/**
 * Announces the tips of the last week that never reached the outbox: the after-commit event
 * that queues a tip lives in the process, so a crash in between would lose it. Returns how
 * many it queued.
 */
export async function announceMissingTips(svc: FederationService, now = new Date()): Promise<number> {
  const tips = await svc.rt.money.tipsToAnnounce(new Date(now.getTime() - TIP_ANNOUNCE_WINDOW_MS), 1000);
  if (!tips.length) return 0;
  const [rows] = await svc.rt.db.query('SELECT id::text AS id FROM federation_outbox WHERE id IN (:ids)', { replacements: { ids: tips.map((t) => t.id) } });
  const queued = new Set((rows as { id: string }[]).map((r) => r.id));
  let sent = 0;
  for (const tip of tips) {
    if (queued.has(tip.id)) continue;
    await sendTip(svc, tip);
    sent++;
  }
  if (sent) svc.rt.log.info({ tips: sent }, 'announced tips whose announcement was lost');
  return sent;
}

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
