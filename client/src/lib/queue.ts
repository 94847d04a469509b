// The play queue as data: what plays next (queue order, shuffle, repeat), the edits a listener
// makes (play next, add, move, remove, clear), what is kept in localStorage, and which files of
// the next track to fetch ahead. Pure: the dock (client/src/player/) does the playing.

/** A track in the queue: what the dock shows before it fetches the whole track. */
export interface QueueItem {
  id: string;
  origin: 'local' | 'remote';
  title: string;
  artist: string | null;
  coverUrl: string | null;
  durationSeconds: number | null;
}

export type RepeatMode = 'off' | 'all' | 'one';

/** One place in the queue; the key tells apart two places holding the same track. */
export interface QueueEntry<T = QueueItem> {
  key: number;
  item: T;
}

export interface QueueState<T = QueueItem> {
  /** In play order (shuffled while shuffle is on). */
  entries: QueueEntry<T>[];
  /** Index in `entries` of the track playing or paused, -1 when the queue is empty. */
  current: number;
  repeat: RepeatMode;
  /** While shuffle is on: the keys in the order they had before, to go back to when it is turned off. */
  unshuffled: number[] | null;
  nextKey: number;
}

export const emptyQueue = <T = QueueItem>(): QueueState<T> => ({ entries: [], current: -1, repeat: 'off', unshuffled: null, nextKey: 1 });

export const currentEntry = <T>(q: QueueState<T>): QueueEntry<T> | null => q.entries[q.current] ?? null;
export const isShuffled = (q: QueueState<unknown>): boolean => q.unshuffled !== null;

function keyed<T>(q: QueueState<T>, items: T[]): { entries: QueueEntry<T>[]; nextKey: number } {
  return { entries: items.map((item, i) => ({ key: q.nextKey + i, item })), nextKey: q.nextKey + items.length };
}

/** A shuffled copy (Fisher–Yates); `random` returns [0, 1) like Math.random. */
export function shuffled<T>(list: readonly T[], random: () => number = Math.random): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The current entry first, then every other one in random order. */
function shuffleAround<T>(entries: QueueEntry<T>[], current: number, random: () => number): QueueEntry<T>[] {
  const head = entries[current];
  const rest = shuffled(entries.filter((_, i) => i !== current), random);
  return head ? [head, ...rest] : rest;
}

/** Replaces the queue with `items`, `start` playing; shuffle stays on if it was. */
export function replaceQueue<T>(q: QueueState<T>, items: T[], start = 0, random: () => number = Math.random): QueueState<T> {
  const { entries, nextKey } = keyed(q, items);
  const current = items.length ? Math.min(Math.max(0, Math.trunc(start)), items.length - 1) : -1;
  if (!isShuffled(q) || current < 0) return { ...q, entries, current, nextKey, unshuffled: isShuffled(q) ? entries.map((e) => e.key) : null };
  return { ...q, entries: shuffleAround(entries, current, random), current: 0, nextKey, unshuffled: entries.map((e) => e.key) };
}

/** Inserts right after the current track (at the start of an empty queue). */
export function insertNext<T>(q: QueueState<T>, items: T[]): QueueState<T> {
  const { entries: added, nextKey } = keyed(q, items);
  const at = q.current + 1;
  const entries = [...q.entries.slice(0, at), ...added, ...q.entries.slice(at)];
  let unshuffled = q.unshuffled;
  if (unshuffled) {
    const cur = currentEntry(q);
    const pos = cur ? unshuffled.indexOf(cur.key) + 1 : 0;
    unshuffled = [...unshuffled.slice(0, pos), ...added.map((e) => e.key), ...unshuffled.slice(pos)];
  }
  return { ...q, entries, nextKey, unshuffled, current: q.current < 0 && entries.length ? 0 : q.current };
}

/** Appends at the end. An empty queue gets a current track (paused until played). */
export function append<T>(q: QueueState<T>, items: T[]): QueueState<T> {
  const { entries: added, nextKey } = keyed(q, items);
  const entries = [...q.entries, ...added];
  return {
    ...q,
    entries,
    nextKey,
    unshuffled: q.unshuffled ? [...q.unshuffled, ...added.map((e) => e.key)] : null,
    current: q.current < 0 && entries.length ? 0 : q.current,
  };
}

