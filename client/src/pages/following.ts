// Following artists on other nodes: follow by handle, the follows, and their tracks, played
// through this node (segments fetched from the home node and checked against its hashes).
import { api, session } from '../api.js';
import { field, h } from '../dom.js';
import { formatDuration } from '../lib/format.js';
import { actorLabel } from '../lib/money.js';
import type { Follow, FollowList, RemoteTrack, RemoteTrackPage } from '../../../shared/api/index.js';
import { remotePlayable, remoteQueueItemOf, trackPlayerView } from '../player/index.js';
import type { PageContext } from '../router.js';
import { failure, gate, inlineForm, section, table } from '../ui.js';
import { reportButton } from '../report-dialog.js';

export async function followingPage({ main, signal }: PageContext): Promise<void> {
  if (!gate(main, 'Following', 'any')) return;
  main.append(h('h1', null, 'Following'));
  const handle = h('input', { name: 'handle', required: true, placeholder: 'artist@music.example', autocomplete: 'off', spellcheck: 'false' });
  const follows = section('Artists I follow on other nodes');
  const tracks = section('Their tracks');
  main.append(
    section('Follow an artist on another node', inlineForm('Follow', [field('Handle or actor URL', handle, 'name@host, or the address of their profile')], 'Follow', async () => {
      const f = await api<Follow>('POST', '/api/v1/federation/follows', { body: { handle: handle.value.trim() } });
      handle.value = '';
      await loadFollows();
      return f.state === 'accepted' ? 'Following.' : 'Follow requested; it shows as accepted once their node answers.';
    })),
    follows,
    tracks,
  );
  const loadFollows = async () => {
    follows.querySelectorAll(':scope > :not(h2)').forEach((n) => n.remove());
    try {
      const { data } = await api<FollowList>('GET', '/api/v1/federation/follows', { signal });
      follows.append(
        table('Follows', ['Artist', 'State', ''], data.map((f) => {
          const un = h('button', { type: 'button', class: 'link', 'aria-label': `Unfollow ${actorLabel(f.following)}` }, 'Unfollow');
          un.addEventListener('click', async () => {
            un.disabled = true;
            try {
              await api('DELETE', `/api/v1/federation/follows/${f.id}`);
              await loadFollows();
            } catch (err) {
              un.after(failure('Could not unfollow', err));
            }
          });
          return [f.actor?.name ?? actorLabel(f.following), f.state, un];
        }), 'You follow nobody on other nodes yet.'),
      );
    } catch (err) {
      follows.append(failure('Could not load your follows', err));
    }
  };
  const loadTracks = async () => {
    try {
      const page = await api<RemoteTrackPage>('GET', '/api/v1/federation/tracks?limit=100', { signal });
      tracks.append(
        table('Remote tracks', ['Title', 'Artist', 'Node', { text: 'Duration', num: true }],
          page.data.map((t) => [h('a', { href: `/remote/${t.id}` }, t.title), t.artist ?? actorLabel(t.actorUri), t.host, formatDuration(t.durationSeconds)]),
          'No tracks from followed artists yet.'),
      );
    } catch (err) {
      tracks.append(failure('Could not load remote tracks', err));
    }
  };
  await Promise.all([loadFollows(), loadTracks()]);
}

/** A remote track's page with its Play button and queue buttons (the dock streams it through this node). */
export async function remoteTrackPage({ main, params, signal }: PageContext): Promise<void> {
  let t: RemoteTrack;
  try {
    t = await api<RemoteTrack>('GET', `/api/v1/federation/tracks/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    main.append(h('h1', null, 'Remote track'), failure('Could not load this track', err));
    return;
  }
  main.append(
    h('div', { class: 'track-header' },
      t.coverUrl ? h('img', { class: 'cover', src: t.coverUrl, alt: '' }) : h('div', { class: 'cover placeholder', 'aria-hidden': 'true' }, '♪'),
      h('div', null,
        h('h1', null, t.title),
        h('p', { class: 'byline' }, t.artist ?? actorLabel(t.actorUri), ' · from ', t.url ? h('a', { href: t.url, rel: 'noopener' }, t.host) : t.host),
        h('dl', { class: 'facts' }, h('dt', null, 'Album'), h('dd', null, t.album ?? '–'), h('dt', null, 'Duration'), h('dd', null, formatDuration(t.durationSeconds)), h('dt', null, 'License'), h('dd', null, t.license ?? '–')),
      ),
    ),
  );
  main.append(trackPlayerView(remoteQueueItemOf(t), remotePlayable(t), t.album, signal));
  // Reported here, a moderator of this node may forward it to the track's home server.
  if (session()) main.append(h('p', { class: 'actions' }, reportButton({ uri: t.uri }, `“${t.title}”`)));
}
