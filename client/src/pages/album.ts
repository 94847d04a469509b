// An album: the tracks of a channel sharing an album tag, in track-number order, with its cover,
// Play all and Shuffle.
import { api, ApiError } from '../api.js';
import { errorText, h } from '../dom.js';
import { countText, rowFromTrack } from '../lib/browse.js';
import { formatDuration } from '../lib/format.js';
import type { AlbumDetail } from '../../../shared/api/index.js';
import type { PageContext } from '../router.js';
import { collectionHeader, copyLinkButton, playAllBar, trackList } from './track-list.js';

export async function albumPage({ main, params, signal }: PageContext): Promise<void> {
  const loading = h('p', { class: 'loading', role: 'status' }, `Loading the album ${params.album}…`);
  main.append(loading);
  let album: AlbumDetail;
  try {
    album = await api<AlbumDetail>('GET', `/api/v1/channels/${encodeURIComponent(params.name)}/albums/${encodeURIComponent(params.album)}`, { signal });
  } catch (err) {
    const missing = err instanceof ApiError && err.status === 404;
    loading.replaceWith(h('h1', null, missing ? 'Album not found' : params.album), h('p', { class: 'message error', role: 'alert' }, missing ? `@${params.name} has no album “${params.album}” here.` : `Could not load the album: ${errorText(err)}`));
    return;
  }
  const rows = album.trackList.map(rowFromTrack);
  const year = album.publishedAt ? new Date(album.publishedAt).getUTCFullYear() : null;
  loading.replaceWith(
    collectionHeader({
      coverUrl: album.coverUrl,
      kind: ['Album'],
      title: h('h1', null, album.title),
      byline: ['by ', h('a', { href: `/channels/${encodeURIComponent(album.channel.name)}` }, album.channel.displayName)],
      details: [h('p', { class: 'muted' }, [countText(album.tracks, 'track'), formatDuration(album.durationSeconds), year].filter(Boolean).join(' · ')), playAllBar(rows, copyLinkButton(location.href, 'Share'))],
    }),
    trackList(rows, { label: `Tracks of ${album.title}`, trackNumbers: true }),
  );
}
