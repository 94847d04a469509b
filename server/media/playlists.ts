// Playlists: an ordered list of tracks owned by a user, optionally published by one of
// their channels (federation turns channel playlists into ActivityPub Playlists from the
// 'playlist.changed' / 'playlist.deleted' events). A viewer only ever sees the ready
// tracks they may see, so a track made private drops out of everyone else's view.
import type { Transaction } from 'sequelize';
import { z } from 'zod';
import { select, selectOne, execute } from '../db/index.js';
import { AppError, badRequest, forbidden, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { NodeContext } from '../context.js';
import { playlistUri } from '../../shared/actor-uris.js';
import { isUuid, type MediaStorage } from './storage.js';
import { visibilities, type TrackRow, type TrackView, type Visibility } from './model.js';
import type { Channels } from './channels.js';
import { selectTrackRows, trackSelect } from './tracks.js';
import { canViewTrack, trackView } from './track-view.js';

export const maxPlaylistTracks = 1000;

/**
 * A playlist others can see is published: a silenced account (moderation) keeps its private
 * ones and may make a playlist private, but neither makes nor changes a visible one (here, so
 * the API and Subsonic's createPlaylist/updatePlaylist are refused alike).
 */
function refuseSilenced(user: User, visibility: Visibility): void {
  if (user.silenced && visibility !== 'private') throw new AppError(403, 'account_silenced', 'A moderator has silenced this account: it can keep private playlists only until that is lifted');
}

export const newPlaylistSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(5000).optional(),
    visibility: z.enum(visibilities).default('public'),
    channelId: z.string().uuid().nullable().optional(),
  })
  .strict();

export const playlistPatchSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    visibility: z.enum(visibilities).optional(),
    trackIds: z.array(z.string().uuid()).max(maxPlaylistTracks).optional(),
  })
  .strict();

export interface PlaylistView {
  id: string;
  title: string;
  /** Same as `title` (the ActivityStreams `name`); not part of the API JSON. */
  name: string;
  description: string;
  visibility: Visibility;
  channel: { id: string; name: string; displayName: string } | null;
  owner: { id: string; username: string };
  /** The ready tracks the viewer may see, in playlist order. */
  tracks: TrackView[];
  createdAt: string;
  updatedAt: string;
}

export interface ListPlaylistsQuery {
  /** Channel name or id: that channel's playlists. */
  channel?: string;
  /** Only this user's playlists (all visibilities when the viewer is that user or an admin). */
  ownerId?: string;
  viewer?: User | null;
  limit?: number;
  offset?: number;
}

interface PlaylistRow {
  id: string;
  owner_id: string;
  channel_id: string | null;
  channel_name: string | null;
  channel_display_name: string | null;
  title: string;
  description: string;
  visibility: Visibility;
  created_at: Date;
  updated_at: Date;
}

const playlistSelect = `
  SELECT p.*, c.name AS channel_name, c.display_name AS channel_display_name
  FROM media_playlists p LEFT JOIN media_channels c ON c.id = p.channel_id`;

export class Playlists {
  constructor(
    private readonly ctx: NodeContext,
    private readonly storage: MediaStorage,
    private readonly channels: Pick<Channels, 'get'>,
  ) {}

  private get db() {
    return this.ctx.db;
  }

  canView(row: Pick<PlaylistRow, 'owner_id' | 'visibility'>, viewer: User | null | undefined): boolean {
    return row.visibility !== 'private' || this.canEdit(row, viewer);
  }

  canEdit(row: Pick<PlaylistRow, 'owner_id'>, viewer: User | null | undefined): boolean {
    return !!viewer && (viewer.role === 'admin' || viewer.id === row.owner_id);
  }

  private async row(id: string): Promise<PlaylistRow | undefined> {
    if (!isUuid(id)) return undefined;
    return selectOne<PlaylistRow>(this.db, `${playlistSelect} WHERE p.id = :id`, { id });
  }

