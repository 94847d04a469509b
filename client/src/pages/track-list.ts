// Every list of tracks looks and acts the same: cover, title, artist and channel, duration, and
// Play (the list from that track), Play next, Add to queue, Add to playlist. Also the "Play all" /
// "Shuffle" bar of an album or playlist, the page's spoken status line, and a section that says
// it is loading until its data comes.
import { api, session } from '../api.js';
import { errorText, h } from '../dom.js';
import { accessBadge } from '../lib/discover.js';
import { albumPath, bylineText, countText, mayAddToPlaylist, queueItem, withTracks, type TrackRow } from '../lib/browse.js';
import { formatDuration } from '../lib/format.js';
import { addToQueue, playNext, playNow } from '../player/index.js';
import { shuffled } from '../lib/queue.js';
import type { Album, Playlist } from '../../../shared/api/index.js';
import { failure } from '../ui.js';

/** One polite live region for the whole app: "Added to the queue", "Moved", "Copied". */
export function announce(text: string, kind: 'ok' | 'error' = 'ok'): void {
  let region = document.getElementById('announcer');
  if (!region) {
    region = h('div', { id: 'announcer', class: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  region.textContent = '';
  region.className = `toast ${kind}`;
  // A fresh text node after a tick, so the same words twice are announced twice.
  setTimeout(() => {
    region!.textContent = text;
  }, 30);
  clearTimeout(Number(region.dataset.timer));
  region.dataset.timer = String(setTimeout(() => (region!.textContent = ''), 5000));
}

/** A player action, then its spoken confirmation (or what went wrong). */
const run = (action: () => void, done: string) => () => {
  try {
    action();
    announce(done);
  } catch (err) {
    announce(errorText(err), 'error');
  }
};

export interface TrackListOptions {
  /** The list's name for screen readers ("New releases"). */
  label: string;
  /** Show each row's track number (an album), else its place in the list when `numbered`. */
  trackNumbers?: boolean;
  numbered?: boolean;
  /** A short note after the byline: "12 listens", "played yesterday". */
  note?: (r: TrackRow) => string | null;
  /** Controls of the row's own (a playlist's Move up / Move down / Remove). */
  extra?: (r: TrackRow, index: number) => Node[];
  empty?: string;
}

export function trackList(rows: TrackRow[], opts: TrackListOptions): HTMLElement {
  if (!rows.length) return h('p', { class: 'empty' }, opts.empty ?? 'No tracks yet.');
  const list = h('ol', { class: 'track-list', 'aria-label': opts.label });
  list.append(...rows.map((r, i) => trackItem(rows, i, opts)));
  return list;
}

export function trackItem(rows: TrackRow[], index: number, opts: TrackListOptions): HTMLLIElement {
  const r = rows[index];
  const access = accessBadge(r.access);
  const number = opts.trackNumbers ? (r.trackNumber ?? '') : opts.numbered ? index + 1 : null;
  const note = opts.note?.(r);
  return h(
    'li',
    { class: 'track-item', 'data-track-id': r.id },
    number !== null ? h('span', { class: 'track-number', 'aria-hidden': 'true' }, number) : null,
    cover(r.coverUrl, 'small'),
    h(
      'div',
      { class: 'track-main' },
      h('a', { class: 'track-title', href: r.href }, r.title),
      r.kind === 'video' ? h('span', { class: 'badge' }, 'video') : null,
      r.origin === 'remote' ? h('span', { class: 'badge remote' }, 'remote') : null,
      access ? h('span', { class: 'badge paid' }, access) : null,
      h(
        'span',
        { class: 'track-byline' },
        r.channelHref ? h('a', { href: r.channelHref }, bylineText(r)) : bylineText(r),
        r.channelHandle ? h('span', { class: 'handle' }, ` ${r.channelHandle}`) : null,
        note ? ` · ${note}` : null,
      ),
    ),
    h('span', { class: 'duration', 'aria-label': `Duration ${formatDuration(r.durationSeconds)}` }, formatDuration(r.durationSeconds)),
    h('div', { class: 'track-actions' }, ...(opts.extra?.(r, index) ?? []), ...trackActions(rows, index)),
  );
}

/** Play (the list from this track) and the "More" menu: Play next, Add to queue, Add to playlist. */
export function trackActions(rows: TrackRow[], index: number): HTMLElement[] {
  const r = rows[index];
  const play = h('button', { type: 'button', class: 'icon play-button', 'aria-label': `Play ${r.title}`, title: 'Play' }, h('span', { 'aria-hidden': 'true' }, '▶'));
  play.addEventListener('click', run(() => playNow(rows.map(queueItem), index), `Playing ${r.title}.`));
  const item = (text: string, action: () => void) => {
    const b = h('button', { type: 'button', class: 'menu-item' }, text);
    b.addEventListener('click', () => {
      menu.open = false;
      action();
    });
    return b;
  };
  const menu = h(
    'details',
    { class: 'more' },
    h('summary', { class: 'icon', title: 'More' }, h('span', { 'aria-hidden': 'true' }, '⋯'), h('span', { class: 'visually-hidden' }, `More for ${r.title}`)),
    h(
      'div',
      { class: 'menu' },
      item('Play next', run(() => playNext(queueItem(r)), `${r.title} plays next.`)),
      item('Add to queue', run(() => addToQueue([queueItem(r)]), `Added ${r.title} to the queue.`)),
      mayAddToPlaylist(r) ? item('Add to playlist…', () => addToPlaylistDialog([r])) : null,
    ),
  );
  // Escape closes the menu and gives the focus back to its button.
  menu.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && menu.open) {
      menu.open = false;
      menu.querySelector('summary')?.focus();
    }
  });
  return [play, menu];
}

