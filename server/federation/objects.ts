// ActivityPub documents for 9ten's objects: AudioTrack / VideoTrack (an AS2 Audio /
// Video with 9ten terms), the Note that software without our vocabulary sees instead,
// and Playlist (an ordered collection of tracks).
import type { FederationRuntime, TrackView } from './runtime.js';
import type { PlaylistView as MediaPlaylist } from '../media/index.js';
import { AS_PUBLIC, isoDuration } from './vocabulary.js';
import { escapeHtml } from './sanitize.js';
import { pricePerMinuteOf } from '../../shared/prices.js';

export function trackPageUrl(rt: FederationRuntime, track: TrackView): string {
  return `${rt.publicUrl}/tracks/${encodeURIComponent(track.id)}`;
}

function absolute(rt: FederationRuntime, url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  if (/^(https?:|magnet:)/.test(url)) return url;
  return `${rt.publicUrl}${url.startsWith('/') ? '' : '/'}${url}`;
}

/** The progressive file (one audio/mp4 file apps play inline, docs/decisions/0102), when the track offers it. */
function progressiveLink(rt: FederationRuntime, track: TrackView): { href: string; mediaType: string; size: number } | undefined {
  const href = absolute(rt, track.progressive?.url);
  return href ? { href, mediaType: track.progressive!.mimeType, size: track.progressive!.bytes } : undefined;
}

/** The url entries of a track: page, HLS master, the progressive file, and per rendition playlist, torrent, magnet and segment hashes. */
export function trackLinks(rt: FederationRuntime, track: TrackView): Record<string, unknown>[] {
  const links: Record<string, unknown>[] = [{ type: 'Link', rel: 'alternate', mediaType: 'text/html', href: trackPageUrl(rt, track) }];
  const master = absolute(rt, track.streaming?.masterPlaylistUrl);
  if (master) links.push({ type: 'Link', rel: 'hls-master', mediaType: 'application/x-mpegURL', href: master });
  const progressive = progressiveLink(rt, track);
  if (progressive) links.push({ type: 'Link', rel: 'progressive', ...progressive });
  for (const r of track.streaming?.renditions ?? []) {
    const playlist = absolute(rt, r.playlistUrl);
    const price = track.access?.mode === 'metered' ? pricePerMinuteOf(track.access.pricesPerMinute ?? {}, r.name) : undefined;
    if (playlist) links.push({ type: 'Link', rel: 'hls-playlist', name: r.name, mediaType: 'application/x-mpegURL', href: playlist, ...(price !== undefined ? { pricePerMinute: price } : {}) });
    const torrent = absolute(rt, r.torrentUrl);
    if (torrent) links.push({ type: 'Link', rel: 'torrent', name: r.name, mediaType: 'application/x-bittorrent', href: torrent });
    if (r.magnetUri) links.push({ type: 'Link', rel: 'magnet', name: r.name, mediaType: 'application/x-bittorrent;x-scheme-handler/magnet', href: r.magnetUri });
    const hashes = absolute(rt, r.segmentHashesUrl);
    if (hashes) links.push({ type: 'Link', rel: 'segment-hashes', name: r.name, mediaType: 'application/json', href: hashes });
  }
  return links;
}

function addressing(channelUri: string) {
  return { to: [AS_PUBLIC], cc: [`${channelUri}/followers`] };
}

/** The AudioTrack (or VideoTrack) document of a local track. */
export function trackObject(rt: FederationRuntime, track: TrackView): Record<string, unknown> {
  const channelUri = rt.channelActorUri(track.channel.name);
  const video = track.kind === 'video';
  const cover = absolute(rt, track.coverUrl);
  return {
    id: rt.trackUri(track.id),
    type: video ? 'Video' : 'Audio',
    trackKind: video ? 'VideoTrack' : 'AudioTrack',
    name: track.title,
    attributedTo: channelUri,
    ...(track.artist ? { artist: track.artist } : {}),
    ...(track.album ? { album: track.album } : {}),
    ...(track.trackNumber != null ? { position: track.trackNumber } : {}),
    ...(track.genre ? { genre: track.genre } : {}),
    ...(track.license ? { license: track.license } : {}),
    ...(track.durationSeconds != null ? { duration: isoDuration(track.durationSeconds) } : {}),
    ...(cover ? { image: { type: 'Image', url: cover }, icon: { type: 'Image', url: cover } } : {}),
    published: track.publishedAt ?? track.createdAt ?? new Date().toISOString(),
    // Who may play it (metered: the prices are on each rendition's hls-playlist link).
    ...(track.access && track.access.mode !== 'free' ? { access: track.access.mode, currency: track.access.currency } : {}),
    url: trackLinks(rt, track),
    ...addressing(channelUri),
  };
}

