// Playlists: mine (make one here), public ones of this node, and those of the actors this node
// follows elsewhere; a playlist's page with Play all, Shuffle, Copy link, and for its owner
// editing, deleting and reordering (drag a row, or Move up / Move down from the keyboard).
import { api, ApiError, session } from '../api.js';
import { errorText, field, h } from '../dom.js';
import {
  countText, hostOf, mayEditPlaylist, movedText, moveItem, playlistPath, remotePlaylistPath, rowFromRemote, rowFromTrack, type RemotePlaylist, type TrackRow,
} from '../lib/browse.js';
import { formatDuration } from '../lib/format.js';
import { navigate } from '../router.js';
import type { PageContext } from '../router.js';
import type { Playlist, RemoteTrack } from '../../../shared/api/index.js';
import { failure, inlineForm } from '../ui.js';
import { reportButton } from '../report-dialog.js';
import { announce, collectionHeader, copyLinkButton, loadingSection, myPlaylists, playAllBar, trackList } from './track-list.js';

const visibilities = [
  ['private', 'Private: only you'],
  ['unlisted', 'Unlisted: whoever has the link'],
  ['public', 'Public: listed and found in search'],
] as const;

function playlistLinks(list: Playlist[], empty: string): HTMLElement {
  if (!list.length) return h('p', { class: 'empty' }, empty);
  return h(
    'ul',
    { class: 'plain link-list' },
    list.map((p) =>
      h('li', null, h('a', { href: playlistPath(p.id) }, p.title), p.visibility !== 'public' ? h('span', { class: 'status-badge' }, p.visibility) : null, h('span', { class: 'muted' }, ` · ${p.channel?.displayName ?? p.owner.username} · ${countText(p.tracks.length, 'track')}`)),
    ),
  );
}

