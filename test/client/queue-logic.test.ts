// The play queue's pure logic (client/src/lib/queue.ts) in node: edits (play next, add, move,
// remove, clear), shuffle that keeps the current track and comes back to the order before,
// repeat off/all/one and what Next and Previous pick, the localStorage format, and what is
// fetched ahead of the next track.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  append, clearQueue, currentEntry, emptyQueue, firstSegmentsOf, insertNext, isQueueItem, isShuffled, jumpTo, move, nextIndex, nextRepeat, pickVariant,
  previousIndex, remove, replaceQueue, restoreQueue, saveQueue, setCurrent, setShuffle, shouldPreload, shuffled, variantsOf, type QueueItem, type QueueState,
} from '../../client/src/lib/queue.js';

const item = (id: string): QueueItem => ({ id, origin: 'local', title: `Track ${id}`, artist: 'Artist', coverUrl: null, durationSeconds: 100 });
const ids = (q: QueueState) => q.entries.map((e) => e.item.id);
const now = (q: QueueState) => currentEntry(q)?.item.id ?? null;
/** A deterministic `random`: a fixed sequence in [0, 1). */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

test('replacing the queue plays the chosen item; play next goes right after it, add at the end', () => {
  let q = replaceQueue(emptyQueue(), [item('a'), item('b'), item('c')], 1);
  assert.deepEqual(ids(q), ['a', 'b', 'c']);
  assert.equal(now(q), 'b');
  q = insertNext(q, [item('x')]);
  assert.deepEqual(ids(q), ['a', 'b', 'x', 'c']);
  assert.equal(now(q), 'b');
  q = append(q, [item('y'), item('z')]);
  assert.deepEqual(ids(q), ['a', 'b', 'x', 'c', 'y', 'z']);
  assert.equal(new Set(q.entries.map((e) => e.key)).size, 6, 'every place has its own key');
  // Out of range starts are clamped.
  assert.equal(now(replaceQueue(emptyQueue(), [item('a'), item('b')], 9)), 'b');
  assert.equal(replaceQueue(emptyQueue(), [], 0).current, -1);
});

test('an empty queue gets a current track from play next or add, paused until played', () => {
  assert.equal(now(insertNext(emptyQueue(), [item('a')])), 'a');
  assert.equal(now(append(emptyQueue(), [item('a'), item('b')])), 'a');
  assert.equal(now(emptyQueue()), null);
});

test('the same track twice is two places: moving and removing one leaves the other', () => {
  let q = replaceQueue(emptyQueue(), [item('a'), item('b'), item('a')], 0);
  const second = q.entries[2].key;
  q = remove(q, second);
  assert.deepEqual(ids(q), ['a', 'b']);
  assert.equal(now(q), 'a');
});

test('move reorders and keeps the current track current, clamped at both ends', () => {
  let q = replaceQueue(emptyQueue(), [item('a'), item('b'), item('c'), item('d')], 1);
  const [ka, , kc, kd] = q.entries.map((e) => e.key);
  q = move(q, kd, 0);
  assert.deepEqual(ids(q), ['d', 'a', 'b', 'c']);
  assert.equal(now(q), 'b');
  q = move(q, ka, 99);
  assert.deepEqual(ids(q), ['d', 'b', 'c', 'a']);
  q = move(q, kc, -5);
  assert.deepEqual(ids(q), ['c', 'd', 'b', 'a']);
  assert.equal(now(q), 'b');
  assert.equal(move(q, 12345, 0), q, 'an unknown key changes nothing');
  // Moving the current track itself.
  const kb = currentEntry(q)!.key;
  q = move(q, kb, 0);
  assert.deepEqual(ids(q), ['b', 'c', 'd', 'a']);
  assert.equal(q.current, 0);
});

