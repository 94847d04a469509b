// A channel (artist) page: who they are, Tip / Invest / Share, their most played tracks, albums,
// every track and playlist, their investment campaigns and the campaigns' repayment record.
import { api, ApiError, session } from '../api.js';
import { errorText, h } from '../dom.js';
import { countText, playlistPath, rowFromDiscover, rowFromTrack } from '../lib/browse.js';
import type { Album, Channel, FollowList, Playlist, TrackPage, TrendingTrack } from '../../../shared/api/index.js';
import type { PageContext } from '../router.js';
import { tipForm } from './tip-form.js';
import { reportButton } from '../report-dialog.js';
import { albumGrid, copyLinkButton, loadingSection, trackList } from './track-list.js';

export async function channelPage({ main, params, signal }: PageContext): Promise<void> {
  const loading = h('p', { class: 'loading', role: 'status' }, `Loading @${params.name}…`);
  main.append(loading);
  let channel: Channel;
  try {
    channel = await api<Channel>('GET', `/api/v1/channels/${encodeURIComponent(params.name)}`, { signal });
  } catch (err) {
    const missing = err instanceof ApiError && err.status === 404;
    loading.replaceWith(h('h1', null, missing ? 'Channel not found' : 'Channel'), h('p', { class: 'message error', role: 'alert' }, missing ? `There is no channel @${params.name} on this node.` : errorText(err)));
    return;
  }
  loading.remove();
  const name = encodeURIComponent(channel.name);
  // Campaigns load as a chunk of their own, beside the tracks.
  const campaigns = { current: h('div', { class: 'channel-campaigns', id: 'invest', tabindex: '-1' }), record: h('div', { class: 'channel-record' }) };
  const tip = tipPanel(channel);
  // Invest goes to the open campaign below (shown once the campaigns have loaded and one is open).
  const invest = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Invest');
  invest.addEventListener('click', () => {
    campaigns.current.scrollIntoView({ behavior: 'smooth', block: 'start' });
    campaigns.current.focus({ preventScroll: true });
  });
  main.append(
    h(
      'header',
      { class: 'artist-header' },
      h('span', { class: 'cover cover-large placeholder', 'aria-hidden': 'true' }, channel.displayName.slice(0, 1).toUpperCase()),
      h(
        'div',
        null,
        h('h1', null, channel.displayName),
        h('p', { class: 'muted' }, `@${channel.name}@${location.host}`),
        channel.description ? h('p', { class: 'description' }, channel.description) : null,
        h('div', { class: 'actions' }, followButton(channel, signal), tip.button, invest, copyLinkButton(location.href, 'Share'), session()?.user.id === channel.ownerId ? null : reportButton({ kind: 'channel', id: channel.id }, channel.displayName)),
      ),
    ),
    tip.panel,
    campaigns.current,
  );
  const funding = import('./channel-campaigns.js')
    .then((m) => m.showCampaigns(channel, campaigns, signal))
    .then(() => {
      invest.hidden = !campaigns.current.querySelector('#open-campaign');
    })
    .catch((err) => {
      if (!signal.aborted) campaigns.current.replaceChildren(h('p', { class: 'message error', role: 'alert' }, `Could not load the campaigns: ${errorText(err)}`));
    });
  const sections = [
    loadingSection('Popular tracks', async () => {
      const { data } = await api<{ data: TrendingTrack[] }>('GET', `/api/v1/discover/trending?channel=${name}&days=365&limit=10`, { signal });
      const listens = new Map(data.map((t) => [t.id, t.listens]));
      return trackList(data.map(rowFromDiscover), { label: 'Popular tracks', numbered: true, note: (r) => countText(listens.get(r.id) ?? 0, 'listen'), empty: 'No listens in the last year yet.' });
    }),
    loadingSection('Albums', async () => {
      const { data } = await api<{ data: Album[] }>('GET', `/api/v1/channels/${name}/albums`, { signal });
      return data.length ? albumGrid(data) : h('p', { class: 'empty' }, 'No albums: tracks tagged with an album show here.');
    }),
    loadingSection('All tracks', async () => {
      const page = await api<TrackPage>('GET', `/api/v1/tracks?channel=${name}&limit=100`, { signal });
      const mine = page.data.filter((t) => t.channel?.id === channel.id);
      return trackList(mine.map(rowFromTrack), { label: `Tracks of ${channel.displayName}`, empty: 'No public tracks yet.' });
    }),
    loadingSection('Playlists', async () => {
      const { data } = await api<{ data: Playlist[] }>('GET', `/api/v1/playlists?channel=${name}&limit=50`, { signal });
      if (!data.length) return null;
      return h('ul', { class: 'plain link-list' }, data.map((p) => h('li', null, h('a', { href: playlistPath(p.id) }, p.title), h('span', { class: 'muted' }, ` · ${countText(p.tracks.length, 'track')}`))));
    }),
  ];
  main.append(...sections.map((s) => s.el), campaigns.record);
  await Promise.all([funding, ...sections.map((s) => s.done)]);
  // A channel without playlists shows no empty Playlists shelf.
  const lists = sections[3].el;
  if (!lists.querySelector('ul, .message')) lists.remove();
}

/** Tip: a button that shows the tip form (signed in), or a way to log in. */
function tipPanel(channel: Channel): { button: HTMLElement; panel: HTMLElement } {
  if (!session()) {
    return { button: h('a', { class: 'button', href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in to tip'), panel: h('div') };
  }
  const panel = h('div', { id: 'tip-panel', class: 'card tip-panel', hidden: true }, tipForm(channel.name, { label: `Tip ${channel.displayName}`, thanks: `Thank you! Your tip to ${channel.displayName} is on its way.` }));
  const button = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': panel.id }, 'Tip');
  button.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    button.setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden) panel.querySelector('input')?.focus();
  });
  return { button, panel };
}

/**
 * Follow / Following for a signed-in listener: the channel's new tracks then show under "From
 * artists you follow" on the home page. Signed out, it says why it is not there.
 */
function followButton(channel: Channel, signal: AbortSignal): HTMLElement {
  const button = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false', disabled: true }, 'Follow');
  const status = h('span', { class: 'visually-hidden', role: 'status' });
  if (!session()) {
    const link = h('a', { class: 'button secondary', href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in to follow');
    return link;
  }
  // The whole URI: other nodes' channels of the same name have the same path.
  const mine = (f: { following: string }) => f.following === `${location.origin}/ap/channels/${encodeURIComponent(channel.name)}`;
  let followId: string | null = null;
  const show = () => {
    button.textContent = followId ? 'Following' : 'Follow';
    button.setAttribute('aria-pressed', String(!!followId));
    button.setAttribute('aria-label', followId ? `Unfollow ${channel.displayName}` : `Follow ${channel.displayName}`);
    button.disabled = false;
  };
  api<FollowList>('GET', '/api/v1/federation/follows', { signal })
    .then(({ data }) => {
      followId = data.find(mine)?.id ?? null;
      show();
    })
    .catch(() => show());
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      if (followId) {
        await api('DELETE', `/api/v1/federation/follows/${followId}`);
        followId = null;
        status.textContent = `You no longer follow ${channel.displayName}.`;
      } else {
        const f = await api<{ id: string }>('POST', '/api/v1/federation/follows', { body: { handle: `${channel.name}@${location.host}` } });
        followId = f.id;
        status.textContent = `You follow ${channel.displayName}: their new tracks show on your home page.`;
      }
    } catch (err) {
      status.textContent = `Could not change the follow: ${errorText(err)}`;
    }
    show();
  });
  return h('span', { class: 'follow' }, button, status);
}
