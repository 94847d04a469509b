// Who may see and edit a track, and how a track row is shown: to other capabilities (with its
// folder on disk) and in the API's JSON (without). Tracks, playlists and the streaming paths
// all decide by these.
import type { User } from '../accounts/service.js';
import type { MediaStorage } from './storage.js';
import type { TrackRow, TrackView } from './model.js';

/** The stable URL of a track's progressive file (progressive.ts), whatever its rendition. */
export const progressiveUrl = (publicUrl: string, trackId: string): string => `${publicUrl}/static/audio/${trackId}.m4a`;

/**
 * Who may see a track (and stream it): public/unlisted ready tracks: anyone; else owner and
 * admins. A track hidden by a moderator: owner, admins and moderators only.
 */
export function canViewTrack(row: Pick<TrackRow, 'owner_id' | 'visibility' | 'status' | 'hidden'>, user: User | undefined | null): boolean {
  if (user && (user.role === 'admin' || user.id === row.owner_id)) return true;
  if (row.hidden && user?.role !== 'moderator') return false;
  return row.status === 'ready' && row.visibility !== 'private';
}

/**
 * Whether a stranger may play the track's segments without asking anyone: seen by all and
 * free. Only such tracks are served before Express, linked for nginx and seeded over
 * WebTorrent; the segments of the others always go through the route and its access gate.
 */
export function isOpenToAll(row: Pick<TrackRow, 'owner_id' | 'visibility' | 'status' | 'access' | 'hidden'>): boolean {
  return row.access === 'free' && canViewTrack(row, undefined);
}

export function canEditTrack(row: Pick<TrackRow, 'owner_id'>, user: User | undefined | null): boolean {
  return !!user && (user.role === 'admin' || user.id === row.owner_id);
}

export function trackView(r: TrackRow, publicUrl: string, storage: MediaStorage, currency: string): TrackView {
  const ready = r.status === 'ready';
  const streamBase = `${publicUrl}/static/streaming/${r.id}`;
  const v: TrackView = {
    id: r.id,
    kind: r.kind,
    channel: { id: r.channel_id, name: r.channel_name, displayName: r.channel_display_name, ownerId: r.owner_id },
    title: r.title,
    artist: r.artist,
    album: r.album,
    trackNumber: r.track_number,
    genre: r.genre,
    license: r.license,
    visibility: r.visibility,
    hidden: r.hidden,
    allowDownload: r.allow_download,
    access: { mode: r.access, pricesPerMinute: r.prices_per_minute ?? {}, currency },
    status: r.status,
    progress: r.progress,
    failureReason: r.failure_reason,
    durationSeconds: r.duration_seconds,
    loudness: { integratedLufs: r.integrated_lufs, truePeakDbtp: r.true_peak_dbtp, lra: r.lra },
    waveformUrl: ready ? `${publicUrl}/api/v1/tracks/${r.id}/waveform` : null,
    coverUrl: r.cover_file ? `${publicUrl}/static/covers/${r.id}` : null,
    streaming: {
      masterPlaylistUrl: ready ? `${streamBase}/master.m3u8` : null,
      renditions: ready
        ? r.renditions.map((x) => ({
            name: x.name,
            ...(x.bitrateKbps !== undefined ? { bitrateKbps: x.bitrateKbps } : {}),
            ...(x.height !== undefined ? { height: x.height } : {}),
            playlistUrl: `${streamBase}/${x.name}/playlist.m3u8`,
            segmentHashesUrl: `${streamBase}/${x.name}/segment-hashes.json`,
            // Only free tracks are shared over WebTorrent: peers would pass on paid segments.
            torrentUrl: r.access === 'free' ? `${streamBase}/${x.name}.torrent` : '',
            magnetUri: r.access === 'free' ? (x.magnetUri ?? '') : '',
          }))
        : [],
    },
    // Served only to strangers who may play the track without asking (see static-routes.ts).
    progressive:
      r.progressive_audio && isOpenToAll(r)
        ? { url: progressiveUrl(publicUrl, r.id), mimeType: r.progressive_audio.mimeType, bytes: r.progressive_audio.bytes, bitrateKbps: r.progressive_audio.bitrateKbps }
        : null,
    createdAt: new Date(r.created_at).toISOString(),
    publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null,
    filesDir: storage.streamingDir(r.id),
  };
  if (r.allow_download && ready && r.access === 'free') v.downloadUrl = `${publicUrl}/static/download/${r.id}`;
  return v;
}

/** The Track JSON of the API (no server paths). */
export function apiTrack(v: TrackView): Omit<TrackView, 'filesDir' | 'channel'> & { channel: { id: string; name: string; displayName: string } } {
  const { filesDir: _f, channel, ...rest } = v;
  return { ...rest, channel: { id: channel.id, name: channel.name, displayName: channel.displayName } };
}
