// The queue as the dock shows it: each track with Play, Move up, Move down and Remove buttons
// (drag and drop too, with a mouse or pen), and Clear queue. After a move, focus stays on the
// button pressed and the new place is announced.
import { h } from '../dom.js';
import { formatDuration } from '../lib/format.js';
import { currentEntry, type QueueEntry } from '../lib/queue.js';
import * as player from './controller.js';

export function queuePanel(id: string): HTMLElement {
  const list = h('ol', { class: 'dock-queue-list', 'aria-label': 'Tracks in the queue' });
  const announce = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear queue');
  clear.addEventListener('click', () => {
    player.clearQueue();
    announce.textContent = 'Queue cleared; the track playing stays.';
  });
  const normalise = h('input', { type: 'checkbox', id: `${id}-normalise`, checked: player.audio().normalise });
  const gain = h('span', { class: 'muted' });
  normalise.addEventListener('change', () => {
    player.audio().setNormalise(normalise.checked);
    gain.textContent = normalise.checked ? ` (${player.audio().gainText()})` : '';
  });
  const panel = h(
    'div',
    { id, class: 'dock-queue', role: 'region', 'aria-label': 'Queue', hidden: true },
    h('div', { class: 'dock-queue-head' }, h('h2', null, 'Queue'), clear),
    h('label', { class: 'check', for: normalise.id }, normalise, ' Normalise loudness', gain),
    list,
    announce,
  );

  let dragged: number | null = null;
  const row = (entry: QueueEntry, index: number, count: number, isCurrent: boolean): HTMLElement => {
    const { item, key } = entry;
    const button = (action: string, label: string, icon: string, run: () => void, disabled = false) => {
      const b = h('button', { type: 'button', class: 'icon-button', 'data-action': action, 'aria-label': label, title: label, disabled }, h('span', { 'aria-hidden': 'true' }, icon));
      b.addEventListener('click', run);
      return b;
    };
    const moveTo = (to: number) => {
      player.moveEntry(key, to);
      announce.textContent = `${item.title} moved to place ${to + 1} of ${count}.`;
    };
    const li = h(
      'li',
      { 'data-key': String(key), 'aria-current': isCurrent ? 'true' : undefined, draggable: 'true' },
      h('span', { class: 'dock-queue-grip', 'aria-hidden': 'true', title: 'Drag to reorder' }, '⋮⋮'),
      button('play', `Play ${item.title}`, isCurrent ? '♪' : '▶', () => player.jumpTo(key)),
      h('span', { class: 'dock-queue-title' }, h('strong', null, item.title), item.artist ? h('span', { class: 'muted' }, ` · ${item.artist}`) : null, isCurrent ? h('span', { class: 'visually-hidden' }, ' (now playing)') : null),
      h('span', { class: 'muted dock-queue-time' }, formatDuration(item.durationSeconds)),
      button('up', `Move ${item.title} up`, '↑', () => moveTo(index - 1), index === 0),
      button('down', `Move ${item.title} down`, '↓', () => moveTo(index + 1), index === count - 1),
      button('remove', `Remove ${item.title} from the queue`, '✕', () => {
        player.removeEntry(key);
        announce.textContent = `${item.title} removed from the queue.`;
      }),
    );
    // Drag and drop for mouse and pen; touch and keyboard use the buttons.
    li.addEventListener('dragstart', (e) => {
      dragged = key;
      e.dataTransfer?.setData('text/plain', item.title);
      li.classList.add('dragging');
    });
    li.addEventListener('dragend', () => {
      dragged = null;
      li.classList.remove('dragging');
    });
    li.addEventListener('dragover', (e) => {
      if (dragged !== null && dragged !== key) e.preventDefault();
    });
    li.addEventListener('drop', (e) => {
      e.preventDefault();
      if (dragged !== null && dragged !== key) {
        const from = player.queueState().entries.findIndex((x) => x.key === dragged);
        player.moveEntry(dragged, index);
        announce.textContent = `Moved to place ${index + 1} of ${count} (from ${from + 1}).`;
      }
    });
    return li;
  };

  const render = () => {
    // Focus survives the redraw: the same button of the same track (or its neighbour once disabled).
    const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused?.closest('li')?.dataset.key;
    const focusAction = focused?.dataset.action;
    const q = player.queueState();
    const cur = currentEntry(q);
    list.replaceChildren(...q.entries.map((e, i) => row(e, i, q.entries.length, e === cur)));
    if (!q.entries.length) list.append(h('li', { class: 'muted' }, 'The queue is empty.'));
    clear.disabled = q.entries.length <= 1;
    gain.textContent = normalise.checked ? ` (${player.audio().gainText()})` : '';
    if (focusKey && focusAction) {
      const li = list.querySelector<HTMLElement>(`li[data-key="${focusKey}"]`);
      const target = li?.querySelector<HTMLButtonElement>(`[data-action="${focusAction}"]`);
      const fallback = li?.querySelector<HTMLButtonElement>(`[data-action="${focusAction === 'up' ? 'down' : 'up'}"]`);
      (target && !target.disabled ? target : fallback && !fallback.disabled ? fallback : (li?.querySelector('button') ?? clear)).focus();
    } else if (focused && !focused.isConnected) clear.focus();
  };
  player.subscribe((c) => {
    if (c === 'queue') render();
    else if (c === 'state') gain.textContent = normalise.checked ? ` (${player.audio().gainText()})` : '';
  });
  render();
  return panel;
}