  /**
   * Views of many rows with their visible tracks (one query for all tracks) and their owners'
   * usernames (accounts'; a row whose owner is gone, deleted meanwhile, is left out).
   */
  private async views(rows: PlaylistRow[], viewer: User | null | undefined): Promise<PlaylistView[]> {
    if (!rows.length) return [];
    const [usernames, items] = await Promise.all([
      this.ctx.services.accounts.usernames(rows.map((r) => r.owner_id)),
      select<TrackRow & { playlist_id: string }>(
        this.db,
        `SELECT x.*, pt.playlist_id FROM media_playlist_tracks pt JOIN (${trackSelect}) x ON x.id = pt.track_id
         WHERE pt.playlist_id IN (:ids) AND x.status = 'ready' ORDER BY pt.playlist_id, pt.position`,
        { ids: rows.map((r) => r.id) },
      ),
    ]);
    const byPlaylist = new Map<string, TrackView[]>();
    for (const t of items) {
      if (!canViewTrack(t, viewer)) continue;
      const list = byPlaylist.get(t.playlist_id) ?? [];
      list.push(trackView(t, this.ctx.config.publicUrl, this.storage, this.ctx.config.money.currency));
      byPlaylist.set(t.playlist_id, list);
    }
    return rows.flatMap((r) => {
      const username = usernames.get(r.owner_id);
      return username === undefined ? [] : [this.view(r, username, byPlaylist.get(r.id) ?? [])];
    });
  }

