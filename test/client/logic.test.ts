// Pure logic of the web client (runs in node): chunk planning, loudness gain, waveform bars, formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentRange, nextChunk, planChunks, resumeKey, uploadFraction } from '../../client/src/lib/chunks.js';
import { normalisationGain, splitGain } from '../../client/src/lib/loudness.js';
import { barHeights, playedBars, seekTime } from '../../client/src/lib/waveform.js';
import { formatBytes, formatDuration } from '../../client/src/lib/format.js';
import { PlayedTracker } from '../../client/src/lib/played.js';

test('chunk plan covers the file exactly once, in order, with inclusive Content-Range ends', () => {
  for (const [size, chunk] of [[0, 5], [1, 5], [10, 5], [11, 5], [12_345_678, 5 * 1024 * 1024]]) {
    const plan = planChunks(size, chunk);
    let expected = 0;
    for (const c of plan) {
      assert.equal(c.start, expected);
      assert.ok(c.end >= c.start && c.end - c.start + 1 <= chunk);
      expected = c.end + 1;
    }
    assert.equal(expected, size, `size ${size}`);
    assert.equal(plan.length, Math.ceil(size / chunk));
  }
  assert.deepEqual(planChunks(11, 5).map((c) => contentRange(c, 11)), ['bytes 0-4/11', 'bytes 5-9/11', 'bytes 10-10/11']);
});

test('resuming starts at the server offset, even mid-chunk', () => {
  assert.deepEqual(nextChunk(7, 11, 5), { start: 7, end: 10 });
  assert.equal(nextChunk(11, 11, 5), null);
  assert.deepEqual(planChunks(11, 5, 3), [{ start: 3, end: 7 }, { start: 8, end: 10 }]);
  assert.throws(() => nextChunk(12, 11, 5), RangeError);
  assert.throws(() => nextChunk(0, 11, 0), RangeError);
  assert.equal(uploadFraction(5, 3, 10), 0.8);
  assert.equal(uploadFraction(10, 5, 10), 1);
  assert.equal(resumeKey({ name: 'a.flac', size: 3, lastModified: 9 }, 'ch1'), '9ten.upload:ch1:a.flac:3:9');
});

test('loudness gain moves the track toward -14 LUFS without clipping a boost', () => {
  const loud = normalisationGain({ integratedLufs: -8, truePeakDbtp: 0 });
  assert.equal(loud.gainDb, -6);
  assert.ok(Math.abs(loud.linear - 0.5012) < 0.001);
  assert.deepEqual(splitGain(1, loud.linear), { elementVolume: 0.5012, boost: 1 });
  assert.deepEqual(splitGain(0.5, loud.linear), { elementVolume: 0.2506, boost: 1 });

  // -20 LUFS wants +6 dB, but a -4 dBTP peak leaves room for only +3 dB below the -1 dBTP ceiling.
  const quiet = normalisationGain({ integratedLufs: -20, truePeakDbtp: -4 });
  assert.equal(quiet.gainDb, 3);
  assert.equal(splitGain(0.8, quiet.linear).elementVolume, 0.8);
  assert.ok(splitGain(0.8, quiet.linear).boost > 1.41 && splitGain(0.8, quiet.linear).boost < 1.42);

  assert.equal(normalisationGain({ integratedLufs: -40, truePeakDbtp: -30 }).gainDb, 12, 'boost capped at 12 dB');
  assert.equal(normalisationGain({ integratedLufs: -14, truePeakDbtp: -1 }).gainDb, 0);
  assert.equal(normalisationGain({ integratedLufs: -20, truePeakDbtp: 0 }).gainDb, 0, 'no headroom: no boost');
  assert.equal(normalisationGain(null).linear, 1);
  assert.equal(normalisationGain({ integratedLufs: null }).linear, 1);
  assert.equal(normalisationGain({ integratedLufs: -Infinity }).linear, 1);
  assert.equal(normalisationGain({ integratedLufs: -10 }, { targetLufs: -16 }).gainDb, -6);
});

test('waveform bars: any peak scale, loudest bar is 1, played part follows the position', () => {
  assert.deepEqual(barHeights([0, 0.5, -1, 0.25], 4), [0, 0.5, 1, 0.25]);
  assert.deepEqual(barHeights([0, 16384, 32767, 8192], 2), [16384 / 32767, 1]);
  assert.deepEqual(barHeights([], 3), [0, 0, 0]);
  assert.deepEqual(barHeights([0, 0], 2), [0, 0]);
  const up = barHeights([1, 2], 6); // fewer peaks than bars: each peak spans several bars
  assert.equal(up.length, 6);
  assert.deepEqual(up, [0.5, 0.5, 0.5, 1, 1, 1]);
  assert.equal(playedBars(0, 10, 100), 0);
  assert.equal(playedBars(5, 10, 100), 50);
  assert.equal(playedBars(12, 10, 100), 100);
  assert.equal(playedBars(5, 0, 100), 0);
  assert.equal(seekTime(50, 200, 8), 2);
  assert.equal(seekTime(-5, 200, 8), 0);
  assert.equal(seekTime(500, 200, 8), 8);
});

test('played seconds count playback, not seeks', () => {
  const t = new PlayedTracker();
  for (let s = 0; s <= 4; s += 0.25) t.update(s);
  t.update(60); // a seek forward
  t.update(60.25);
  t.break();
  t.update(10);
  t.update(10.5);
  assert.equal(t.playedSeconds, 4.75);
});

test('durations and sizes read naturally', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(6.4), '0:06');
  assert.equal(formatDuration(201), '3:21');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(null), '–:––');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1_500_000), '1.5 MB');
});
