// A listener on another node listened to one of our tracks (qualified seconds): store it
// and hand it to listening, so the artist's node counts plays from everywhere.
import { ZodError } from 'zod';
import { select } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { FederationService } from '../service.js';
import type { ProcessInput, ProcessResult } from './process.js';
import { idOf } from '../vocabulary.js';

export async function processListen(svc: FederationService, { activity, actorUri }: ProcessInput): Promise<ProcessResult> {
  const objectUri = idOf(activity.object) ?? '';
  const prefix = `${svc.rt.publicUrl}/ap/tracks/`;
  if (!objectUri.startsWith(prefix)) return 'ignored';
  const trackId = decodeURIComponent(objectUri.slice(prefix.length));
  const media = svc.rt.media;
  if (media?.getTrack) {
    const track = await media.getTrack(trackId).catch(() => undefined);
    if (!track) return 'ignored';
  }
  // An invalid Listen is ignored (stored as such), never retried: it would fail the same way.
  const raw = activity.qualifiedSeconds;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 7 * 86_400) {
    svc.rt.log.info({ activity: activity.id, qualifiedSeconds: raw }, 'Listen without valid qualifiedSeconds ignored');
    return 'ignored';
  }
  const when = activity.endTime ?? activity.published;
  const at = typeof when === 'string' && !Number.isNaN(Date.parse(when)) ? new Date(when).toISOString() : new Date().toISOString();
  const rows = await select(
    svc.rt.db,
    `INSERT INTO federation_listens (activity_uri, actor_uri, track_id, seconds, listened_at) VALUES (:id, :actor, :track, :s, :at)
     ON CONFLICT DO NOTHING RETURNING activity_uri`,
    { id: activity.id, actor: actorUri, track: trackId, s: seconds, at },
  );
  // Listening is idempotent by activity id: a retried job hands it over again safely. What
  // listening refuses (a track gone, input out of range) is final, not retried.
  try {
    await svc.rt.listening?.recordRemoteListen?.({ activityId: activity.id, actorUri, trackId, seconds, at });
  } catch (err) {
    if ((err instanceof AppError && err.status < 500) || err instanceof ZodError) {
      svc.rt.log.info({ activity: activity.id, err: (err as Error).message }, 'Listen refused by listening; ignored');
      return 'ignored';
    }
    throw err;
  }
  return rows.length ? 'processed' : 'ignored';
}
