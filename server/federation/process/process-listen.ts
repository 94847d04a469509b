// A listener on another node listened to one of our tracks (qualified seconds): hand it to
// listening, which checks it (a public track of this node, length, time window, daily caps) and
// stores it, so the artist's node counts plays from everywhere; then keep federation's copy.
import { ZodError } from 'zod';
import { select } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';
import { localTrackIdOf } from '../../../shared/actor-uris.js';

export async function processListen(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  // An invalid or refused Listen is ignored (stored as such, with the reason), never retried:
  // it would fail the same way.
  const ignore = (reason: string, details: Record<string, unknown> = {}): ProcessResult => {
    svc.rt.log.info({ activity: activity.id, actor: actorUri, reason, ...details }, 'Listen ignored');
    return { result: 'ignored', reason };
  };
  const objectUri = idOf(activity.object) ?? '';
  const trackId = localTrackIdOf(svc.rt.publicUrl, objectUri);
  if (!trackId) return ignore('not a track of this node', { object: objectUri });
  const raw = activity.qualifiedSeconds;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 7 * 86_400) return ignore('invalid qualifiedSeconds', { qualifiedSeconds: raw });
  const when = activity.endTime ?? activity.published;
  const at = typeof when === 'string' && !Number.isNaN(Date.parse(when)) ? new Date(when).toISOString() : new Date().toISOString();
  // Listening is idempotent by activity id: a retried job hands it over again safely. What
  // listening refuses (an unknown track, one not public, too long, out of the time window, over
  // a daily cap) is final, not retried, and not kept by federation either. Listening looks the
  // track up itself, so federation does not.
  let created = false;
  try {
    ({ created } = await svc.rt.listening.recordRemoteListen({ activityId: activity.id, actorUri, trackId, seconds, at }));
  } catch (err) {
    if (err instanceof AppError && err.status < 500) return ignore(`${err.code}: ${err.message}`);
    if (err instanceof ZodError) return ignore(`invalid_input: ${err.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    throw err;
  }
  const rows = await select(
    svc.rt.db,
    `INSERT INTO federation_listens (activity_uri, actor_uri, track_id, seconds, listened_at) VALUES (:id, :actor, :track, :s, :at)
     ON CONFLICT DO NOTHING RETURNING activity_uri`,
    { id: activity.id, actor: actorUri, track: trackId, s: seconds, at },
  );
  return rows.length || created ? 'processed' : 'ignored';
}
