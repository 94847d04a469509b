// Discovery across nodes: find a track or channel by its URL or @name@host, what is new on
// this node and the nodes and channels it follows, and what was listened to most this week.
import { ApiError, api, session } from '../api.js';
import { errorText, field, h, messageBox } from '../dom.js';
import { accessBadge, appPath, atHandle, lookupErrorMessage, NEW_PAGE, nextNewPage, originFilters, originOf, type OriginFilter } from '../lib/discover.js';
import { formatDuration } from '../lib/format.js';
import type { DiscoverChannel, DiscoverTrack, Follow, LookupResult, TrendingTrack } from '../../../shared/api/index.js';
import type { PageContext } from '../router.js';
import { failure, section, shortDate } from '../ui.js';

export async function discoverPage({ main, query, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Discover'));
  const fresh = section('New on the network');
  const trending = section('Trending this week');
  main.append(lookupSection(signal), fresh, trending);
  await Promise.all([newTracks(fresh, originOf(query.get('origin')), signal), trendingTracks(trending, signal)]);
}

/** A table of discovered tracks that grows (load more); `last` is the column after the duration. */
function trackTable(caption: string, last: { text: string; num?: boolean; cell: (t: DiscoverTrack) => string | number }) {
  const body = h('tbody');
  const th = (text: string, num = false) => h('th', { scope: 'col', class: num ? 'num' : undefined }, text);
  const el = h('div', { class: 'table-wrap' },
    h('table', { class: 'tracks data discover' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, th('Title'), th('Artist and channel'), th('Duration', true), th(last.text, last.num))),
      body,
    ),
  );
  const add = (tracks: DiscoverTrack[]) =>
    body.append(...tracks.map((t) => h('tr', { 'data-uri': t.uri }, h('td', null, trackTitle(t)), h('td', null, byline(t)), h('td', { class: 'num' }, formatDuration(t.durationSeconds)), h('td', { class: last.num ? 'num' : undefined }, last.cell(t)))));
  return { el, add };
}

function trackTitle(t: DiscoverTrack): (HTMLElement | string)[] {
  const access = accessBadge(t.access);
  return [
    h('a', { href: appPath(t.pageUrl) }, t.title),
    t.kind === 'video' ? h('span', { class: 'badge' }, 'video') : '',
    t.origin === 'remote' ? h('span', { class: 'badge remote', title: `From ${t.channel.host}` }, 'remote') : '',
    access ? h('span', { class: 'badge paid' }, access) : '',
  ];
}

function byline(t: DiscoverTrack): (HTMLElement | string)[] {
  const name = t.channel.name ?? t.channel.handle ?? t.channel.host;
  const who = t.artist && t.artist !== name ? `${t.artist} · ${name}` : name;
  return [who, h('br'), h('small', { class: 'muted' }, atHandle(t.channel.handle) ?? t.channel.host)];
}

async function newTracks(box: HTMLElement, initial: OriginFilter, signal: AbortSignal): Promise<void> {
  const list = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const note = h('p', { class: 'muted', hidden: true });
  const filter = h('fieldset', { class: 'filter' }, h('legend', null, 'Show'),
    originFilters.map(([value, text]) => h('label', null, h('input', { type: 'radio', name: 'origin', value, checked: value === initial }), ` ${text}`)));
  box.append(filter, list, h('div', { class: 'actions' }, more), note);

  let origin = initial;
  let loaded = 0;
  let generation = 0;
  let table = trackTable('New tracks, newest first', { text: 'Published', cell: (t) => shortDate(t.publishedAt) });
  const load = async (offset: number, limit: number) => {
    const mine = generation;
    more.disabled = true;
    try {
      const params = new URLSearchParams({ limit: String(limit), offset: String(offset) });
      if (origin !== 'all') params.set('origin', origin);
      const { data } = await api<{ data: DiscoverTrack[] }>('GET', `/api/v1/discover/new?${params}`, { signal });
      if (mine !== generation) return;
      if (offset === 0) {
        list.replaceChildren(data.length ? table.el : h('p', { class: 'empty' }, origin === 'remote' ? 'Nothing from other nodes yet: follow a channel or, as an admin, a node.' : 'No tracks yet.'));
      }
      table.add(data);
      loaded = offset + data.length;
      const next = nextNewPage(loaded, data.length, limit);
      more.hidden = !next;
      note.hidden = !(loaded > 0 && !next);
      note.textContent = loaded >= 200 ? 'These are the newest 200 tracks.' : `That is all: ${loaded} track${loaded === 1 ? '' : 's'}.`;
    } catch (err) {
      if (mine === generation) list.append(failure('Could not load new tracks', err));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => {
    const next = nextNewPage(loaded, NEW_PAGE);
    if (next) void load(next.offset, next.limit);
  });
  filter.addEventListener('change', (e) => {
    origin = originOf((e.target as HTMLInputElement).value);
    history.replaceState(null, '', origin === 'all' ? '/discover' : `/discover?origin=${origin}`);
    generation++;
    loaded = 0;
    list.replaceChildren();
    table = trackTable('New tracks, newest first', { text: 'Published', cell: (t) => shortDate(t.publishedAt) });
    void load(0, NEW_PAGE);
  });
  await load(0, NEW_PAGE);
}

async function trendingTracks(box: HTMLElement, signal: AbortSignal): Promise<void> {
  try {
    const { data } = await api<{ data: TrendingTrack[] }>('GET', '/api/v1/discover/trending?limit=20&days=7', { signal });
    if (!data.length) {
      box.append(h('p', { class: 'empty' }, 'No listens in the last 7 days yet.'));
      return;
    }
    const table = trackTable('Most listened tracks of the last 7 days', { text: 'Listens', num: true, cell: (t) => (t as TrendingTrack).listens });
    table.add(data);
    box.append(h('p', { class: 'muted' }, 'Qualified listens of the last 7 days, here and on the nodes that report them.'), table.el);
  } catch (err) {
    box.append(failure('Could not load trending tracks', err));
  }
}

function lookupSection(signal: AbortSignal): HTMLElement {
  const box = section('Find a track or channel');
  if (!session()) {
    box.append(h('p', null, h('a', { href: `/login?next=${encodeURIComponent('/discover')}` }, 'Log in'), ' to look up a track or channel on another node by its address or @name@host.'));
    return box;
  }
  const q = h('input', { name: 'q', type: 'search', required: true, minlength: '3', maxlength: '2048', placeholder: 'https://… or @name@host', autocomplete: 'off', spellcheck: 'false' });
  const submit = h('button', { type: 'submit' }, 'Look up');
  const msg = messageBox();
  const result = h('div', { class: 'lookup-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', role: 'search', 'aria-label': 'Look up' },
    h('div', { class: 'row' }, field('Address or handle', q, 'Paste a track or channel page, or a handle like @name@host.')),
    h('div', { class: 'actions' }, submit), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    msg.hide();
    result.replaceChildren();
    try {
      const found = await api<LookupResult>('GET', `/api/v1/discover/lookup?q=${encodeURIComponent(q.value.trim())}`, { signal });
      result.replaceChildren(...(found.type === 'channel' && found.channel ? channelResult(found.channel, found.tracks ?? []) : found.track ? trackResult(found.track) : []));
    } catch (err) {
      msg.show(err instanceof ApiError ? lookupErrorMessage({ status: err.status, code: err.code, detail: err.message }) : `Lookup failed: ${errorText(err)}`);
    } finally {
      submit.disabled = false;
    }
  });
  box.append(form, result);
  return box;
}

