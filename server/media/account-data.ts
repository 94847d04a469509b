// A user's media when their account is deleted (docs/accounts.md) or exported: their channels,
// the tracks published under them (files included), their playlists and unfinished uploads.
import { rm } from 'node:fs/promises';
import type { NodeContext } from '../context.js';
import { execute, select } from '../db/index.js';
import { AppError } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { MediaService } from './service.js';
import type { Channel, TrackRow } from './model.js';
import { canViewTrack } from './track-view.js';
import type { TrackDeleteHooks } from './tracks.js';

export async function channelsOwnedBy(media: MediaService, userId: string): Promise<Channel[]> {
  return media.channels.ofUser(userId);
}

/** A track or playlist deleted meanwhile (a retried deletion, the owner's own click): nothing left to do. */
const goneAlready = (err: unknown) => err instanceof AppError && err.status === 404;

/**
 * Removes what the user published and made, through media's own deletion paths, so that every
 * track and playlist leaves as any deletion does ('track.deleted' and 'playlist.deleted' events:
 * federation sends their Deletes; seeding stops; other users' playlists lose the tracks). The
 * channels' names stay taken (their hashes), as the users' names do.
 */
async function deleteMediaOf(ctx: NodeContext, media: MediaService, user: User, transcodes: TrackDeleteHooks | undefined): Promise<void> {
  const db = ctx.db;
  const playlists = await select<{ id: string }>(db, 'SELECT id FROM media_playlists WHERE owner_id = :userId', { userId: user.id });
  for (const p of playlists) await media.playlists.delete(user, p.id).catch((err) => { if (!goneAlready(err)) throw err; });
  const tracks = await select<{ id: string }>(
    db,
    'SELECT t.id FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id WHERE c.owner_id = :userId ORDER BY t.created_at',
    { userId: user.id },
  );
  for (const t of tracks) await media.tracks.delete(null, t.id, transcodes).catch((err) => { if (!goneAlready(err)) throw err; });
  const uploads = await select<{ id: string }>(db, 'SELECT id FROM media_uploads WHERE owner_id = :userId', { userId: user.id });
  for (const u of uploads) await rm(media.storage.uploadFile(u.id), { force: true });
  await db.transaction(async (t) => {
    await execute(db, 'DELETE FROM media_uploads WHERE owner_id = :userId', { userId: user.id }, t);
    await execute(
      db,
      `INSERT INTO media_reserved_channel_names (name_hash)
       SELECT encode(digest(lower(name), 'sha256'), 'hex') FROM media_channels WHERE owner_id = :userId ON CONFLICT DO NOTHING`,
      { userId: user.id },
      t,
    );
    await execute(db, 'DELETE FROM media_channels WHERE owner_id = :userId', { userId: user.id }, t);
    await execute(db, 'DELETE FROM media_user_limits WHERE user_id = :userId', { userId: user.id }, t);
  });
}

/** The user's channels as they describe them. */
async function channelsFile(media: MediaService, user: User) {
  return (await media.channels.ofUser(user.id)).map(({ ownerId: _owner, ...c }) => c);
}

/** What the user published: each track's metadata (the files themselves stay out of the archive). */
async function tracksFile(ctx: NodeContext, user: User) {
  const rows = await select<Record<string, unknown>>(
    ctx.db,
    `SELECT t.id, c.name AS channel, t.kind, t.title, t.artist, t.album, t.track_number, t.genre, t.license, t.visibility, t.access,
            t.prices_per_minute, t.allow_download, t.status, t.duration_seconds, t.original_mime, t.original_bytes, t.created_at, t.published_at
       FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id WHERE c.owner_id = :userId ORDER BY t.created_at, t.id`,
    { userId: user.id },
  );
  return rows.map((r) => ({
    id: r.id, channel: r.channel, kind: r.kind, title: r.title, artist: r.artist, album: r.album, trackNumber: r.track_number, genre: r.genre,
    license: r.license, visibility: r.visibility, access: r.access, pricesPerMinute: r.prices_per_minute, allowDownload: r.allow_download,
    status: r.status, durationSeconds: r.duration_seconds, originalType: r.original_mime, originalBytes: Number(r.original_bytes),
    createdAt: r.created_at, publishedAt: r.published_at,
  }));
}

/** The user's playlists with their tracks in order: those the user may see now (another's track made private or hidden drops out, as in the app). */
async function playlistsFile(ctx: NodeContext, user: User) {
  const lists = await select<{ id: string; title: string; description: string; visibility: string; channel: string | null; created_at: Date; updated_at: Date }>(
    ctx.db,
    `SELECT p.id, p.title, p.description, p.visibility, c.name AS channel, p.created_at, p.updated_at
       FROM media_playlists p LEFT JOIN media_channels c ON c.id = p.channel_id WHERE p.owner_id = :userId ORDER BY p.created_at, p.id`,
    { userId: user.id },
  );
  const rows = await select<{ playlist_id: string; position: number; track_id: string; title: string; artist: string | null } & Pick<TrackRow, 'owner_id' | 'visibility' | 'status' | 'hidden'>>(
    ctx.db,
    `SELECT pt.playlist_id, pt.position, pt.track_id, t.title, t.artist, c.owner_id, t.visibility, t.status, t.hidden
       FROM media_playlist_tracks pt JOIN media_playlists p ON p.id = pt.playlist_id JOIN media_tracks t ON t.id = pt.track_id
       JOIN media_channels c ON c.id = t.channel_id
      WHERE p.owner_id = :userId ORDER BY pt.playlist_id, pt.position`,
    { userId: user.id },
  );
  const items = rows.filter((r) => canViewTrack(r, user));
  return lists.map((p) => ({
    id: p.id, title: p.title, description: p.description, visibility: p.visibility, channel: p.channel, createdAt: p.created_at, updatedAt: p.updated_at,
    tracks: items.filter((i) => i.playlist_id === p.id).map((i) => ({ position: i.position, trackId: i.track_id, title: i.title, artist: i.artist })),
  }));
}

/**
 * Registers media's part of deleting and exporting an account with accounts. `transcodes` takes
 * a deleted track's transcode off the queue (or stops it), as a track deleted by its owner does.
 */
export function registerMediaAccountData(ctx: NodeContext, media: MediaService, transcodes?: TrackDeleteHooks): void {
  const accounts = ctx.services.accounts;
  accounts.onUserDeleting((user) => deleteMediaOf(ctx, media, user, transcodes));
  accounts.onExport({ file: 'channels.json', collect: (user) => channelsFile(media, user) });
  accounts.onExport({ file: 'tracks.json', collect: (user) => tracksFile(ctx, user) });
  accounts.onExport({ file: 'playlists.json', collect: (user) => playlistsFile(ctx, user) });
}