/** An album's or playlist's "Play all" and "Shuffle". */
export function playAllBar(rows: TrackRow[], ...more: Node[]): HTMLElement {
  const bar = h('div', { class: 'actions play-all' });
  if (rows.length) {
    const all = h('button', { type: 'button' }, h('span', { 'aria-hidden': 'true' }, '▶ '), 'Play all');
    all.addEventListener('click', run(() => playNow(rows.map(queueItem), 0), `Playing ${countText(rows.length, 'track')}.`));
    const mix = h('button', { type: 'button', class: 'secondary' }, h('span', { 'aria-hidden': 'true' }, '⤮ '), 'Shuffle');
    mix.addEventListener('click', run(() => playNow(shuffled(rows.map(queueItem)), 0), `Shuffling ${countText(rows.length, 'track')}.`));
    bar.append(all, mix);
  }
  bar.append(...more);
  return bar;
}

/** A cover image, or a placeholder of the same size. */
export function cover(url: string | null, size: 'small' | 'large' | 'card'): HTMLElement {
  return url
    ? h('img', { class: `cover cover-${size}`, src: url, alt: '', loading: 'lazy', decoding: 'async' })
    : h('span', { class: `cover cover-${size} placeholder`, 'aria-hidden': 'true' }, '♪');
}

/**
 * A section that says "Loading …" until `load` gives its content, or says in words what failed.
 * The heading is there from the start, so nothing on the page is blank while data comes.
 */