function trackResult(t: DiscoverTrack): HTMLElement[] {
  return [
    h('article', { class: 'lookup-item', 'aria-label': `Track ${t.title}` },
      t.coverUrl ? h('img', { class: 'cover thumb', src: t.coverUrl, alt: '', loading: 'lazy' }) : null,
      h('div', null,
        h('h3', null, ...trackTitle(t)),
        h('p', { class: 'byline' }, ...byline(t), ' · ', formatDuration(t.durationSeconds)),
        h('p', null, h('a', { class: 'button', href: appPath(t.pageUrl) }, t.origin === 'remote' ? 'Listen here' : 'Open the track')),
      ),
    ),
  ];
}

/** An HTML summary from another server, shown as text only. */
export const plainText = (html: string | null): string => (html ? (new DOMParser().parseFromString(html, 'text/html').body.textContent ?? '').trim() : '');

/** What to do with a channel found: open a local one, follow one of another node, or say it is followed. */
export function channelAction(c: DiscoverChannel): HTMLElement {
  const action = h('div', { class: 'actions' });
  if (c.origin === 'local') {
    if (c.pageUrl) action.append(h('a', { class: 'button', href: appPath(c.pageUrl) }, 'Open the channel'));
  } else if (c.followed) {
    action.append(h('p', { class: 'muted' }, 'Followed here: its new tracks come to this node.'));
  } else if (c.handle) {
    const follow = h('button', { type: 'button' }, `Follow ${atHandle(c.handle)}`);
    const status = messageBox();
    follow.addEventListener('click', async () => {
      follow.disabled = true;
      status.hide();
      try {
        const f = await api<Follow>('POST', '/api/v1/federation/follows', { body: { handle: c.handle } });
        follow.textContent = f.state === 'accepted' ? 'Following' : 'Follow requested';
        status.show(f.state === 'accepted' ? 'Following: its new tracks come to this node.' : 'Follow requested; it is accepted once their node answers (see Following).', 'ok');
      } catch (err) {
        follow.disabled = false;
        status.show(`Could not follow: ${errorText(err)}`);
      }
    });
    action.append(follow, status);
  }
  return action;
}

function channelResult(c: DiscoverChannel, tracks: DiscoverTrack[]): HTMLElement[] {
  const name = c.name ?? c.handle ?? c.host;
  const action = channelAction(c);
  const summary = plainText(c.summary);
  const table = trackTable(`Newest tracks of ${name}`, { text: 'Published', cell: (t) => shortDate(t.publishedAt) });
  table.add(tracks);
  return [
    h('article', { class: 'lookup-item', 'aria-label': `Channel ${name}` },
      c.iconUrl ? h('img', { class: 'cover thumb', src: c.iconUrl, alt: '', loading: 'lazy' }) : null,
      h('div', null,
        h('h3', null, name, c.origin === 'remote' ? h('span', { class: 'badge remote' }, 'remote') : ''),
        h('p', { class: 'byline' }, atHandle(c.handle) ?? c.host),
        summary ? h('p', { class: 'summary' }, summary) : null,
        action,
      ),
    ),
    tracks.length ? table.el : h('p', { class: 'empty' }, 'No public tracks yet.'),
  ];
}
