// The track page: details, processing state, and once ready a big Play button and the waveform
// (the dock at the bottom of the page plays it, and keeps playing when the listener moves on).
import { api, ApiError } from '../api.js';
import { ownsChannel } from '../channels.js';
import { errorText, h } from '../dom.js';
import { formatDuration } from '../lib/format.js';
import { licenseName } from '../lib/licenses.js';
import { queueItemOf, trackPlayerView } from '../player/index.js';
import { processingView } from '../processing.js';
import { reportButton } from '../report-dialog.js';
import type { PageContext } from '../router.js';
import type { Track } from '../../../shared/api/index.js';

export async function trackPage({ main, params, signal }: PageContext): Promise<void> {
  let track: Track;
  try {
    track = await api<Track>('GET', `/api/v1/tracks/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    const gone = err instanceof ApiError && (err.status === 404 || err.status === 403);
    main.append(h('h1', null, gone ? 'Track not found' : 'Track'), h('p', { class: 'message error', role: 'alert' }, gone ? 'This track does not exist or is not visible to you.' : errorText(err)));
    return;
  }
  const owner = await ownsChannel(track.channel.id);
  const facts: [string, string | null][] = [
    ['Artist', track.artist || track.channel.displayName],
    ['Album', track.album ? `${track.album}${track.trackNumber ? ` · track ${track.trackNumber}` : ''}` : null],
    ['Genre', track.genre],
    ['Duration', track.durationSeconds ? formatDuration(track.durationSeconds) : null],
    ['License', licenseName(track.license)],
    ['Loudness', track.loudness?.integratedLufs != null ? `${track.loudness.integratedLufs.toFixed(1)} LUFS` : null],
  ];
  const header = h(
    'header',
    { class: 'track-header' },
    track.coverUrl ? h('img', { class: 'cover', src: track.coverUrl, alt: `Cover of ${track.title}`, width: '160', height: '160' }) : h('div', { class: 'cover placeholder', 'aria-hidden': 'true' }, track.kind === 'video' ? '▶' : '♪'),
    h(
      'div',
      null,
      h('h1', null, track.title),
      h('p', { class: 'byline' }, 'by ', h('a', { href: `/channels/${encodeURIComponent(track.channel.name)}` }, track.channel.displayName)),
      h('dl', { class: 'facts' }, facts.filter(([, v]) => v).map(([k, v]) => [h('dt', null, k), h('dd', null, v!)]).flat()),
      h(
        'p',
        { class: 'actions' },
        owner ? h('a', { href: `/tracks/${encodeURIComponent(track.id)}/edit`, class: 'button secondary' }, 'Edit details') : null,
        track.downloadUrl ? h('a', { href: track.downloadUrl, class: 'button secondary', download: '' }, 'Download original') : null,
        track.visibility !== 'public' ? h('span', { class: 'badge' }, track.visibility) : null,
        'hidden' in track && track.hidden ? h('span', { class: 'badge', title: 'Only you, admins and moderators see it' }, 'hidden by a moderator') : null,
        owner ? null : reportButton({ kind: 'track', id: track.id }, `“${track.title}”`),
      ),
    ),
  );
  const body = h('div', { class: 'track-body' });
  main.append(header, body);

  const showPlayer = (t: Track) => {
    if (t.status === 'ready') body.replaceChildren(trackPlayerView(queueItemOf(t), t, t.album, signal));
  };
  if (track.status === 'ready') showPlayer(track);
  else body.append(processingView(track.id, signal, showPlayer, 1500));
}
