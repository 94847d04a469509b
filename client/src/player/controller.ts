// What the dock does, apart from how it looks: the queue, the Playback of the current track,
// moving on when a track ends, fetching the next one ahead, the Media Session, and keeping the
// queue in localStorage (per user) so a reload finds it again, paused where it was.
import { api, onSessionChange, session } from '../api.js';
import { errorText } from '../dom.js';
import { normalisationGain } from '../lib/loudness.js';
import * as Q from '../lib/queue.js';
import type { QueueItem, QueueState, RepeatMode } from '../lib/queue.js';
import { Playback, type Playable } from '../player.js';
import type { RemoteTrack, Track } from '../../../shared/api/index.js';
import { bindMediaSession, showMetadata, showPlaybackState, showPosition } from './media-session.js';
import { Output } from './output.js';
import { warmCache } from './preload.js';

/** What changed: the queue (or the current track), the position, playing or paused, the status line. */
export type Change = 'queue' | 'time' | 'state' | 'status';

/** A track as the dock needs it: how to play it, and the album for the lock screen. */
export interface Resolved {
  playable: Playable;
  album: string | null;
}

/** A remote track played through this node (segments fetched from its home node and checked against its hashes). */
export function remotePlayable(t: RemoteTrack): Playable {
  return {
    id: t.id,
    kind: t.kind,
    title: t.title,
    durationSeconds: t.durationSeconds,
    loudness: null,
    waveformUrl: null,
    streaming: { masterPlaylistUrl: t.localMasterPlaylistUrl ?? `/api/v1/federation/tracks/${encodeURIComponent(t.id)}/hls/master.m3u8` },
    // A paid remote track is sold by this node, as a local one (the budget agent buys its spans).
    access: { ...t.access, currency: t.access.currency ?? 'USD' },
  };
}

const itemKey = (item: QueueItem) => `${item.origin}:${item.id}`;
export const sameItem = (a: QueueItem | null | undefined, b: QueueItem | null | undefined): boolean => !!a && !!b && itemKey(a) === itemKey(b);

/** Tracks fetched by a page or ahead of their turn, taken once by the Playback that plays them. */
const fetched = new Map<string, Resolved>();

async function resolve(item: QueueItem): Promise<Resolved> {
  const known = fetched.get(itemKey(item));
  if (known) return known;
  const path = encodeURIComponent(item.id);
  if (item.origin === 'remote') {
    const t = await api<RemoteTrack>('GET', `/api/v1/federation/tracks/${path}`);
    return { playable: remotePlayable(t), album: t.album };
  }
  const t = await api<Track>('GET', `/api/v1/tracks/${path}`);
  if (t.status !== 'ready') throw new Error(t.status === 'failed' ? 'its processing failed' : 'it is still being processed');
  return { playable: t, album: t.album };
}

// --- state

let queue: QueueState = Q.emptyQueue();
/** The Playback of the current entry (loading, or loaded: null when it could not be played). */
let loaded: { key: number; playback: Promise<Playback | null>; value: Playback | null; album: string | null } | null = null;
/** The next entry, fetched ahead near the end of the current one. */
let prepared: { key: number; playback: Promise<{ playback: Playback; album: string | null } | null>; abort: AbortController } | null = null;
/** Where the current entry starts when it is not loaded yet (a restored queue, a seek before play). */
let pendingStart = 0;
let status = '';
let owner = session()?.user.id ?? null;
const listeners = new Set<(change: Change) => void>();
const nowPlayingListeners = new Set<(item: QueueItem | null) => void>();
let lastNowPlaying: QueueItem | null = null;

const output = new Output((media) => listenTo(media));

function emit(change: Change): void {
  for (const fn of listeners) fn(change);
  if (change === 'queue') {
    const item = Q.currentEntry(queue)?.item ?? null;
    if (item !== lastNowPlaying) {
      lastNowPlaying = item;
      showMetadata(item, null);
      for (const fn of nowPlayingListeners) fn(item);
    }
  }
}

