// The persistent player: a dock at the bottom of every page that plays a queue of tracks, local
// or from other nodes, across navigation. Pages call these to play; the track pages show a big
// Play button and the waveform bound to the dock (trackPlayerView).
import { nowPlaying as current, onNowPlaying as onCurrent, playNow as replace, playNext as insertNext, addToQueue as append, subscribe } from './controller.js';
import { showDock } from './dock.js';
import type { QueueItem } from '../lib/queue.js';
import type { RemoteTrack, Track } from '../../../shared/api/index.js';

export type { QueueItem } from '../lib/queue.js';
export { remotePlayable } from './controller.js';
export { trackPlayerView } from './track-view.js';

/** Replaces the queue and plays items[startIndex]. */
export function playNow(items: QueueItem[], startIndex = 0): void {
  replace(items, startIndex);
}

/** Plays the item right after the current track. */
export function playNext(item: QueueItem): void {
  insertNext([item]);
}

/** Adds at the end of the queue. */
export function addToQueue(items: QueueItem | QueueItem[]): void {
  append(Array.isArray(items) ? items : [items]);
}

export function nowPlaying(): QueueItem | null {
  return current();
}

/** Called with the track now current (null when the queue empties); returns the unsubscribe. */
export function onNowPlaying(fn: (item: QueueItem | null) => void): () => void {
  return onCurrent(fn);
}

/** A local track as a queue item. */
export function queueItemOf(t: Pick<Track, 'id' | 'title' | 'artist' | 'coverUrl' | 'durationSeconds'> & { channel?: Pick<Track['channel'], 'displayName'> }): QueueItem {
  return { id: t.id, origin: 'local', title: t.title, artist: t.artist || t.channel?.displayName || null, coverUrl: t.coverUrl, durationSeconds: t.durationSeconds };
}

/** A track of another node (played through this one) as a queue item. */
export function remoteQueueItemOf(t: Pick<RemoteTrack, 'id' | 'title' | 'artist' | 'coverUrl' | 'durationSeconds'>): QueueItem {
  return { id: t.id, origin: 'remote', title: t.title, artist: t.artist, coverUrl: t.coverUrl, durationSeconds: t.durationSeconds };
}

// The dock appears with the first track queued, and after a reload when a queue was kept.
subscribe((change) => {
  if (change === 'queue') showDock();
});
if (current()) showDock();
