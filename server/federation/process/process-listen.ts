// A listener on another node listened to one of our tracks (qualified seconds): hand it to
// listening, which checks it (public track, length, time window, per-actor daily cap) and
// stores it, so the artist's node counts plays from everywhere; then keep federation's copy.
import { ZodError } from 'zod';
import { execute, select } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';

export async function processListen(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  // An invalid or refused Listen is ignored (stored as such, with the reason), never retried:
  // it would fail the same way.
  const ignore = async (reason: string, details: Record<string, unknown> = {}): Promise<ProcessResult> => {
    svc.rt.log.info({ activity: activity.id, actor: actorUri, reason, ...details }, 'Listen ignored');
    // The inbox item is the activity's row (one per activity id); the processor runner sets its
    // state from the result and leaves the error this writes.
    await execute(svc.rt.db, 'UPDATE federation_inbox_items SET error = :reason WHERE activity_uri = :id', { id: activity.id, reason: reason.slice(0, 1000) });
    return 'ignored';
  };
  const objectUri = idOf(activity.object) ?? '';
  const prefix = `${svc.rt.publicUrl}/ap/tracks/`;
  if (!objectUri.startsWith(prefix)) return ignore('not a track of this node', { object: objectUri });
  const trackId = decodeURIComponent(objectUri.slice(prefix.length));
  const media = svc.rt.media;
  if (media?.getTrack) {
    const track = await media.getTrack(trackId).catch(() => undefined);
    if (!track) return ignore('unknown track', { trackId });
  }
  const raw = activity.qualifiedSeconds;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 7 * 86_400) return ignore('invalid qualifiedSeconds', { qualifiedSeconds: raw });
  const when = activity.endTime ?? activity.published;
  const at = typeof when === 'string' && !Number.isNaN(Date.parse(when)) ? new Date(when).toISOString() : new Date().toISOString();
  // Listening is idempotent by activity id: a retried job hands it over again safely. What
  // listening refuses (a track gone or not public, too long, out of the time window, over the
  // actor's daily cap) is final, not retried, and not kept by federation either.
  let created = false;
  try {
    const result = await svc.rt.listening?.recordRemoteListen?.({ activityId: activity.id, actorUri, trackId, seconds, at });
    created = Boolean((result as { created?: boolean } | undefined)?.created);
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
