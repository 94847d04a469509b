// Keyboard shortcuts of the dock, active anywhere in the app except while typing in a field
// (and Space/arrows are left to the focused control that uses them), and the "?" dialog that
// lists them.
import { h } from '../dom.js';
import * as player from './controller.js';

interface Shortcut {
  keys: string[];
  what: string;
  /** Keys as KeyboardEvent.key, with "Shift+" when Shift is part of it. */
  match: string[];
  run(): void;
}

const volumeStep = 0.05;

const shortcuts: Shortcut[] = [
  { keys: ['Space', 'K'], what: 'Play or pause', match: [' ', 'k'], run: () => player.toggle() },
  { keys: ['J', '←'], what: 'Back 10 seconds', match: ['j', 'ArrowLeft'], run: () => player.seekBy(-10) },
  { keys: ['L', '→'], what: 'Forward 10 seconds', match: ['l', 'ArrowRight'], run: () => player.seekBy(10) },
  { keys: ['N'], what: 'Next track', match: ['n'], run: () => player.next() },
  { keys: ['P'], what: 'Previous track (or the start of this one)', match: ['p'], run: () => player.previous() },
  { keys: ['M'], what: 'Mute or unmute', match: ['m'], run: () => player.audio().setMuted(!player.media().muted) },
  { keys: ['Shift', '↑'], what: 'Volume up', match: ['Shift+ArrowUp'], run: () => player.audio().setVolume(player.audio().volume + volumeStep) },
  { keys: ['Shift', '↓'], what: 'Volume down', match: ['Shift+ArrowDown'], run: () => player.audio().setVolume(player.audio().volume - volumeStep) },
  { keys: ['?'], what: 'Show these shortcuts', match: ['?'], run: () => openHelp() },
];

const textTypes = new Set(['text', 'search', 'email', 'password', 'url', 'tel', 'number', 'date', 'datetime-local', 'month', 'time', 'week']);

/** Typing in a field: every key is the field's. */
function typing(el: Element | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  return el instanceof HTMLInputElement && textTypes.has(el.type);
}

/** A control that Space or the arrows already work (a button, a link, a slider, a checkbox). */
function usesSpaceOrArrows(el: Element | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.matches('button, a[href], input, summary, [role="slider"], [role="button"], [role="checkbox"], [role="tab"], [role="menuitem"], [role="option"]');
}

export function installShortcuts(): void {
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || !player.nowPlaying()) return;
    const target = e.target instanceof Element ? e.target : document.activeElement;
    if (typing(target) || target?.closest('dialog[open]')) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const name = e.shiftKey && key !== '?' && key.length > 1 ? `Shift+${key}` : key;
    const shortcut = shortcuts.find((s) => s.match.includes(name));
    if (!shortcut) return;
    if ((key === ' ' || key.startsWith('Arrow')) && usesSpaceOrArrows(target)) return;
    e.preventDefault();
    shortcut.run();
  });
}

let dialog: HTMLDialogElement | null = null;

export function openHelp(): void {
  if (!dialog) {
    const close = h('button', { type: 'submit', class: 'secondary' }, 'Close');
    dialog = h(
      'dialog',
      { class: 'dock-help', 'aria-labelledby': 'dock-help-title' },
      h('h2', { id: 'dock-help-title' }, 'Keyboard shortcuts'),
      h('p', { class: 'muted' }, 'Anywhere in the app, except while typing in a field.'),
      h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Keys'), h('th', { scope: 'col' }, 'Does'))),
        h('tbody', null, shortcuts.map((s) => h('tr', null, h('td', null, s.keys.map((k, i) => [i ? (s.keys[0] === 'Shift' ? ' + ' : ' or ') : '', h('kbd', null, k)]).flat()), h('td', null, s.what)))),
      ),
      h('form', { method: 'dialog' }, close),
    );
    document.body.append(dialog);
  }
  if (!dialog.open) dialog.showModal();
}