/** What Mastodon and other software without 9ten's vocabulary get: a post with an audio attachment and a link. */
export function trackNote(rt: FederationRuntime, track: TrackView): Record<string, unknown> {
  const channelUri = rt.channelActorUri(track.channel.name);
  const page = trackPageUrl(rt, track);
  const by = track.artist ?? track.channel.displayName ?? track.channel.name;
  const master = absolute(rt, track.streaming?.masterPlaylistUrl);
  const cover = absolute(rt, track.coverUrl);
  const what = track.kind === 'video' ? 'New video' : 'New track';
  const content =
    `<p>${what}: <a href="${escapeHtml(page)}">${escapeHtml(track.title)}</a> by ${escapeHtml(by)}` +
    `${track.album ? ` (from ${escapeHtml(track.album)})` : ''}` +
    `${track.durationSeconds ? ` · ${Math.floor(track.durationSeconds / 60)}:${String(Math.round(track.durationSeconds % 60)).padStart(2, '0')}` : ''}</p>` +
    `<p><a href="${escapeHtml(page)}">${escapeHtml(page)}</a></p>`;
  const attachment: Record<string, unknown>[] = [];
  // First the file Mastodon and Misskey play inline (they show an HLS playlist as a bare link).
  const progressive = progressiveLink(rt, track);
  if (progressive) attachment.push({ type: 'Audio', mediaType: progressive.mediaType, url: progressive.href, name: track.title });
  if (master) attachment.push({ type: track.kind === 'video' ? 'Video' : 'Audio', mediaType: 'application/x-mpegURL', url: master, name: track.title });
  if (cover) attachment.push({ type: 'Image', mediaType: 'image/jpeg', url: cover, name: `Cover of ${track.title}` });
  return {
    id: rt.trackUri(track.id),
    type: 'Note',
    attributedTo: channelUri,
    content,
    url: page,
    attachment,
    published: track.publishedAt ?? track.createdAt ?? new Date().toISOString(),
    ...addressing(channelUri),
  };
}

export interface PlaylistView {
  id: string;
  name: string;
  /** The actor that publishes it: the playlist's channel, or its owner (a listener). */
  actorUri: string;
  /** The owning actor's local reference: channel id, or user id. */
  owner: { kind: 'channel' | 'user'; id: string };
  summary?: string | null;
  /** Whether it is public (only public playlists are federated). */
  public: boolean;
  trackIds: string[];
}

/** media's playlist as federation publishes it (public tracks only), or undefined. */
export function playlistViewOf(rt: FederationRuntime, p: MediaPlaylist): PlaylistView | undefined {
  const channelName = p.channel?.name;
  const owner: PlaylistView['owner'] | undefined = channelName
    ? { kind: 'channel', id: p.channel!.id }
    : { kind: 'user', id: p.owner.id };
  const actorUri = channelName ? rt.channelActorUri(channelName) : rt.userActorUri(p.owner.username);
  const trackIds = p.tracks.filter((t) => t.visibility === 'public').map((t) => t.id);
  return { id: p.id, name: p.name, actorUri, owner, summary: p.description || null, public: p.visibility === 'public', trackIds };
}

export function playlistObject(rt: FederationRuntime, playlist: PlaylistView): Record<string, unknown> {
  return {
    id: rt.playlistUri(playlist.id),
    type: ['Playlist', 'OrderedCollection'],
    name: playlist.name,
    ...(playlist.summary ? { summary: playlist.summary } : {}),
    attributedTo: playlist.actorUri,
    totalItems: playlist.trackIds.length,
    orderedItems: playlist.trackIds.map((id) => rt.trackUri(id)),
    ...addressing(playlist.actorUri),
  };
}
