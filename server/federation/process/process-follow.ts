// A remote actor follows a local actor: record it and Accept (Reject when the account is disabled).
import { selectOne } from '../../db/index.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';
import { sendAccept } from '../send/send-accept.js';
import { sendReject } from '../send/send-reject.js';

export async function processFollow(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const target = idOf(activity.object);
  const local = target ? await svc.actors.resolveUri(target) : undefined;
  if (!local) return 'ignored';
  await svc.remote.actor(actorUri);
  const disabled = local.kind === 'user' && local.refId ? (await svc.rt.ctx.services.accounts.byId(local.refId))?.disabled : false;
  await svc.rt.db.transaction(async (t) => {
    await selectOne(
      svc.rt.db,
      `INSERT INTO federation_follows (follower_uri, following_uri, state, activity_uri, local_follower) VALUES (:f, :g, :state, :a, false)
       ON CONFLICT (follower_uri, following_uri) DO UPDATE SET state = EXCLUDED.state, activity_uri = EXCLUDED.activity_uri, updated_at = now()`,
      { f: actorUri, g: local.uri, a: activity.id, state: disabled ? 'rejected' : 'accepted' },
      t,
    );
    if (disabled) await sendReject(svc, local.uri, activity, actorUri, t);
    else await sendAccept(svc, local.uri, activity, actorUri, t);
  });
  return 'processed';
}