  private view(r: PlaylistRow, username: string, tracks: TrackView[]): PlaylistView {
    return {
      id: r.id,
      title: r.title,
      name: r.title,
      description: r.description,
      visibility: r.visibility,
      channel: r.channel_id ? { id: r.channel_id, name: r.channel_name!, displayName: r.channel_display_name! } : null,
      owner: { id: r.owner_id, username },
      tracks,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  /** A playlist as `viewer` may see it (anonymous when absent), or undefined when there is none or they may not. */
  async get(id: string, viewer?: User | null): Promise<PlaylistView | undefined> {
    const row = await this.row(id);
    if (!row) return undefined;
    if (viewer !== undefined && !this.canView(row, viewer)) return undefined;
    return (await this.views([row], viewer ?? null))[0];
  }

  /** Public playlists by id as an anonymous viewer sees them, in the order given (one query for their rows, one for their tracks). */
  async getMany(ids: string[]): Promise<PlaylistView[]> {
    if (!ids.length) return [];
    const rows = await select<PlaylistRow>(this.db, `${playlistSelect} WHERE p.id IN (:ids) AND p.visibility = 'public'`, { ids });
    const views = new Map((await this.views(rows, null)).map((v) => [v.id, v]));
    return ids.flatMap((id) => views.get(id) ?? []);
  }

  async list(q: ListPlaylistsQuery = {}): Promise<{ total: number; data: PlaylistView[] }> {
    const viewer = q.viewer ?? null;
    const where: string[] = [];
    const repl: Record<string, unknown> = { limit: Math.min(Math.max(q.limit ?? 50, 1), 200), offset: Math.max(q.offset ?? 0, 0) };
    if (q.channel) {
      where.push(isUuid(q.channel) ? 'p.channel_id = :channel' : 'lower(c.name) = lower(:channel)');
      repl.channel = q.channel;
    }
    if (q.ownerId) {
      where.push('p.owner_id = :ownerId');
      repl.ownerId = q.ownerId;
    }
    const seesAll = !!viewer && !!q.ownerId && (viewer.role === 'admin' || viewer.id === q.ownerId);
    if (!seesAll) where.push(`p.visibility = 'public'`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await select<PlaylistRow>(this.db, `${playlistSelect} ${w} ORDER BY p.created_at DESC, p.id LIMIT :limit OFFSET :offset`, repl);
    const count = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM media_playlists p LEFT JOIN media_channels c ON c.id = p.channel_id ${w}`, repl);
    return { total: Number(count?.n ?? 0), data: await this.views(rows, viewer) };
  }

  async create(user: User, input: unknown): Promise<PlaylistView> {
    const data = newPlaylistSchema.parse(input);
    refuseSilenced(user, data.visibility);
    if (data.channelId) {
      const channel = await this.channels.get(data.channelId);
      if (!channel) throw badRequest('unknown_channel', 'No such channel');
      if (channel.ownerId !== user.id && user.role !== 'admin') throw forbidden('A playlist can only be published by a channel you own');
    }
    const id = await this.db.transaction(async (t) => {
      const row = await selectOne<{ id: string }>(
        this.db,
        `INSERT INTO media_playlists (owner_id, channel_id, title, description, visibility) VALUES (:owner, :channel, :title, :description, :visibility) RETURNING id`,
        { owner: user.id, channel: data.channelId ?? null, title: data.title, description: data.description ?? '', visibility: data.visibility },
        t,
      );
      t.afterCommit(() => this.ctx.events.emit('playlist.changed', { playlistId: row!.id }));
      return row!.id;
    });
    return (await this.get(id, user))!;
  }

  async update(user: User, id: string, input: unknown): Promise<PlaylistView> {
    const patch = playlistPatchSchema.parse(input);
    const row = await this.row(id);
    if (!row || !this.canView(row, user)) throw notFound('Playlist');
    if (!this.canEdit(row, user)) throw forbidden('Only the owner or an admin can edit this playlist');
    refuseSilenced(user, patch.visibility ?? row.visibility);
    if (patch.trackIds?.length) {
      // Every track must exist, be ready, and be visible to the editor.
      const unique = [...new Set(patch.trackIds)];
      const found = await selectTrackRows(this.db, unique);
      const ok = new Set(found.filter((t) => t.status === 'ready' && canViewTrack(t, user)).map((t) => t.id));
      const bad = unique.filter((x) => !ok.has(x));
      if (bad.length) throw new AppError(400, 'unknown_tracks', `These tracks do not exist, are not ready, or are not visible to you: ${bad.join(', ')}`);
    }
    await this.db.transaction(async (t) => {
      await execute(
        this.db,
        `UPDATE media_playlists SET title = COALESCE(:title, title), description = COALESCE(:description, description),
           visibility = COALESCE(:visibility, visibility), updated_at = now() WHERE id = :id`,
        { id, title: patch.title ?? null, description: patch.description ?? null, visibility: patch.visibility ?? null },
        t,
      );
      if (patch.trackIds) {
        await execute(this.db, 'DELETE FROM media_playlist_tracks WHERE playlist_id = :id', { id }, t);
        if (patch.trackIds.length) {
          await execute(
            this.db,
            `INSERT INTO media_playlist_tracks (playlist_id, position, track_id)
             SELECT :id, x.ord - 1, x.track_id FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS x(track_id, ord)`,
            { id, ids: `{${patch.trackIds.join(',')}}` },
            t,
          );
        }
      }
      t.afterCommit(() => this.ctx.events.emit('playlist.changed', { playlistId: id }));
    });
    return (await this.get(id, user))!;
  }

  async delete(user: User, id: string): Promise<void> {
    const row = await this.row(id);
    if (!row || !this.canView(row, user)) throw notFound('Playlist');
    if (!this.canEdit(row, user)) throw forbidden('Only the owner or an admin can delete this playlist');
    await this.db.transaction(async (t) => {
      await execute(this.db, 'DELETE FROM media_playlists WHERE id = :id', { id }, t);
      t.afterCommit(() => this.ctx.events.emit('playlist.deleted', { playlistId: id, apId: playlistUri(this.ctx.config.publicUrl, id), channelId: row.channel_id ?? '' }));
    });
  }

  /** Emits 'playlist.changed' for every playlist holding the track once `t` commits (the track changed visibility or goes away). */
  async changedWith(trackId: string, t: Transaction): Promise<void> {
    const rows = await select<{ playlist_id: string }>(this.db, 'SELECT DISTINCT playlist_id FROM media_playlist_tracks WHERE track_id = :trackId', { trackId });
    if (rows.length) t.afterCommit(() => rows.forEach((r) => this.ctx.events.emit('playlist.changed', { playlistId: r.playlist_id })));
  }
}
