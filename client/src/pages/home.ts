// Home: what is new here and on followed nodes, what I played last, news of the artists I follow,
// who is live now, and the genres. Each shelf says it is loading, then shows its tracks or why not.
import { api, session } from '../api.js';
import { h } from '../dom.js';
import { agoText, countText, genrePath, rowFromDiscover } from '../lib/browse.js';
import type { DiscoverTrack, LiveDirectory } from '../../../shared/api/index.js';
import type { PageContext } from '../router.js';
import { loadingSection, trackList } from './track-list.js';

const shelf = 10;

export async function homePage({ main, signal }: PageContext): Promise<void> {
  const signedIn = !!session();
  main.append(h('h1', null, 'Home'));
  const tracks = (path: string) => api<{ data: DiscoverTrack[] }>('GET', path, { signal }).then((r) => r.data.map(rowFromDiscover));
  const sections = [
    loadingSection('Live now', () => liveNow(signal)),
    loadingSection('New releases', async () => trackList(await tracks(`/api/v1/discover/new?limit=${shelf}`), { label: 'New releases', empty: 'No tracks yet. Artists can upload from their studio.' }), {
      after: [h('p', { class: 'more-link' }, h('a', { href: '/discover' }, 'More new tracks'), ' · ', h('a', { href: '/library' }, 'The whole library'))],
    }),
    signedIn
      ? loadingSection('Recently played', async () => {
          const { data } = await api<{ data: (DiscoverTrack & { playedAt: string })[] }>('GET', `/api/v1/discover/recent?limit=${shelf}`, { signal });
          const playedAt = new Map(data.map((t) => [t.id, t.playedAt]));
          return trackList(data.map(rowFromDiscover), { label: 'Recently played', note: (r) => `played ${agoText(playedAt.get(r.id) ?? '')}`, empty: 'Nothing played yet: press Play on any track.' });
        })
      : null,
    signedIn
      ? loadingSection('From artists you follow', async () =>
          trackList(await tracks(`/api/v1/discover/following?limit=${shelf}`), { label: 'From artists you follow', empty: 'Nothing new from artists you follow. Follow artists on other nodes from Search or Following.' }),
        )
      : null,
    loadingSection('Genres', () => genreChips(signal, 16)),
  ].filter((s): s is NonNullable<typeof s> => !!s);
  if (!signedIn) main.append(h('p', { class: 'message info' }, h('a', { href: '/login?next=/' }, 'Log in'), ' to see what you played last and news from the artists you follow.'));
  main.append(...sections.map((s) => s.el));
  await Promise.all(sections.map((s) => s.done));
}

async function liveNow(signal: AbortSignal): Promise<HTMLElement> {
  const live = await api<LiveDirectory>('GET', '/api/v1/live', { signal });
  const local = live.local.filter((s) => s.state === 'live' || s.state === 'reconnecting');
  if (!local.length && !live.remote.length) return h('p', { class: 'empty' }, 'Nobody is live right now. ', h('a', { href: '/live' }, 'Live streams'));
  return h(
    'ul',
    { class: 'plain live-now' },
    local.map((s) =>
      h('li', null, h('span', { class: 'badge live' }, 'live'), ' ', h('a', { href: `/live/${encodeURIComponent(s.id)}` }, s.title), h('span', { class: 'muted' }, ` · ${s.channel.displayName}${s.viewers !== null ? ` · ${countText(s.viewers, 'viewer')}` : ''}`)),
    ),
    live.remote.map((s) =>
      h('li', null, h('span', { class: 'badge live' }, 'live'), ' ', h('a', { href: `/live/remote/${encodeURIComponent(s.watchId)}` }, s.title), h('span', { class: 'muted' }, ` · ${s.channelName} (another node)`)),
    ),
  );
}

/** The genres as links, most tracks first. */
export async function genreChips(signal: AbortSignal, limit = 100): Promise<HTMLElement> {
  const { data } = await api<{ data: { name: string; tracks: number }[] }>('GET', `/api/v1/genres?limit=${limit}`, { signal });
  if (!data.length) return h('p', { class: 'empty' }, 'No genres yet: artists tag their tracks with one.');
  return h(
    'ul',
    { class: 'chips', 'aria-label': 'Genres' },
    data.map((g) => h('li', null, h('a', { class: 'chip', href: genrePath(g.name) }, g.name, h('span', { class: 'muted' }, ` ${g.tracks}`)))),
    limit < 100 && data.length >= limit ? h('li', null, h('a', { class: 'chip', href: '/genres' }, 'All genres')) : null,
  );
}
