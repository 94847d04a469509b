// A track's page part of the player: a big Play button, Play next and Add to queue, and the
// waveform as seek bar, bound to the dock while this track is the one playing (before, a seek
// only moves where it will start). The dock plays; this view has no media element of its own.
// For a metered track it shows the budget agent (prices, budget form), shared with the dock.
import { api } from '../api.js';
import { h } from '../dom.js';
import { formatDuration } from '../lib/format.js';
import type { QueueItem } from '../lib/queue.js';
import { seekTime } from '../lib/waveform.js';
import type { Playable } from '../player.js';
import { WaveformView } from '../waveform-view.js';
import type { Waveform } from '../../../shared/api/index.js';
import { holdAgent } from './agents.js';
import * as player from './controller.js';

export function trackPlayerView(item: QueueItem, playable: Playable, album: string | null, signal: AbortSignal): HTMLElement {
  const isCurrent = () => player.sameItem(player.nowPlaying(), item);
  let startAt = 0;
  const duration = () => (isCurrent() ? player.duration() : (playable.durationSeconds ?? 0));
  const position = () => (isCurrent() ? player.position() : startAt);

  const playButton = h('button', { type: 'button', class: 'play', 'aria-label': 'Play' }, h('span', { 'aria-hidden': 'true', class: 'icon' }, '▶'));
  const toggle = () => {
    if (isCurrent()) player.toggle();
    else player.playHere(item, { playable, album }, startAt);
  };
  playButton.addEventListener('click', toggle);
  const queueNext = h('button', { type: 'button', class: 'secondary' }, 'Play next');
  queueNext.addEventListener('click', () => {
    player.playNext([item]);
    queued.textContent = `“${item.title}” plays next.`;
  });
  const queueLast = h('button', { type: 'button', class: 'secondary' }, 'Add to queue');
  queueLast.addEventListener('click', () => {
    player.addToQueue([item]);
    queued.textContent = `“${item.title}” added to the queue.`;
  });
  const queued = h('span', { class: 'muted', role: 'status', 'aria-live': 'polite' });

  const time = h('span', { class: 'time', 'aria-live': 'off' });
  const wave = new WaveformView(`Waveform of ${item.title}`);
  const seek = h('div', { class: 'waveform', role: 'slider', tabindex: '0', 'aria-label': 'Seek', 'aria-valuemin': '0' }, wave.canvas);
  const seekTo = (t: number) => {
    const to = Math.min(Math.max(0, t), duration());
    if (isCurrent()) player.seek(to);
    else startAt = to;
    showPosition();
  };
  seek.addEventListener('click', (e) => {
    const rect = seek.getBoundingClientRect();
    seekTo(seekTime(e.clientX - rect.left, rect.width, duration()));
  });
  seek.addEventListener('keydown', (e) => {
    const step = e.shiftKey ? 15 : 5;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => seekTo(position() - step),
      ArrowDown: () => seekTo(position() - step),
      ArrowRight: () => seekTo(position() + step),
      ArrowUp: () => seekTo(position() + step),
      PageDown: () => seekTo(position() - 30),
      PageUp: () => seekTo(position() + 30),
      Home: () => seekTo(0),
      End: () => seekTo(duration()),
      ' ': toggle,
      Enter: toggle,
    };
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  });

  const showPosition = () => {
    const d = duration();
    const t = position();
    time.textContent = `${formatDuration(t)} / ${formatDuration(d)}`;
    seek.setAttribute('aria-valuemax', String(Math.round(d)));
    seek.setAttribute('aria-valuenow', String(Math.round(t)));
    seek.setAttribute('aria-valuetext', `${formatDuration(t)} of ${formatDuration(d)}`);
    wave.setPosition(t, d);
  };
  const showState = () => {
    const playing = isCurrent() && player.isPlaying();
    playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    playButton.querySelector('.icon')!.textContent = playing ? '❚❚' : '▶';
    playButton.classList.toggle('playing', playing);
  };
  const unsubscribe = player.subscribe((c) => {
    if (c === 'time' || c === 'queue') showPosition();
    if (c === 'state' || c === 'queue') showState();
    if (c === 'state') showPosition();
  });
  signal.addEventListener('abort', () => {
    unsubscribe();
    wave.destroy();
  });

  if (playable.waveformUrl || item.origin === 'local') {
    api<Waveform>('GET', playable.waveformUrl ?? `/api/v1/tracks/${encodeURIComponent(item.id)}/waveform`, { signal })
      .then((w) => {
        wave.setPeaks(Array.isArray(w.peaks) ? w.peaks : []);
        showPosition();
      })
      .catch(() => seek.classList.add('no-peaks'));
  } else seek.classList.add('no-peaks');

  showPosition();
  showState();
  return h(
    'section',
    { class: `player ${playable.kind}`, 'aria-label': 'Track player' },
    h('div', { class: 'player-row' }, playButton, seek),
    h('div', { class: 'player-row secondary' }, time, queueNext, queueLast, queued),
    holdAgent(playable, signal)?.element ?? null,
    playable.access?.mode === 'subscribers' ? h('p', { class: 'badge' }, 'For subscribers') : null,
  );
}
