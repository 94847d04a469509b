// A listener on another node tipped one of our artists (["Tip", "Like"]): money records it for
// the artist's earnings once per activity; the amount is owed by the sender's node. A tip that
// names nothing here is ignored with its reason.
import { AppError } from '../../http/errors.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';

export async function processTip(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const objectUri = idOf(activity.object);
  if (!objectUri || !svc.rt.isLocal(objectUri)) return { result: 'ignored', reason: 'the tip names no object of this node' };
  try {
    const { created } = await svc.rt.money.receiveTip({
      activityUri: String(activity.id),
      tipperUri: actorUri,
      objectUri,
      amount: Number(activity.amount),
      currency: String(activity.currency),
      message: typeof activity.content === 'string' ? activity.content : null,
    });
    return created ? 'processed' : 'ignored';
  } catch (err) {
    if (err instanceof AppError && err.status < 500) return { result: 'ignored', reason: err.message };
    throw err;
  }
}
