// Genres: every genre of the node's public tracks with how many tracks it has, and one genre's
// tracks, newest first, a page at a time.
import { api } from '../api.js';
import { h } from '../dom.js';
import { rowFromTrack, type TrackRow } from '../lib/browse.js';
import type { Track } from '../../../shared/api/index.js';
import type { PageContext } from '../router.js';
import { genreChips } from './home.js';
import { failure } from '../ui.js';
import { loadingSection, playAllBar, trackItem } from './track-list.js';

const pageSize = 50;

export async function genresPage({ main, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Genres'));
  const genres = loadingSection('Every genre', () => genreChips(signal));
  main.append(genres.el);
  await genres.done;
}

export async function genrePage({ main, params, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, params.genre), h('p', { class: 'muted' }, h('a', { href: '/genres' }, 'All genres')));
  const rows: TrackRow[] = [];
  const list = h('ol', { class: 'track-list', 'aria-label': `${params.genre} tracks` });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const status = h('p', { class: 'loading', role: 'status' }, `Loading ${params.genre} tracks…`);
  const bar = h('div');
  main.append(bar, status, list, h('div', { class: 'actions' }, more));
  const load = async () => {
    more.disabled = true;
    try {
      const { data } = await api<{ data: Track[] }>('GET', `/api/v1/genres/${encodeURIComponent(params.genre)}/tracks?limit=${pageSize}&offset=${rows.length}`, { signal });
      const start = rows.length;
      rows.push(...data.map(rowFromTrack));
      // Play starts the list as loaded so far, from that track.
      list.append(...rows.slice(start).map((_, i) => trackItem(rows, start + i, { label: '' })));
      status.textContent = rows.length ? `${rows.length} track${rows.length === 1 ? '' : 's'}${data.length === pageSize ? ' so far' : ''}.` : `No public tracks in ${params.genre}.`;
      status.className = rows.length ? 'muted' : 'empty';
      more.hidden = data.length < pageSize;
      bar.replaceChildren(playAllBar(rows));
    } catch (err) {
      status.replaceWith(failure(`Could not load ${params.genre} tracks`, err));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}
