// The player dock: fixed at the bottom of every page from the first play on (outside the page's
// content, which the router replaces), with the track playing, Previous / Play / Next, the
// position, shuffle, repeat, mute and volume, the queue and the shortcuts dialog.
import { h } from '../dom.js';
import { formatDuration } from '../lib/format.js';
import { currentEntry, isShuffled, nextRepeat, type QueueItem } from '../lib/queue.js';
import * as player from './controller.js';
import { icon, setIcon, type IconName } from './icons.js';
import { queuePanel } from './queue-panel.js';
import { installShortcuts, openHelp } from './shortcuts.js';
import './player.css';

export const trackHref = (item: QueueItem): string => `/${item.origin === 'remote' ? 'remote' : 'tracks'}/${encodeURIComponent(item.id)}`;

function iconButton(label: string, symbol: IconName | '?', run: () => void, extra: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'icon-button', 'aria-label': label, title: label, ...extra }, symbol === '?' ? h('span', { 'aria-hidden': 'true' }, '?') : icon(symbol));
  b.addEventListener('click', run);
  return b;
}

const repeatWords = { off: 'Repeat: off', all: 'Repeat: all', one: 'Repeat: this track' } as const;
const repeatIcons = { off: 'repeat', all: 'repeat', one: 'repeatOne' } as const;

let dock: HTMLElement | null = null;

/** Shows the dock (built on first need) while the queue has a track. */
export function showDock(): void {
  if (!dock && !player.nowPlaying()) return;
  dock ??= buildDock();
  const empty = !player.nowPlaying();
  dock.hidden = empty;
  document.body.classList.toggle('has-dock', !empty);
}

function buildDock(): HTMLElement {
  const cover = h('span', { class: 'dock-cover', 'aria-hidden': 'true' });
  const title = h('a', { class: 'dock-title' });
  const artist = h('span', { class: 'dock-artist muted' });
  const prev = iconButton('Previous track', 'previous', () => player.previous());
  const play = iconButton('Play', 'play', () => player.toggle(), { class: 'icon-button dock-play' });
  const next = iconButton('Next track', 'next', () => player.next());

  const elapsed = h('span', { class: 'dock-time', 'aria-hidden': 'true' }, '0:00');
  const total = h('span', { class: 'dock-time', 'aria-hidden': 'true' }, '0:00');
  const seek = h('input', { type: 'range', class: 'dock-seek', min: '0', max: '0', step: '1', value: '0', 'aria-label': 'Playback position' });
  let scrubbing = false;
  seek.addEventListener('input', () => {
    scrubbing = true;
    elapsed.textContent = formatDuration(Number(seek.value));
  });
  seek.addEventListener('change', () => {
    scrubbing = false;
    player.seek(Number(seek.value));
  });

  const shuffle = iconButton('Shuffle', 'shuffle', () => player.setShuffle(!isShuffled(player.queueState())), { 'aria-pressed': 'false' });
  const repeat = iconButton(repeatWords.off, repeatIcons.off, () => player.setRepeat(nextRepeat(player.queueState().repeat)), { 'aria-pressed': 'false' });
  const mute = iconButton('Mute', 'volume', () => player.audio().setMuted(!player.media().muted), { 'aria-pressed': 'false' });
  const volume = h('input', { type: 'range', class: 'dock-volume', min: '0', max: '1', step: '0.05', value: String(player.audio().volume), 'aria-label': 'Volume' });
  volume.addEventListener('input', () => player.audio().setVolume(Number(volume.value)));
  const panel = queuePanel('dock-queue');
  const queueButton = iconButton('Queue', 'queue', () => {
    panel.hidden = !panel.hidden;
    queueButton.setAttribute('aria-expanded', String(!panel.hidden));
  }, { 'aria-expanded': 'false', 'aria-controls': panel.id });
  const help = iconButton('Keyboard shortcuts', '?', openHelp, { 'aria-haspopup': 'dialog' });
  const status = h('p', { class: 'dock-status', role: 'status', 'aria-live': 'polite' });
  const screen = h('div', { class: 'dock-screen' }, player.media());

  const root = h(
    'section',
    { class: 'dock', 'aria-label': 'Player', hidden: true },
    panel,
    h('div', { class: 'dock-bar' },
      h('div', { class: 'dock-now' }, screen, cover, h('div', { class: 'dock-meta' }, title, artist)),
      h('div', { class: 'dock-transport' }, prev, play, next),
      h('div', { class: 'dock-progress' }, elapsed, seek, total),
      h('div', { class: 'dock-extras' }, shuffle, repeat, mute, volume, queueButton, help),
    ),
    status,
  );

  const showItem = () => {
    const item = player.nowPlaying();
    if (!item) return;
    title.textContent = item.title;
    title.href = trackHref(item);
    artist.textContent = item.artist ?? '';
    cover.replaceChildren(item.coverUrl ? h('img', { src: item.coverUrl, alt: '', width: '48', height: '48' }) : '♪');
    const q = player.queueState();
    const shuffled = isShuffled(q);
    shuffle.setAttribute('aria-pressed', String(shuffled));
    repeat.setAttribute('aria-pressed', String(q.repeat !== 'off'));
    repeat.setAttribute('aria-label', repeatWords[q.repeat]);
    repeat.title = repeatWords[q.repeat];
    setIcon(repeat, repeatIcons[q.repeat]);
    queueButton.setAttribute('aria-label', `Queue (${q.entries.length} ${q.entries.length === 1 ? 'track' : 'tracks'})`);
    const cur = currentEntry(q);
    prev.disabled = !cur;
    next.disabled = q.current + 1 >= q.entries.length && q.repeat === 'off';
  };
  const showTime = () => {
    const d = player.duration();
    const t = Math.min(player.position(), d || Infinity);
    seek.max = String(Math.max(0, Math.round(d)));
    if (!scrubbing) {
      seek.value = String(Math.round(t));
      elapsed.textContent = formatDuration(t);
    }
    seek.setAttribute('aria-valuetext', `${formatDuration(t)} of ${formatDuration(d)}`);
    total.textContent = formatDuration(d);
  };
  const showState = () => {
    const playing = player.isPlaying();
    play.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    play.title = playing ? 'Pause' : 'Play';
    setIcon(play, playing ? 'pause' : 'play');
    const media = player.media();
    mute.setAttribute('aria-pressed', String(media.muted));
    setIcon(mute, media.muted || player.audio().volume === 0 ? 'muted' : 'volume');
    volume.value = String(player.audio().volume);
    screen.hidden = media.tagName !== 'VIDEO';
    if (!screen.contains(media)) screen.replaceChildren(media);
  };
  player.subscribe((c) => {
    if (c === 'queue') {
      showDock();
      showItem();
      showTime();
    } else if (c === 'time') showTime();
    else if (c === 'state') {
      showState();
      showTime();
    } else status.textContent = player.statusText();
  });
  document.body.append(root);
  installShortcuts();
  showItem();
  showTime();
  showState();
  return root;
}