export function loadingSection(title: string, load: () => Promise<Node | Node[] | null>, opts: { id?: string; after?: Node[] } = {}): { el: HTMLElement; done: Promise<void> } {
  const id = opts.id ?? `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const status = h('p', { class: 'loading', role: 'status' }, `Loading ${title.toLowerCase()}…`);
  const el = h('section', { class: 'shelf', 'aria-labelledby': id, 'aria-busy': 'true' }, h('h2', { id }, title), status);
  const done = load().then(
    (content) => {
      status.replaceWith(...(content === null ? [] : Array.isArray(content) ? content : [content]), ...(opts.after ?? []));
    },
    (err) => {
      if ((err as Error)?.name === 'AbortError') return;
      status.replaceWith(failure(`Could not load ${title.toLowerCase()}`, err));
    },
  ).finally(() => el.removeAttribute('aria-busy'));
  return { el, done };
}

/** The signed-in user's playlists (every visibility), newest changes first. */
export async function myPlaylists(signal?: AbortSignal): Promise<Playlist[]> {
  return (await api<{ data: Playlist[] }>('GET', '/api/v1/me/playlists?limit=100', { signal })).data;
}

/** Appends tracks to a playlist (the node takes the whole ordered list). */
export async function appendToPlaylist(p: Playlist, trackIds: string[]): Promise<number> {
  const next = withTracks(p.tracks.map((t) => t.id), trackIds);
  if (next.added) await api<Playlist>('PATCH', `/api/v1/playlists/${encodeURIComponent(p.id)}`, { body: { trackIds: next.ids } });
  return next.added;
}

/** The "Add to playlist" dialog: one of my playlists, or a new one. */
export function addToPlaylistDialog(rows: TrackRow[]): void {
  const what = rows.length === 1 ? `“${rows[0].title}”` : countText(rows.length, 'track');
  const ids = rows.map((r) => r.id);
  const titleId = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const body = h('div', { class: 'dialog-body' }, h('p', { class: 'loading', role: 'status' }, 'Loading your playlists…'));
  const close = h('button', { type: 'button', class: 'secondary' }, 'Close');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, h('h2', { id: titleId }, `Add ${what} to a playlist`), body, h('div', { class: 'actions' }, close));
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  const finish = (text: string) => {
    dialog.close();
    announce(text);
  };
  if (!session()) {
    body.replaceChildren(h('p', null, h('a', { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, 'Log in'), ' to make playlists.'));
    return;
  }
  void myPlaylists().then(
    (mine) => {
      const status = h('p', { class: 'message', role: 'status', hidden: true });
      const pick = h(
        'ul',
        { class: 'plain pick-list', 'aria-label': 'Your playlists' },
        mine.map((p) => {
          const b = h('button', { type: 'button', class: 'secondary wide' }, p.title, h('span', { class: 'muted' }, ` · ${countText(p.tracks.length, 'track')}`));
          b.addEventListener('click', async () => {
            b.disabled = true;
            try {
              const added = await appendToPlaylist(p, ids);
              finish(added ? `Added ${what} to ${p.title}.` : `${p.title} has ${what} already.`);
            } catch (err) {
              b.disabled = false;
              status.hidden = false;
              status.className = 'message error';
              status.textContent = `Could not add: ${errorText(err)}`;
            }
          });
          return h('li', null, b);
        }),
      );
      const title = h('input', { id: `${titleId}-t`, name: 'title', required: true, maxlength: '200', autocomplete: 'off' });
      const create = h('button', { type: 'submit' }, 'Create and add');
      const form = h('form', { class: 'inline', 'aria-label': 'Make a playlist' }, h('div', { class: 'field' }, h('label', { for: title.id }, 'New playlist'), title), create);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        create.disabled = true;
        try {
          const p = await api<Playlist>('POST', '/api/v1/playlists', { body: { title: title.value.trim(), visibility: 'private' } });
          await appendToPlaylist(p, ids);
          finish(`Made the playlist ${p.title} with ${what}.`);
        } catch (err) {
          create.disabled = false;
          status.hidden = false;
          status.className = 'message error';
          status.textContent = `Could not make the playlist: ${errorText(err)}`;
        }
      });
      body.replaceChildren(mine.length ? pick : h('p', { class: 'empty' }, 'You have no playlists yet.'), form, status);
      (pick.querySelector('button') ?? title).focus();
    },
    (err) => body.replaceChildren(failure('Could not load your playlists', err)),
  );
}

/** Albums as cards: cover, title, channel, tracks and length. */
export function albumGrid(albums: Album[]): HTMLElement {
  return h(
    'ul',
    { class: 'album-grid' },
    albums.map((a) =>
      h(
        'li',
        null,
        h(
          'a',
          { class: 'album-card', href: albumPath(a.channel.name, a.title) },
          cover(a.coverUrl, 'card'),
          h('span', { class: 'album-title' }, a.title),
          h('span', { class: 'muted' }, `${a.channel.displayName} · ${countText(a.tracks, 'track')} · ${formatDuration(a.durationSeconds)}`),
        ),
      ),
    ),
  );
}

/** Copies a page's address (falls back to selecting it in a prompt-free text field when the clipboard is refused). */
export function copyLinkButton(url: string, text = 'Copy link'): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'secondary' }, text);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(url);
      announce(`Link copied: ${url}`);
    } catch {
      const field = h('input', { type: 'text', readonly: true, value: url, 'aria-label': 'Link to copy', class: 'copy-field' });
      b.after(field);
      field.select();
      announce('Copy the selected link.');
    }
  });
  return b;
}

/** The head of an album or playlist page: cover, what it is, its title, by whom, then facts and actions. */
export function collectionHeader(o: { coverUrl: string | null; kind: (Node | string | null)[]; title: HTMLElement; byline: (Node | string)[]; details: Node[] }): HTMLElement {
  return h('header', { class: 'album-header' }, cover(o.coverUrl, 'large'), h('div', null, h('p', { class: 'eyebrow' }, ...o.kind), o.title, h('p', { class: 'byline' }, ...o.byline), ...o.details));
}