test('remove: before the current shifts it; the current one is replaced by the next (or the one before at the end)', () => {
  let q = replaceQueue(emptyQueue(), [item('a'), item('b'), item('c')], 1);
  q = remove(q, q.entries[0].key);
  assert.equal(now(q), 'b');
  assert.equal(q.current, 0);
  q = remove(q, q.entries[0].key);
  assert.equal(now(q), 'c', 'the next one becomes current');
  q = remove(q, q.entries[0].key);
  assert.equal(q.current, -1);
  q = replaceQueue(emptyQueue(), [item('a'), item('b')], 1);
  assert.equal(now(remove(q, q.entries[1].key)), 'a', 'the last one removed: the one before');
});

test('clear keeps only the track playing', () => {
  const q = clearQueue(replaceQueue(emptyQueue(), [item('a'), item('b'), item('c')], 1));
  assert.deepEqual(ids(q), ['b']);
  assert.equal(q.current, 0);
  assert.deepEqual(clearQueue(emptyQueue()).entries, []);
});

test('shuffled() is a permutation and Fisher–Yates with the given random', () => {
  const list = [1, 2, 3, 4, 5, 6, 7, 8];
  for (let n = 0; n < 20; n++) assert.deepEqual([...shuffled(list)].sort((a, b) => a - b), list);
  assert.deepEqual(shuffled([1, 2, 3], seq(0)), [2, 3, 1]);
  assert.deepEqual(shuffled(list, seq(0.999999)), list, 'each element swapped with itself');
});

test('shuffle keeps the current track playing (first), the rest follow in random order; off brings the order back', () => {
  let q = replaceQueue(emptyQueue(), ['a', 'b', 'c', 'd', 'e'].map(item), 2);
  q = setShuffle(q, true, seq(0));
  assert.ok(isShuffled(q));
  assert.equal(now(q), 'c');
  assert.equal(q.current, 0);
  assert.deepEqual([...ids(q)].sort(), ['a', 'b', 'c', 'd', 'e']);
  assert.notDeepEqual(ids(q), ['c', 'a', 'b', 'd', 'e'], 'the others are shuffled');
  // Edits while shuffled: play next and add are in both orders; removing too.
  q = insertNext(q, [item('x')]);
  assert.equal(ids(q)[1], 'x');
  q = append(q, [item('y')]);
  q = remove(q, q.entries.find((e) => e.item.id === 'a')!.key);
  q = jumpTo(q, q.entries.find((e) => e.item.id === 'e')!.key);
  q = setShuffle(q, false);
  assert.equal(isShuffled(q), false);
  assert.deepEqual(ids(q), ['b', 'c', 'x', 'd', 'e', 'y'], 'the order before, with the edits');
  assert.equal(now(q), 'e');
  // Replacing the queue while shuffled shuffles the new one around its start.
  const r = replaceQueue(setShuffle(emptyQueue(), true), ['p', 'q', 'r', 's'].map(item), 3, seq(0.5));
  assert.equal(now(r), 's');
  assert.equal(r.current, 0);
  assert.deepEqual(ids(setShuffle(r, false)), ['p', 'q', 'r', 's']);
});

test('next: on to the following track; at the end nothing, or the first with repeat all; repeat one replays on end only', () => {
  let q = replaceQueue(emptyQueue(), [item('a'), item('b'), item('c')], 1);
  assert.equal(nextIndex(q, 'ended'), 2);
  assert.equal(nextIndex(q, 'skip'), 2);
  q = setCurrent(q, 2);
  assert.equal(nextIndex(q, 'ended'), null);
  assert.equal(nextIndex(q, 'skip'), null);
  q = { ...q, repeat: 'all' };
  assert.equal(nextIndex(q, 'ended'), 0);
  q = { ...q, repeat: 'one' };
  assert.equal(nextIndex(q, 'ended'), 2, 'repeat one: the same track again');
  assert.equal(nextIndex(q, 'skip'), 0, 'Next moves on even with repeat one');
  assert.equal(nextIndex(emptyQueue(), 'ended'), null);
  assert.deepEqual(['off', 'all', 'one'].map((m) => nextRepeat(m as 'off')), ['all', 'one', 'off']);
});

