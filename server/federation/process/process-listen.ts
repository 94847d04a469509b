// A listener on another node listened to one of our tracks (qualified seconds): store it
// and hand it to listening, so the artist's node counts plays from everywhere.
import { select } from '../../db/index.js';
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
  const seconds = Number(activity.qualifiedSeconds);
  const at = String(activity.endTime ?? activity.published ?? new Date().toISOString());
  const rows = await select(
    svc.rt.db,
    `INSERT INTO federation_listens (activity_uri, actor_uri, track_id, seconds, listened_at) VALUES (:id, :actor, :track, :s, :at)
     ON CONFLICT DO NOTHING RETURNING activity_uri`,
    { id: activity.id, actor: actorUri, track: trackId, s: seconds, at },
  );
  // Listening is idempotent by activity id: a retried job hands it over again safely.
  await svc.rt.listening?.recordRemoteListen?.({ activityId: activity.id, actorUri, trackId, seconds, at });
  return rows.length ? 'processed' : 'ignored';
}