export function subscribe(fn: (change: Change) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function onNowPlaying(fn: (item: QueueItem | null) => void): () => void {
  nowPlayingListeners.add(fn);
  return () => nowPlayingListeners.delete(fn);
}

export const media = (): HTMLMediaElement => output.media;
export const audio = (): Output => output;
export const queueState = (): QueueState => queue;
export const statusText = (): string => status;
export const nowPlaying = (): QueueItem | null => Q.currentEntry(queue)?.item ?? null;
export const isPlaying = (): boolean => !!loaded?.value && !output.media.paused;
export const position = (): number => loaded?.value?.position() ?? pendingStart;
export const duration = (): number => loaded?.value?.duration() || (nowPlaying()?.durationSeconds ?? 0);

function say(text: string): void {
  status = text;
  emit('status');
}

// --- the current track

function drop(): void {
  const l = loaded;
  loaded = null;
  l?.value?.destroy();
  void l?.playback.then((p) => p?.destroy());
}

function discardPrepared(): void {
  prepared?.abort.abort();
  void prepared?.playback.then((p) => p?.playback.destroy());
  prepared = null;
}

/** After every change of the queue: the Playback follows the current entry, the prepared one the next. */
function sync(): void {
  const entry = Q.currentEntry(queue);
  if (loaded && loaded.key !== entry?.key) drop();
  // The prepared entry is kept while it is next, or current and not taken yet (load takes it).
  if (prepared && prepared.key !== upcoming()?.key && prepared.key !== entry?.key) discardPrepared();
  if (!entry) say('');
  persist();
  emit('queue');
}

const upcoming = () => {
  const i = Q.nextIndex(queue, 'ended');
  return i === null || i === queue.current ? null : queue.entries[i];
};

/** The current entry's Playback, made (and attached to the media element) on first need. */
function load(): Promise<Playback | null> {
  const entry = Q.currentEntry(queue);
  if (!entry) return Promise.resolve(null);
  if (loaded?.key === entry.key) return loaded.playback;
  drop();
  const startAt = pendingStart;
  const ahead = prepared?.key === entry.key ? prepared : null;
  if (ahead) prepared = null;
  const slot: NonNullable<typeof loaded> = { key: entry.key, playback: Promise.resolve(null), value: null, album: null };
  slot.playback = (async () => {
    let made = ahead ? await ahead.playback : null;
    if (!made) {
      try {
        const { playable, album } = await resolve(entry.item);
        fetched.delete(itemKey(entry.item));
        if (!playable.streaming?.masterPlaylistUrl) throw new Error('it has nothing to stream');
        made = { playback: new Playback(playable, say, startAt), album };
      } catch (err) {
        if (loaded === slot) say(`Could not play “${entry.item.title}”: ${errorText(err)}`);
        return null;
      }
    } else if (startAt) made.playback.seek(startAt);
    const { playback, album } = made;
    if (loaded !== slot) {
      playback.destroy();
      return null;
    }
    pendingStart = 0;
    playback.attach(output.elementFor(playback.track.kind));
    output.setTrackGain(normalisationGain(playback.track.loudness));
    slot.value = playback;
    slot.album = album;
    showMetadata(entry.item, album);
    emit('state');
    return playback;
  })();
  loaded = slot;
  return slot.playback;
}

let failures = 0;

/** Plays the current entry; one that cannot play is skipped while others can. */
export async function play(): Promise<void> {
  const entry = Q.currentEntry(queue);
  const playback = await load();
  if (Q.currentEntry(queue) !== entry) return;
  if (!playback) {
    if (++failures < queue.entries.length && Q.nextIndex(queue, 'skip') !== null) go(Q.nextIndex(queue, 'skip')!, true);
    return;
  }
  failures = 0;
  output.apply(hasUserActivation());
  await playback.play();
}

const hasUserActivation = () => (navigator as Navigator & { userActivation?: { hasBeenActive: boolean } }).userActivation?.hasBeenActive ?? true;

export function pause(): void {
  loaded?.value?.pause();
}

export function toggle(): void {
  if (isPlaying()) pause();
  else void play();
}

export function seek(seconds: number): void {
  const d = duration();
  const to = Math.min(Math.max(0, seconds), d || Infinity);
  if (loaded?.value) loaded.value.seek(to);
  else pendingStart = to;
  emit('time');
}

export const seekBy = (delta: number): void => seek(position() + delta);

/** Makes entry `index` current, playing it when asked. */
function go(index: number, playIt: boolean): void {
  if (index === queue.current && loaded) drop(); // the same entry again (repeat one): a new play, a new play session
  queue = Q.setCurrent(queue, index);
  pendingStart = 0;
  sync();
  if (playIt) void play();
}

export function next(): void {
  const i = Q.nextIndex(queue, 'skip');
  if (i !== null) go(i, isPlaying() || output.media.ended);
}

export function previous(): void {
  const i = Q.previousIndex(queue, position());
  if (i === null) return;
  if (i === queue.current) seek(0);
  else go(i, isPlaying());
}

function ended(): void {
  const i = Q.nextIndex(queue, 'ended');
  if (i === null) {
    persist();
    return;
  }
  go(i, true);
}

// --- the queue's edits

const edit = (q: QueueState) => {
  queue = q;
  sync();
};

export function playNow(items: QueueItem[], startIndex = 0): void {
  if (!items.length) return;
  queue = Q.replaceQueue(queue, items, startIndex);
  pendingStart = 0;
  sync();
  void play();
}

/** From a track's page: the track plays now and the queue stays, the page's seek kept as the start. */
export function playHere(item: QueueItem, known: Resolved | null, startAt = 0): void {
  if (known) fetched.set(itemKey(item), known);
  queue = Q.insertNext(queue, [item]);
  queue = Q.setCurrent(queue, queue.entries.length === 1 ? 0 : queue.current + 1);
  pendingStart = startAt;
  sync();
  void play();
}

export const playNext = (items: QueueItem[]): void => edit(Q.insertNext(queue, items));
export const addToQueue = (items: QueueItem[]): void => edit(Q.append(queue, items));
export const moveEntry = (key: number, to: number): void => edit(Q.move(queue, key, to));
export const clearQueue = (): void => edit(Q.clearQueue(queue));
export const setRepeat = (mode: RepeatMode): void => edit({ ...queue, repeat: mode });
export const setShuffle = (on: boolean): void => edit(Q.setShuffle(queue, on));

export function removeEntry(key: number): void {
  const wasCurrent = Q.currentEntry(queue)?.key === key;
  const playing = isPlaying();
  edit(Q.remove(queue, key));
  if (wasCurrent && playing) void play();
}

export function jumpTo(key: number): void {
  const i = queue.entries.findIndex((e) => e.key === key);
  if (i >= 0) go(i, true);
}

// --- media element events: listening is the Playback's, these are the dock's

function listenTo(el: HTMLMediaElement): void {
  const stillOurs = () => el === output.media;
  el.addEventListener('timeupdate', () => {
    if (!stillOurs()) return;
    emit('time');
    fetchAhead();
    if (Date.now() - lastSaved > 5000) persist();
  });
  el.addEventListener('durationchange', () => stillOurs() && emit('time'));
  for (const type of ['play', 'pause', 'seeked', 'ratechange'] as const) {
    el.addEventListener(type, () => {
      if (!stillOurs()) return;
      showPlaybackState(el.paused ? 'paused' : 'playing');
      showPosition(el.currentTime, duration(), el.playbackRate);
      if (type === 'pause') persist();
      emit('state');
    });
  }
  el.addEventListener('volumechange', () => stillOurs() && emit('state'));
  // After the Playback's own `ended` (its last report), not before.
  el.addEventListener('ended', () => stillOurs() && setTimeout(ended, 0));
}
listenTo(output.media);

function fetchAhead(): void {
  const current = loaded?.value;
  const next = upcoming();
  if (!current || !next || prepared || !Q.shouldPreload(current.position(), current.duration())) return;
  const abort = new AbortController();
  const playback = (async () => {
    try {
      const { playable, album } = await resolve(next.item);
      if (abort.signal.aborted || !playable.streaming?.masterPlaylistUrl) return null;
      const playback = new Playback(playable, say);
      await playback.reporter.start();
      await warmCache(playable, playback.reporter.sessionId, current.bandwidth(), abort.signal);
      return { playback, album };
    } catch {
      return null; // it is fetched again when its turn comes, and says why if it fails then
    }
  })();
  prepared = { key: next.key, playback, abort };
}

// --- kept in localStorage, per user (one browser may be shared)

const storageKey = () => `9ten.queue.${owner ?? 'anonymous'}`;
let lastSaved = 0;

function persist(): void {
  lastSaved = Date.now();
  try {
    if (!queue.entries.length) localStorage.removeItem(storageKey());
    else localStorage.setItem(storageKey(), JSON.stringify(Q.saveQueue(queue, output.media.ended ? 0 : position())));
  } catch {
    /* storage full or refused: the queue lives until the page closes */
  }
}

function restore(): void {
  const saved = Q.restoreQueue(localStorage.getItem(storageKey()));
  queue = saved?.queue ?? Q.emptyQueue();
  pendingStart = saved?.positionSeconds ?? 0;
  emit('queue');
}

onSessionChange((s) => {
  const user = s?.user.id ?? null;
  if (user === owner) return; // a refreshed token
  drop();
  discardPrepared();
  owner = user;
  say('');
  restore();
});

window.addEventListener('pagehide', () => {
  persist();
  loaded?.value?.reporter.close();
});

bindMediaSession({ play: () => void play(), pause, previous, next, seekTo: seek, seekBy });
restore();
