// Incoming activities, one processor per verb: job `federation.process` loads the stored
// inbox item and hands it to the processor for its type. Processing is idempotent.
import { execute, selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';
import { validateActivity, type ActivityType, type IncomingActivity } from '../validate.js';
import { processFollow } from './process-follow.js';
import { processAccept } from './process-accept.js';
import { processReject } from './process-reject.js';
import { processUndo } from './process-undo.js';
import { processCreate } from './process-create.js';
import { processUpdate } from './process-update.js';
import { processDelete } from './process-delete.js';
import { processReaction } from './process-reaction.js';
import { processListen } from './process-listen.js';
import { processStream } from './process-stream.js';
import { processSubscription } from './process-subscription.js';
import { processFlag } from './process-flag.js';
import { processTip } from './process-tip.js';

export interface ProcessInput {
  activity: IncomingActivity;
  actorUri: string;
}
/** A processor's outcome; an ignored activity may say why (kept as the inbox item's error). */
export type ProcessResult = 'processed' | 'ignored' | { result: 'ignored'; reason: string };
type Processor = (svc: FederationService, input: ProcessInput) => Promise<ProcessResult>;

export const processors: Record<ActivityType, Processor> = {
  Follow: processFollow,
  Accept: processAccept,
  Reject: processReject,
  Undo: processUndo,
  Create: processCreate,
  Update: processUpdate,
  Delete: processDelete,
  Like: processReaction('Like'),
  Announce: processReaction('Announce'),
  Listen: processListen,
  Stream: processStream,
  Subscription: processSubscription,
  Flag: processFlag,
  Tip: processTip,
};

/** Job handler for `federation.process`. Throws (to be retried) only on unexpected failures. */
export async function processInboxItem(svc: FederationService, inboxItemId: string): Promise<'processed' | 'ignored' | 'done'> {
  const item = await selectOne<{ id: string; state: string; body: unknown }>(svc.rt.db, 'SELECT id, state, body FROM federation_inbox_items WHERE id = :id', { id: inboxItemId });
  if (!item || item.state !== 'received') return 'done';
  const checked = validateActivity(item.body);
  if (!checked.ok) {
    await execute(svc.rt.db, `UPDATE federation_inbox_items SET state = 'ignored', error = :e, processed_at = now() WHERE id = :id`, { id: item.id, e: checked.message });
    return 'ignored';
  }
  if (await svc.blocks.isBlocked(checked.actorUri)) {
    await execute(svc.rt.db, `UPDATE federation_inbox_items SET state = 'ignored', error = 'blocked', processed_at = now() WHERE id = :id`, { id: item.id });
    return 'ignored';
  }
  const outcome = await processors[checked.type](svc, { activity: checked.activity, actorUri: checked.actorUri });
  const [state, reason] = typeof outcome === 'string' ? [outcome, null] : [outcome.result, outcome.reason.slice(0, 1000)];
  await execute(svc.rt.db, `UPDATE federation_inbox_items SET state = :s, error = :e, processed_at = now() WHERE id = :id`, { id: item.id, s: state, e: reason });
  return state;
}
