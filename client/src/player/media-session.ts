// The Media Session API: what the lock screen, the notification area and the keyboard's media
// keys show and control. Browsers without it (or a handler they do not know) are skipped quietly.
import type { QueueItem } from '../lib/queue.js';

export interface MediaControls {
  play(): void;
  pause(): void;
  previous(): void;
  next(): void;
  seekTo(seconds: number): void;
  seekBy(seconds: number): void;
}

const supported = () => typeof navigator !== 'undefined' && 'mediaSession' in navigator;

export function bindMediaSession(controls: MediaControls): void {
  if (!supported()) return;
  const handlers: [MediaSessionAction, MediaSessionActionHandler][] = [
    ['play', () => controls.play()],
    ['pause', () => controls.pause()],
    ['previoustrack', () => controls.previous()],
    ['nexttrack', () => controls.next()],
    ['seekto', (d) => d.seekTime !== undefined && controls.seekTo(d.seekTime)],
    ['seekbackward', (d) => controls.seekBy(-(d.seekOffset ?? 10))],
    ['seekforward', (d) => controls.seekBy(d.seekOffset ?? 10)],
  ];
  for (const [action, handler] of handlers) {
    try {
      navigator.mediaSession.setActionHandler(action, handler);
    } catch {
      /* an action this browser does not know */
    }
  }
}

export function showMetadata(item: QueueItem | null, album: string | null = null): void {
  if (!supported()) return;
  if (!item) {
    navigator.mediaSession.metadata = null;
    return;
  }
  const artwork = item.coverUrl ? [{ src: new URL(item.coverUrl, location.href).href, sizes: '512x512' }] : [];
  navigator.mediaSession.metadata = new MediaMetadata({ title: item.title, artist: item.artist ?? '', album: album ?? '', artwork });
}

export function showPlaybackState(state: MediaSessionPlaybackState): void {
  if (supported()) navigator.mediaSession.playbackState = state;
}

export function showPosition(position: number, duration: number, playbackRate: number): void {
  if (!supported() || !navigator.mediaSession.setPositionState || !(duration > 0) || !Number.isFinite(duration)) return;
  try {
    navigator.mediaSession.setPositionState({ duration, position: Math.min(Math.max(0, position), duration), playbackRate: playbackRate || 1 });
  } catch {
    /* a position the browser refuses (mid-change of track) */
  }
}
