// Search: tracks, artists and channels, albums and playlists of this node and of what followed
// channels and nodes federated here (GET /api/v1/search). A pasted URL or @name@host is looked up
// instead, and the track or channel it names is shown.
import { ApiError, api } from '../api.js';
import { h } from '../dom.js';
import { countText, hostOf, isAddressQuery, remotePlaylistPath, rowFromDiscover, searchErrorMessage } from '../lib/browse.js';
import { appPath, atHandle } from '../lib/discover.js';
import type { DiscoverChannel, LookupResult, SearchResult } from '../../../shared/api/index.js';
import type { PageContext } from '../router.js';
import { channelAction, plainText } from './discover.js';
import { albumGrid, cover, trackList } from './track-list.js';

export async function searchPage({ main, query, signal }: PageContext): Promise<void> {
  const q = (query.get('q') ?? '').trim();
  const input = document.querySelector<HTMLInputElement>('#site-q');
  if (input && input.value !== q) input.value = q;
  main.append(h('h1', null, q ? `Search: ${q}` : 'Search'));
  if (!q) {
    main.append(
      h('p', null, 'Type in the search box at the top: a track’s title (typos are forgiven), an artist, an album, a genre or a playlist, here and on the nodes this one follows.'),
      h('p', { class: 'muted' }, 'Paste the address of a track or channel on another node, or its @name@host, to bring it here.'),
      searchForm(''),
    );
    return;
  }
  const status = h('p', { class: 'loading', role: 'status' }, isAddressQuery(q) ? `Looking up ${q} (this can take a few seconds)…` : `Searching for “${q}”…`);
  main.append(status);
  let found: SearchResult;
  try {
    found = await api<SearchResult>('GET', `/api/v1/search?q=${encodeURIComponent(q)}&limit=20`, { signal });
  } catch (err) {
    if (signal.aborted) return;
    const text = err instanceof ApiError ? searchErrorMessage({ status: err.status, code: err.code, detail: err.message }) : `Search failed: ${String(err)}`;
    status.replaceWith(h('p', { class: 'message error', role: 'alert' }, text), searchForm(q));
    return;
  }
  status.remove();
  if (found.resolved) {
    main.append(...resolved(found.resolved));
    return;
  }
  const total = found.tracks.length + found.channels.length + found.albums.length + found.playlists.length;
  main.append(h('p', { class: 'muted', role: 'status' }, total ? `Found ${countText(found.tracks.length, 'track')}, ${countText(found.channels.length, 'channel')}, ${countText(found.albums.length, 'album')} and ${countText(found.playlists.length, 'playlist')}.` : `Nothing found for “${q}”. Check the spelling, or try fewer words.`));
  if (!total) return;
  if (found.tracks.length) main.append(resultSection('Tracks', trackList(found.tracks.map(rowFromDiscover), { label: 'Tracks found' })));
  if (found.channels.length) main.append(resultSection('Artists and channels', h('ul', { class: 'plain channel-list' }, found.channels.map((c) => h('li', null, channelCard(c))))));
  if (found.albums.length) main.append(resultSection('Albums', albumGrid(found.albums)));
  if (found.playlists.length) {
    main.append(
      resultSection(
        'Playlists',
        h(
          'ul',
          { class: 'plain link-list' },
          found.playlists.map((p) => {
            const href = p.id ? `/playlists/${encodeURIComponent(p.id)}` : remotePlaylistPath(p.uri, p.by);
            return h('li', null, h('a', { href }, p.title), p.origin === 'remote' ? h('span', { class: 'badge remote' }, 'remote') : null, h('span', { class: 'muted' }, ` · ${p.origin === 'remote' ? hostOf(p.by) : p.by} · ${countText(p.tracks, 'track')}`));
          }),
        ),
      ),
    );
  }
}

function resultSection(title: string, content: Node): HTMLElement {
  const id = `r-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { class: 'shelf', 'aria-labelledby': id }, h('h2', { id }, title), content);
}

/** The search form of the page itself (the header's box is the same search). */
function searchForm(q: string): HTMLFormElement {
  const input = h('input', { id: 'page-q', name: 'q', type: 'search', value: q, required: true, maxlength: '200', autocomplete: 'off' });
  return h('form', { class: 'inline', role: 'search', 'aria-label': 'Search again', action: '/search' }, h('div', { class: 'field' }, h('label', { for: 'page-q' }, 'Search for'), input), h('button', { type: 'submit' }, 'Search'));
}

function resolved(r: LookupResult): HTMLElement[] {
  if (r.type === 'track' && r.track) {
    return [resultSection('The track at that address', trackList([rowFromDiscover(r.track)], { label: 'Track found' }))];
  }
  if (r.channel) {
    const name = r.channel.name ?? r.channel.handle ?? r.channel.host;
    return [
      resultSection('The channel at that address', channelCard(r.channel)),
      resultSection(`Newest tracks of ${name}`, trackList((r.tracks ?? []).map(rowFromDiscover), { label: `Newest tracks of ${name}`, empty: 'No public tracks yet.' })),
    ];
  }
  return [h('p', { class: 'empty' }, 'That address names nothing this node can show.')];
}

/** A channel found: name, handle, summary, and open / follow. */
function channelCard(c: DiscoverChannel): HTMLElement {
  const name = c.name ?? c.handle ?? c.host;
  const summary = plainText(c.summary);
  return h(
    'article',
    { class: 'channel-card', 'aria-label': `Channel ${name}` },
    c.iconUrl ? h('img', { class: 'cover cover-small', src: c.iconUrl, alt: '', loading: 'lazy' }) : cover(null, 'small'),
    h(
      'div',
      { class: 'grow' },
      h('h3', null, c.pageUrl ? h('a', { href: appPath(c.pageUrl) }, name) : name, c.origin === 'remote' ? h('span', { class: 'badge remote' }, 'remote') : null),
      h('p', { class: 'muted' }, atHandle(c.handle) ?? c.host),
      summary ? h('p', { class: 'summary' }, summary.length > 200 ? `${summary.slice(0, 200)}…` : summary) : null,
      c.origin === 'remote' ? channelAction(c) : null,
    ),
  );
}
