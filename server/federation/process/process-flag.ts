// A Flag (AS2 report). 9ten's disputes send one to each reviewer node, with a `disputeRef`;
// it goes to federation's FlagReceiver port (disputes, wired by node.ts: disputes knows
// federation, so federation does not know disputes), with the actor whose HTTP signature verified. A refusal (4xx: not the reporting node,
// evidence that does not match the ledger, ...) ends it as ignored: a retry would fail the
// same way. Other Flags (moderation reports) are not handled yet and are ignored.
import { AppError } from '../../http/errors.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';

export async function processFlag(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const disputes = svc.flagReceiver.get();
  if (!disputes.isDisputeFlag(activity)) return 'ignored';
  try {
    const { created } = await disputes.receiveFlag(activity, actorUri);
    return created ? 'processed' : 'ignored';
  } catch (err) {
    if (err instanceof AppError && err.status >= 400 && err.status < 500) {
      svc.rt.log.info({ activity: activity.id, actorUri, code: err.code, message: err.message }, 'dispute Flag refused');
      return { result: 'ignored', reason: `${err.code}: ${err.message}` };
    }
    throw err;
  }
}
