// Moderation's measures on local tracks: hidden from everyone but the owner and moderators.
// (Skeleton: filled in by the moderation work of issue 17.)
import type { MediaService } from './service.js';
import type { TrackView } from './model.js';

export async function setTrackHidden(_media: MediaService, _trackId: string, _hidden: boolean): Promise<TrackView | undefined> {
  throw new Error('setTrackHidden: not implemented yet');
}