test('previous: restarts a track played for more than 3 s, else the one before (the last with repeat all)', () => {
  const q = replaceQueue(emptyQueue(), [item('a'), item('b'), item('c')], 1);
  assert.equal(previousIndex(q, 10), 1);
  assert.equal(previousIndex(q, 2), 0);
  const first = setCurrent(q, 0);
  assert.equal(previousIndex(first, 1), 0, 'nothing before: the start of this one');
  assert.equal(previousIndex({ ...first, repeat: 'all' }, 1), 2);
  assert.equal(previousIndex(emptyQueue(), 0), null);
});

test('the saved queue restores the same queue, position, repeat and shuffle order', () => {
  let q = replaceQueue(emptyQueue(), ['a', 'b', 'c', 'd'].map(item), 1);
  q = { ...setShuffle(q, true, seq(0.3, 0.7)), repeat: 'all' };
  const saved = JSON.stringify(saveQueue(q, 42.345));
  const back = restoreQueue(saved)!;
  assert.equal(back.positionSeconds, 42.3);
  assert.deepEqual(ids(back.queue), ids(q));
  assert.equal(now(back.queue), 'b');
  assert.equal(back.queue.repeat, 'all');
  assert.ok(isShuffled(back.queue));
  assert.deepEqual(ids(setShuffle(back.queue, false)), ['a', 'b', 'c', 'd'], 'shuffle off after a reload: the order before');
  // New places get keys of their own after a restore.
  const more = append(back.queue, [item('e')]);
  assert.equal(new Set(more.entries.map((e) => e.key)).size, 5);
});

test('a malformed saved queue is ignored; items that are not tracks are dropped', () => {
  for (const text of [null, '', 'not json', '{}', '[]', '{"version":2,"items":[]}', JSON.stringify({ version: 1, items: [] })]) assert.equal(restoreQueue(text), null, String(text));
  const text = JSON.stringify({ version: 1, items: [{ id: 'x' }, item('a'), 42, item('b')], current: 3, positionSeconds: -5, repeat: 'sometimes', unshuffled: 'no' });
  const back = restoreQueue(text)!;
  assert.deepEqual(ids(back.queue), ['a', 'b']);
  assert.equal(now(back.queue), 'b', 'the current item kept through the drop');
  assert.equal(back.positionSeconds, 0);
  assert.equal(back.queue.repeat, 'off');
  assert.equal(isShuffled(back.queue), false);
  assert.equal(now(restoreQueue(JSON.stringify({ version: 1, items: [item('a')], current: 7 }))!.queue), 'a');
  assert.equal(isQueueItem({ ...item('a'), origin: 'elsewhere' }), false);
  assert.equal(isQueueItem({ ...item('a'), durationSeconds: Infinity }), false);
  assert.equal(isQueueItem({ ...item('a'), origin: 'remote', artist: null, durationSeconds: null }), true);
});

test('fetching ahead: near the end only; the variant nearest the bitrate in use; the init and first segment', () => {
  assert.equal(shouldPreload(85, 100), false);
  assert.equal(shouldPreload(91, 100), true);
  assert.equal(shouldPreload(0, 0), false, 'unknown duration');
  const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=70000,CODECS="mp4a.40.2"\n64k/playlist.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=140000\n128k/playlist.m3u8\n';
  const variants = variantsOf(master, 'http://node.test/static/hls/t1/master.m3u8');
  assert.deepEqual(variants, [
    { url: 'http://node.test/static/hls/t1/64k/playlist.m3u8', bandwidth: 70000 },
    { url: 'http://node.test/static/hls/t1/128k/playlist.m3u8', bandwidth: 140000 },
  ]);
  assert.equal(pickVariant(variants, null), variants[0].url);
  assert.equal(pickVariant(variants, 130000), variants[1].url);
  assert.equal(pickVariant([], 1), null);
  const playlist = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg-00000.m4s\n#EXTINF:4.0,\nseg-00001.m4s\n#EXT-X-ENDLIST\n';
  assert.deepEqual(firstSegmentsOf(playlist, 'http://node.test/static/hls/t1/64k/playlist.m3u8?x=1'), ['http://node.test/static/hls/t1/64k/init.mp4', 'http://node.test/static/hls/t1/64k/seg-00000.m4s']);
});
