// A Flag (AS2 report). Two kinds arrive:
// - 9ten's dispute review requests (a `disputeRef`), for federation's FlagReceiver port
//   (disputes, wired by node.ts: disputes knows federation, so federation does not know disputes);
// - moderation reports (what Mastodon, PeerTube and 9ten send when someone reports content of
//   this node), for the ReportReceiver port (moderation). Only the objects of this node count;
//   the reason is untrusted text.
// Both get the actor whose HTTP signature verified. A refusal (4xx: not the reporting node,
// evidence that does not match the ledger, nothing of this node named, ...) ends it as ignored:
// a retry would fail the same way.
import { AppError } from '../../http/errors.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';
import { sanitizeText } from '../sanitize.js';

/** The most objects of one report that are looked at (validation allows 100). */
const MAX_OBJECTS = 20;
const MAX_REASON = 3000;

export async function processFlag(svc: FederationService, input: ProcessInput): Promise<ProcessResult> {
  const { activity, actorUri } = input;
  return refusalIgnored(svc, activity.id, actorUri, async () => {
    const disputes = svc.flagReceiver.get();
    if (disputes.isDisputeFlag(activity)) return disputes.receiveFlag(activity, actorUri);
    const objectUris = [...new Set([activity.object].flat().map(idOf))].filter((uri): uri is string => !!uri && svc.rt.isLocal(uri)).slice(0, MAX_OBJECTS);
    if (!objectUris.length) throw new AppError(422, 'not_ours', 'The Flag names nothing of this node');
    const content = typeof activity.content === 'string' ? sanitizeText(activity.content, MAX_REASON) : '';
    return svc.reportReceiver.get().receiveReport({ activityId: activity.id, actorUri, objectUris, content });
  });
}

/** Runs the receiver; a 4xx refusal is logged and the Flag ignored with its reason. */
async function refusalIgnored(svc: FederationService, activityId: string, actorUri: string, receive: () => Promise<{ created: boolean }>): Promise<ProcessResult> {
  try {
    const { created } = await receive();
    return created ? 'processed' : 'ignored';
  } catch (err) {
    if (err instanceof AppError && err.status >= 400 && err.status < 500) {
      svc.rt.log.info({ activity: activityId, actorUri, code: err.code, message: err.message }, 'Flag refused');
      return { result: 'ignored', reason: `${err.code}: ${err.message}` };
    }
    throw err;
  }
}