export async function playlistsPage({ main, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Playlists'));
  const sections = [
    session()
      ? loadingSection('Your playlists', async () => [playlistLinks(await myPlaylists(signal), 'You have no playlists yet. Make one here, or from any track’s “More” menu.'), newPlaylistForm()])
      : null,
    loadingSection('Public playlists', async () => playlistLinks((await api<{ data: Playlist[] }>('GET', '/api/v1/playlists?limit=50', { signal })).data, 'No public playlists yet.')),
    loadingSection('From artists and nodes you follow', async () => {
      const { data } = await api<{ data: RemotePlaylist[] }>('GET', '/api/v1/federation/playlists?limit=50', { signal });
      if (!data.length) return h('p', { class: 'empty' }, 'No playlists from other nodes yet: they come with the artists and nodes this node follows.');
      return h(
        'ul',
        { class: 'plain link-list' },
        data.map((p) => h('li', null, h('a', { href: remotePlaylistPath(p.uri, p.actorUri) }, p.name), h('span', { class: 'badge remote' }, 'remote'), h('span', { class: 'muted' }, ` · ${hostOf(p.actorUri)} · ${countText(p.items.length, 'track')}`))),
      );
    }),
  ].filter((s): s is NonNullable<typeof s> => !!s);
  if (!session()) main.append(h('p', { class: 'message info' }, h('a', { href: '/login?next=/playlists' }, 'Log in'), ' to make your own playlists.'));
  main.append(...sections.map((s) => s.el));
  await Promise.all(sections.map((s) => s.done));
}

function newPlaylistForm(): HTMLFormElement {
  const title = h('input', { name: 'title', required: true, maxlength: '200', autocomplete: 'off' });
  const visibility = h('select', { name: 'visibility' }, visibilities.map(([v, text]) => h('option', { value: v }, text)));
  return inlineForm('New playlist', [field('Title', title), field('Who sees it', visibility)], 'Make a playlist', async () => {
    const p = await api<Playlist>('POST', '/api/v1/playlists', { body: { title: title.value.trim(), visibility: visibility.value } });
    navigate(playlistPath(p.id));
  });
}

export async function playlistPage({ main, params, signal }: PageContext): Promise<void> {
  const loading = h('p', { class: 'loading', role: 'status' }, 'Loading the playlist…');
  main.append(loading);
  let playlist: Playlist;
  try {
    playlist = await api<Playlist>('GET', `/api/v1/playlists/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    const missing = err instanceof ApiError && err.status === 404;
    loading.replaceWith(h('h1', null, missing ? 'Playlist not found' : 'Playlist'), h('p', { class: 'message error', role: 'alert' }, missing ? 'There is no such playlist here, or it is private.' : `Could not load the playlist: ${errorText(err)}`));
    return;
  }
  const editable = mayEditPlaylist(playlist, session()?.user);
  let rows = playlist.tracks.map(rowFromTrack);
  const listSlot = h('div');
  const barSlot = h('div');
  const summary = h('p', { class: 'muted' });
  const title = h('h1', null, playlist.title);
  const description = h('p', { class: 'description' }, playlist.description);

  // The owner's order is saved whole (PATCH trackIds); a failed save puts the list back as it was.
  const save = async (next: TrackRow[], spoken: string, focus?: { id: string; control: string }) => {
    const before = rows;
    rows = next;
    render(focus);
    try {
      await api<Playlist>('PATCH', `/api/v1/playlists/${encodeURIComponent(playlist.id)}`, { body: { trackIds: rows.map((r) => r.id) } });
      announce(spoken);
    } catch (err) {
      rows = before;
      render(focus);
      announce(`Could not save the order: ${errorText(err)}`, 'error');
    }
  };
  const move = (from: number, to: number, control?: string) => {
    if (to < 0 || to >= rows.length || from === to) return;
    const r = rows[from];
    void save(moveItem(rows, from, to), movedText(r.title, to + 1, rows.length), control ? { id: r.id, control } : undefined);
  };
  const controls = (r: TrackRow, i: number): Node[] => {
    if (!editable) return [];
    const up = h('button', { type: 'button', class: 'icon move-up', 'aria-label': `Move ${r.title} up`, title: 'Move up', disabled: i === 0 }, h('span', { 'aria-hidden': 'true' }, '↑'));
    const down = h('button', { type: 'button', class: 'icon move-down', 'aria-label': `Move ${r.title} down`, title: 'Move down', disabled: i === rows.length - 1 }, h('span', { 'aria-hidden': 'true' }, '↓'));
    const remove = h('button', { type: 'button', class: 'icon remove', 'aria-label': `Remove ${r.title} from the playlist`, title: 'Remove' }, h('span', { 'aria-hidden': 'true' }, '✕'));
    up.addEventListener('click', () => move(i, i - 1, 'move-up'));
    down.addEventListener('click', () => move(i, i + 1, 'move-down'));
    remove.addEventListener('click', () => void save(rows.filter((_, k) => k !== i), `Removed ${r.title}.`));
    return [up, down, remove];
  };
  function render(focus?: { id: string; control: string }): void {
    const list = trackList(rows, { label: `Tracks of ${playlist.title}`, numbered: true, extra: controls, empty: editable ? 'No tracks yet: add some from any track’s “More” menu, on search, album or genre pages.' : 'No tracks yet.' });
    if (editable && rows.length > 1) draggable(list, (from, to) => move(from, to));
    listSlot.replaceChildren(list);
    barSlot.replaceChildren(playAllBar(rows, copyLinkButton(`${location.origin}${playlistPath(playlist.id)}`)));
    const seconds = rows.reduce((s, r) => s + (r.durationSeconds ?? 0), 0);
    summary.textContent = `${countText(rows.length, 'track')} · ${formatDuration(seconds)}`;
    if (focus) {
      const li = listSlot.querySelector(`li[data-track-id="${CSS.escape(focus.id)}"]`);
      const target = li?.querySelector<HTMLButtonElement>(`button.${focus.control}:not(:disabled)`) ?? li?.querySelector<HTMLButtonElement>('button.move-up:not(:disabled), button.move-down:not(:disabled)');
      target?.focus();
    }
  }
  loading.replaceWith(
    collectionHeader({
      coverUrl: rows.find((r) => r.coverUrl)?.coverUrl ?? null,
      kind: ['Playlist', playlist.visibility !== 'public' ? h('span', { class: 'status-badge' }, playlist.visibility) : null],
      title,
      byline: ['by ', playlist.channel ? h('a', { href: `/channels/${encodeURIComponent(playlist.channel.name)}` }, playlist.channel.displayName) : playlist.owner.username],
      details: [summary, description, barSlot, ...(editable ? [] : [h('p', { class: 'actions' }, reportButton({ kind: 'playlist', id: playlist.id }, `the playlist “${playlist.title}”`))])],
    }),
    ...(editable
      ? [
          editPanel(playlist, (p) => {
            title.textContent = p.title;
            description.textContent = p.description;
            document.title = `${p.title} · 9ten`;
          }),
          h('p', { class: 'muted' }, 'Drag a track to reorder it, or use its ↑ and ↓ buttons.'),
        ]
      : []),
    listSlot,
  );
  render();
}

/** Drag a row onto another to move it there (HTML5 drag and drop; the buttons do the same by keyboard). */
function draggable(list: HTMLElement, move: (from: number, to: number) => void): void {
  const items = [...list.children] as HTMLElement[];
  let from = -1;
  items.forEach((li, i) => {
    li.draggable = true;
    li.classList.add('draggable');
    li.addEventListener('dragstart', (e) => {
      from = i;
      e.dataTransfer?.setData('text/plain', String(i));
      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
      li.classList.add('dragging');
    });
    li.addEventListener('dragend', () => li.classList.remove('dragging'));
    li.addEventListener('dragover', (e) => {
      e.preventDefault();
      li.classList.add('drop-target');
    });
    li.addEventListener('dragleave', () => li.classList.remove('drop-target'));
    li.addEventListener('drop', (e) => {
      e.preventDefault();
      li.classList.remove('drop-target');
      const start = from >= 0 ? from : Number(e.dataTransfer?.getData('text/plain'));
      from = -1;
      if (Number.isInteger(start)) move(start, i);
    });
  });
}

function editPanel(playlist: Playlist, changed: (p: Playlist) => void): HTMLElement {
  const title = h('input', { name: 'title', required: true, maxlength: '200', value: playlist.title, autocomplete: 'off' });
  const description = h('textarea', { name: 'description', maxlength: '5000', rows: '3' }, playlist.description);
  const visibility = h('select', { name: 'visibility' }, visibilities.map(([v, text]) => h('option', { value: v, selected: v === playlist.visibility }, text)));
  const form = inlineForm('Edit playlist', [field('Title', title), field('Who sees it', visibility), field('Description', description)], 'Save', async () => {
    const p = await api<Playlist>('PATCH', `/api/v1/playlists/${encodeURIComponent(playlist.id)}`, { body: { title: title.value.trim(), description: description.value, visibility: visibility.value } });
    changed(p);
    return 'Saved.';
  });
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete this playlist');
  remove.addEventListener('click', async () => {
    if (!confirm(`Delete the playlist “${playlist.title}”? Its tracks stay where they are.`)) return;
    remove.disabled = true;
    try {
      await api('DELETE', `/api/v1/playlists/${encodeURIComponent(playlist.id)}`);
      navigate('/playlists');
    } catch (err) {
      remove.disabled = false;
      remove.after(failure('Could not delete', err));
    }
  });
  return h('details', { class: 'card edit-playlist' }, h('summary', null, 'Edit or delete this playlist'), form, h('div', { class: 'actions' }, remove));
}

/** A followed actor's playlist: the tracks this node lists of it, playable here. */
export async function remotePlaylistPage({ main, query, signal }: PageContext): Promise<void> {
  const uri = query.get('uri') ?? '';
  const actor = query.get('actor') ?? '';
  const loading = h('p', { class: 'loading', role: 'status' }, 'Loading the playlist…');
  main.append(loading);
  let playlist: RemotePlaylist | undefined;
  let tracks: RemoteTrack[] = [];
  try {
    const { data } = await api<{ data: RemotePlaylist[] }>('GET', `/api/v1/federation/playlists?limit=100${actor ? `&actor=${encodeURIComponent(actor)}` : ''}`, { signal });
    playlist = data.find((p) => p.uri === uri);
    if (playlist) {
      const ids = playlist.items.map((i) => i.trackId).filter((id): id is string => !!id);
      tracks = await Promise.all(ids.map((id) => api<RemoteTrack>('GET', `/api/v1/federation/tracks/${encodeURIComponent(id)}`, { signal })));
    }
  } catch (err) {
    loading.replaceWith(h('h1', null, 'Playlist'), failure('Could not load the playlist', err));
    return;
  }
  if (!playlist) {
    loading.replaceWith(h('h1', null, 'Playlist not found'), h('p', { class: 'message error', role: 'alert' }, 'This node knows no such playlist of the actors it follows.'));
    return;
  }
  const rows = tracks.map(rowFromRemote);
  const missing = playlist.items.length - rows.length;
  loading.replaceWith(
    collectionHeader({
      coverUrl: rows.find((r) => r.coverUrl)?.coverUrl ?? null,
      kind: ['Playlist', h('span', { class: 'badge remote' }, 'remote')],
      title: h('h1', null, playlist.name),
      byline: [`by ${hostOf(playlist.actorUri)}`, ' · ', h('a', { href: playlist.uri, rel: 'noopener' }, 'on its home node')],
      details: [
        h('p', { class: 'muted' }, countText(playlist.items.length, 'track'), missing ? ` (${missing} not listed on this node yet)` : ''),
        playAllBar(rows),
        h('p', { class: 'actions' }, reportButton({ uri: playlist.uri }, `the playlist “${playlist.name}”`)),
      ],
    }),
    trackList(rows, { label: `Tracks of ${playlist.name}`, numbered: true, empty: 'None of its tracks is listed on this node yet.' }),
  );
}