/** Moves an entry to `to` (clamped), keeping the current track current. */
export function move<T>(q: QueueState<T>, key: number, to: number): QueueState<T> {
  const from = q.entries.findIndex((e) => e.key === key);
  if (from < 0) return q;
  const target = Math.min(Math.max(0, Math.trunc(to)), q.entries.length - 1);
  if (target === from) return q;
  const cur = currentEntry(q);
  const entries = [...q.entries];
  const [moved] = entries.splice(from, 1);
  entries.splice(target, 0, moved);
  return { ...q, entries, current: cur ? entries.indexOf(cur) : -1 };
}

/** Removes an entry; when it was the current one, the entry after it (or else before) becomes current. */
export function remove<T>(q: QueueState<T>, key: number): QueueState<T> {
  const at = q.entries.findIndex((e) => e.key === key);
  if (at < 0) return q;
  const entries = q.entries.filter((e) => e.key !== key);
  let current = q.current;
  if (at < q.current) current--;
  else if (at === q.current) current = Math.min(at, entries.length - 1);
  return { ...q, entries, current, unshuffled: q.unshuffled?.filter((k) => k !== key) ?? null };
}

/** Empties the queue but for the track playing, which plays on. */
export function clearQueue<T>(q: QueueState<T>): QueueState<T> {
  const cur = currentEntry(q);
  return { ...q, entries: cur ? [cur] : [], current: cur ? 0 : -1, unshuffled: q.unshuffled ? (cur ? [cur.key] : []) : null };
}

/** Makes the entry with `key` current. */
export function jumpTo<T>(q: QueueState<T>, key: number): QueueState<T> {
  const at = q.entries.findIndex((e) => e.key === key);
  return at < 0 ? q : { ...q, current: at };
}

export function setCurrent<T>(q: QueueState<T>, index: number): QueueState<T> {
  return index >= 0 && index < q.entries.length ? { ...q, current: index } : q;
}

/** Shuffle on: the current track stays and plays on, the others follow in random order. Off: back to the order before. */
export function setShuffle<T>(q: QueueState<T>, on: boolean, random: () => number = Math.random): QueueState<T> {
  if (on === isShuffled(q)) return q;
  if (on) {
    const unshuffled = q.entries.map((e) => e.key);
    if (q.current < 0) return { ...q, entries: shuffled(q.entries, random), unshuffled };
    return { ...q, entries: shuffleAround(q.entries, q.current, random), current: 0, unshuffled };
  }
  const byKey = new Map(q.entries.map((e) => [e.key, e]));
  const entries = q.unshuffled!.map((k) => byKey.get(k)).filter((e): e is QueueEntry<T> => !!e);
  // Entries the order before does not know (none, unless edited by hand) keep their place at the end.
  for (const e of q.entries) if (!entries.includes(e)) entries.push(e);
  const cur = currentEntry(q);
  return { ...q, entries, current: cur ? entries.indexOf(cur) : -1, unshuffled: null };
}

export const nextRepeat = (mode: RepeatMode): RepeatMode => (mode === 'off' ? 'all' : mode === 'all' ? 'one' : 'off');

/**
 * What plays after the current track: on its natural end (`ended`), repeat one plays it again;
 * a press of Next (`skip`) always moves on. Null: nothing more to play.
 */
export function nextIndex(q: QueueState<unknown>, reason: 'ended' | 'skip'): number | null {
  if (q.current < 0) return null;
  if (reason === 'ended' && q.repeat === 'one') return q.current;
  if (q.current + 1 < q.entries.length) return q.current + 1;
  return q.repeat === 'off' ? null : 0;
}

/** Seconds into a track after which Previous restarts it rather than going back. */
export const restartAfterSeconds = 3;

/** Previous: the start of the current track when some of it has played, else the track before. */
export function previousIndex(q: QueueState<unknown>, positionSeconds: number): number | null {
  if (q.current < 0) return null;
  if (positionSeconds > restartAfterSeconds) return q.current;
  if (q.current > 0) return q.current - 1;
  return q.repeat === 'off' ? q.current : q.entries.length - 1;
}

// --- kept in localStorage: a reload restores the queue, paused where it was

export interface SavedQueue<T = QueueItem> {
  version: 1;
  items: T[];
  current: number;
  positionSeconds: number;
  repeat: RepeatMode;
  /** Shuffle on: the order before, as indices into `items`. */
  unshuffled: number[] | null;
}

export function saveQueue<T>(q: QueueState<T>, positionSeconds: number): SavedQueue<T> {
  const index = new Map(q.entries.map((e, i) => [e.key, i]));
  return {
    version: 1,
    items: q.entries.map((e) => e.item),
    current: q.current,
    positionSeconds: Math.max(0, Math.round(positionSeconds * 10) / 10) || 0,
    repeat: q.repeat,
    unshuffled: q.unshuffled ? q.unshuffled.map((k) => index.get(k)!).filter((i) => i !== undefined) : null,
  };
}

