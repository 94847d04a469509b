// Moderation's measure on local tracks: hidden from everyone but the owner, admins and
// moderators (docs/moderation.md). A hidden track keeps its own visibility (`hidden` is a
// column of its own, migration 0106), leaves every listing, search and feed, and is taken back
// from federation (its followers get a Delete, as for a track made private); shown again, it
// is what it was before.
import { selectOne } from '../db/index.js';
import type { MediaService } from './service.js';
import type { TrackView } from './model.js';

/**
 * Hides or shows a track; undefined when there is no such track. Changing nothing (hiding a
 * hidden track) emits nothing. After commit: the streaming hot path forgets the track, and
 * `track.updated` (and `track.published` when it comes back public) tell federation, the
 * seeder and the nginx front, as any change of visibility does.
 */
export async function setTrackHidden(media: MediaService, trackId: string, hidden: boolean): Promise<TrackView | undefined> {
  const row = await media.tracks.row(trackId);
  if (!row) return undefined;
  const { ctx } = media;
  await ctx.db.transaction(async (t) => {
    const changed = await selectOne<{ status: string; visibility: string }>(
      ctx.db,
      'UPDATE media_tracks SET hidden = :hidden, updated_at = now() WHERE id = :id AND hidden <> :hidden RETURNING status, visibility',
      { id: row.id, hidden },
      t,
    );
    if (!changed) return;
    await media.playlists.changedWith(row.id, t);
    const republished = !hidden && changed.status === 'ready' && changed.visibility === 'public';
    t.afterCommit(() => {
      media.streaming.forget(row.id);
      ctx.events.emit('track.updated', { trackId: row.id });
      // Federation sent a Delete when it was hidden: only a `track.published` creates it again.
      if (republished) ctx.events.emit('track.published', { trackId: row.id });
    });
  });
  return media.tracks.get(row.id);
}

/**
 * A track as the other capabilities see it (media's contract): a hidden track is private to
 * them, so every check they make by visibility (federation, feeds, listening, tips, apps)
 * treats it as one only its owner may see.
 */
export function seenByOthers<T extends Pick<TrackView, 'visibility'> & { hidden?: boolean }>(track: T): T {
  return track.hidden ? { ...track, visibility: 'private' } : track;
}
