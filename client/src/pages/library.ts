// The library: public tracks with title, artist and duration, a page at a time, each with Play
// (the page from that track) and the More menu.
import { api } from '../api.js';
import { errorText, h } from '../dom.js';
import { rowFromTrack } from '../lib/browse.js';
import { formatDuration } from '../lib/format.js';
import { trackActions } from './track-list.js';
import type { PageContext } from '../router.js';
import type { Track, TrackPage } from '../../../shared/api/index.js';

const pageSize = 25;

export async function libraryPage({ main, query, signal }: PageContext): Promise<void> {
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  main.append(h('h1', null, 'Library'));
  const loading = h('p', { class: 'loading', role: 'status' }, 'Loading the library…');
  main.append(loading);
  let page: TrackPage;
  try {
    page = await api<TrackPage>('GET', `/api/v1/tracks?limit=${pageSize}&offset=${offset}`, { signal });
  } catch (err) {
    loading.replaceWith(h('p', { class: 'message error', role: 'alert' }, `Could not load the library: ${errorText(err)}`));
    return;
  }
  loading.remove();
  // Play starts the page's playable tracks from that one (your tracks still processing are not).
  const rows = page.data.filter((t) => t.status === 'ready').map(rowFromTrack);
  if (page.data.length === 0) {
    main.append(h('p', { class: 'empty' }, offset ? 'No more tracks.' : 'No tracks yet. Artists can upload from their studio.'));
  } else {
    main.append(
      h(
        'table',
        { class: 'tracks library' },
        h('caption', { class: 'visually-hidden' }, `Tracks ${offset + 1}–${offset + page.data.length} of ${page.total}`),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Title'), h('th', { scope: 'col' }, 'Artist'), h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h(
          'tbody',
          null,
          page.data.map((t) =>
            h(
              'tr',
              { 'data-track-id': t.id },
              h('td', null, h('a', { href: `/tracks/${encodeURIComponent(t.id)}` }, t.title), t.kind === 'video' ? h('span', { class: 'badge' }, 'video') : null, statusBadge(t)),
              h('td', null, t.artist || t.channel?.displayName || '—'),
              h('td', { class: 'num' }, formatDuration(t.durationSeconds)),
              h('td', { class: 'row-actions' }, t.status === 'ready' ? trackActions(rows, rows.findIndex((r) => r.id === t.id)) : null),
            ),
          ),
        ),
      ),
    );
  }
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  if (offset > 0) pager.append(h('a', { href: `/library?offset=${Math.max(0, offset - pageSize)}`, class: 'button secondary' }, '← Previous'));
  if (offset + page.data.length < page.total) pager.append(h('a', { href: `/library?offset=${offset + pageSize}`, class: 'button secondary' }, 'Next →'));
  if (pager.childElementCount) main.append(pager);
}

/** Your own tracks are listed whatever their state: say which are not yet public. */
export function statusBadge(t: Track): HTMLElement | null {
  if (t.status !== 'ready') return h('span', { class: `status-badge ${t.status}` }, t.status === 'failed' ? 'failed' : `processing ${Math.round(t.progress ?? 0)} %`);
  if (t.visibility !== 'public') return h('span', { class: 'status-badge' }, t.visibility);
  return null;
}