const str = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown) => v === null || typeof v === 'string';

export function isQueueItem(v: unknown): v is QueueItem {
  if (!v || typeof v !== 'object') return false;
  const x = v as Record<string, unknown>;
  return (
    str(x.id) && x.id.length > 0 && (x.origin === 'local' || x.origin === 'remote') && str(x.title) && strOrNull(x.artist) && strOrNull(x.coverUrl) &&
    (x.durationSeconds === null || (typeof x.durationSeconds === 'number' && Number.isFinite(x.durationSeconds) && x.durationSeconds >= 0))
  );
}

/** Reads what `saveQueue` wrote (as JSON); anything malformed gives null, items that are not tracks are dropped. */
export function restoreQueue(text: string | null): { queue: QueueState<QueueItem>; positionSeconds: number } | null {
  let raw: unknown;
  try {
    raw = text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object' || (raw as SavedQueue).version !== 1 || !Array.isArray((raw as SavedQueue).items)) return null;
  const saved = raw as SavedQueue<unknown>;
  const kept = saved.items.map((item, i) => ({ item, i })).filter((x): x is { item: QueueItem; i: number } => isQueueItem(x.item));
  if (!kept.length) return null;
  const keyOf = new Map(kept.map((x, n) => [x.i, n + 1]));
  const entries = kept.map((x, n) => ({ key: n + 1, item: x.item }));
  const current = Number.isInteger(saved.current) && keyOf.has(saved.current) ? keyOf.get(saved.current)! - 1 : 0;
  const repeat: RepeatMode = saved.repeat === 'all' || saved.repeat === 'one' ? saved.repeat : 'off';
  let unshuffled: number[] | null = null;
  if (Array.isArray(saved.unshuffled)) {
    const keys = saved.unshuffled.map((i) => keyOf.get(i as number)).filter((k): k is number => k !== undefined);
    unshuffled = [...new Set(keys)];
    for (const e of entries) if (!unshuffled.includes(e.key)) unshuffled.push(e.key);
  }
  const position = typeof saved.positionSeconds === 'number' && Number.isFinite(saved.positionSeconds) && saved.positionSeconds > 0 ? saved.positionSeconds : 0;
  return { queue: { entries, current, repeat, unshuffled, nextKey: entries.length + 1 }, positionSeconds: position };
}

// --- gapless-ish: which files of the next track to fetch a few seconds before the end

/** Seconds before the end of a track at which the next one is fetched ahead. */
export const preloadLeadSeconds = 10;

export function shouldPreload(positionSeconds: number, durationSeconds: number, lead = preloadLeadSeconds): boolean {
  return durationSeconds > 0 && Number.isFinite(durationSeconds) && durationSeconds - positionSeconds <= lead;
}

/** The variant playlists of an HLS master playlist, with their bandwidth, resolved against its URL. */
export function variantsOf(master: string, masterUrl: string): { url: string; bandwidth: number }[] {
  const lines = master.split(/\r?\n/).map((l) => l.trim());
  const out: { url: string; bandwidth: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('#EXT-X-STREAM-INF')) continue;
    const uri = lines.slice(i + 1).find((l) => l && !l.startsWith('#'));
    if (!uri) continue;
    out.push({ url: new URL(uri, masterUrl).href, bandwidth: Number(/BANDWIDTH=(\d+)/.exec(lines[i])?.[1] ?? 0) });
  }
  return out;
}

/** The variant hls.js will likely start with: the one nearest the bandwidth in use, else the first. */
export function pickVariant(variants: { url: string; bandwidth: number }[], bandwidth: number | null): string | null {
  if (!variants.length) return null;
  if (!bandwidth) return variants[0].url;
  return [...variants].sort((a, b) => Math.abs(a.bandwidth - bandwidth) - Math.abs(b.bandwidth - bandwidth))[0].url;
}

/** The first files a variant playlist needs: its init segment (EXT-X-MAP) and its first media segment. */
export function firstSegmentsOf(playlist: string, playlistUrl: string): string[] {
  const lines = playlist.split(/\r?\n/).map((l) => l.trim());
  const out: string[] = [];
  const map = lines.find((l) => l.startsWith('#EXT-X-MAP'));
  const init = map ? /URI="([^"]+)"/.exec(map)?.[1] : undefined;
  if (init) out.push(new URL(init, playlistUrl).href);
  const first = lines.find((l) => l && !l.startsWith('#'));
  if (first) out.push(new URL(first, playlistUrl).href);
  return out;
}
