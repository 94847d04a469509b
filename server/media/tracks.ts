// Tracks: reading them (one, a listing), editing their metadata and cover, deleting them, and
// the queries on media_tracks joined with its channel that the rest of media reads by.
// Uploads create tracks (uploads.ts); the transcode job moves them through their states
// (transcode-job.ts, transcode-queue.ts).
import { rm, writeFile } from 'node:fs/promises';
import type { Sequelize, Transaction } from 'sequelize';
import { z } from 'zod';
import { select, selectOne, execute } from '../db/index.js';
import { AppError, badRequest, forbidden, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { NodeContext } from '../context.js';
import { trackUri } from '../../shared/actor-uris.js';
import { isUuid, type MediaStorage } from './storage.js';
import { accessModes, licenses, maxPricePerMinute, visibilities, type ListTracksQuery, type TrackRow, type TrackView } from './model.js';
import { canEditTrack, canViewTrack, trackView } from './track-view.js';

const optionalText = (max: number) => z.string().trim().max(max).nullable().optional().transform((v) => (v === '' ? null : v));

const trackPatchSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    artist: optionalText(200),
    album: optionalText(200),
    trackNumber: z.number().int().min(1).max(9999).nullable().optional(),
    genre: optionalText(100),
    license: z.enum(licenses).optional(),
    visibility: z.enum(visibilities).optional(),
    allowDownload: z.boolean().optional(),
    access: z
      .object({
        mode: z.enum(accessModes),
        pricesPerMinute: z.record(z.string(), z.number().int().min(1).max(maxPricePerMinute)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
type TrackPatch = Omit<z.infer<typeof trackPatchSchema>, 'access'>;
type AccessPatch = NonNullable<z.infer<typeof trackPatchSchema>['access']>;

/**
 * The prices a metered track keeps: one per rendition of the ready track, none for a name it
 * lacks, and a higher bitrate never cheaper than a lower one (a listener buying a rendition
 * may also play the cheaper ones in the same span).
 */
function checkedPrices(row: TrackRow, access: AccessPatch): Record<string, number> {
  if (access.mode !== 'metered') {
    if (access.pricesPerMinute && Object.keys(access.pricesPerMinute).length) throw badRequest('invalid_prices', `Prices are for metered tracks; a ${access.mode} track has none`);
    return {};
  }
  if (row.status !== 'ready') throw new AppError(409, 'track_not_ready', 'A track is metered once it is transcoded: its renditions are priced one by one');
  const prices = access.pricesPerMinute ?? {};
  const names = row.renditions.map((r) => r.name);
  const unknown = Object.keys(prices).filter((n) => !names.includes(n));
  if (unknown.length) throw badRequest('invalid_prices', `This track has no rendition ${unknown.map((n) => `"${n}"`).join(', ')}`, { renditions: names });
  const missing = names.filter((n) => prices[n] === undefined);
  if (missing.length) throw badRequest('invalid_prices', `Give a price per minute for every rendition; missing: ${missing.join(', ')}`, { renditions: names });
  const weight = (r: TrackRow['renditions'][number]) => (r.height ?? 0) * 1e6 + (r.bitrateKbps ?? 0);
  const ordered = [...row.renditions].sort((a, b) => weight(a) - weight(b));
  for (let i = 1; i < ordered.length; i++) {
    if (prices[ordered[i].name] < prices[ordered[i - 1].name]) {
      throw badRequest('invalid_prices', `Rendition "${ordered[i].name}" may not cost less than the lower "${ordered[i - 1].name}"`, { renditions: names });
    }
  }
  return Object.fromEntries(names.map((n) => [n, prices[n]]));
}

const patchColumns: Record<keyof TrackPatch, string> = {
  title: 'title',
  artist: 'artist',
  album: 'album',
  trackNumber: 'track_number',
  genre: 'genre',
  license: 'license',
  visibility: 'visibility',
  allowDownload: 'allow_download',
};

/** Tracks with their channel's name, display name and owner (rows of TrackRow). */
export const trackSelect = `
  SELECT t.*, c.name AS channel_name, c.display_name AS channel_display_name, c.owner_id
  FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id`;

/** One track row, or undefined (also for a string that is not an id). */
export async function selectTrackRow(db: Sequelize, id: string, t?: Transaction): Promise<TrackRow | undefined> {
  if (!isUuid(id)) return undefined;
  return selectOne<TrackRow>(db, `${trackSelect} WHERE t.id = :id`, { id }, t);
}

/** Rows of the given tracks, any state (the caller decides who may see them). */
export function selectTrackRows(db: Sequelize, ids: string[]): Promise<TrackRow[]> {
  return select<TrackRow>(db, `${trackSelect} WHERE t.id IN (:ids)`, { ids });
}

/** The transcode side of a track delete (TranscodeJobs). */
export interface TrackDeleteHooks {
  beforeDelete(row: Pick<TrackRow, 'id' | 'transcode_job_id'>): Promise<void>;
  afterDelete(row: TrackRow): Promise<void>;
}

/** What tracks need told when one changes: the hot path forgets it, its playlists are announced. */
export interface TrackChangeHooks {
  /** Drops what the streaming hot path cached about the track (after commit). */
  forget(trackId: string): void;
  /** Emits 'playlist.changed' for every playlist holding the track once `t` commits. */
  playlistsChanged(trackId: string, t: Transaction): Promise<void>;
}

export class Tracks {
  private readonly db: Sequelize;

  constructor(
    private readonly ctx: NodeContext,
    private readonly storage: MediaStorage,
    private readonly changes: TrackChangeHooks,
  ) {
    this.db = ctx.db;
  }

  private get publicUrl(): string {
    return this.ctx.config.publicUrl;
  }

  row(id: string): Promise<TrackRow | undefined> {
    return selectTrackRow(this.db, id);
  }

  /** The track's row when `user` may see it (anonymous when absent), else 404. */
  async visible(id: string, user: User | undefined | null): Promise<TrackRow> {
    const row = await this.row(id);
    if (!row || !canViewTrack(row, user)) throw notFound('Track');
    return row;
  }

  async get(id: string): Promise<TrackView | undefined> {
    const row = await this.row(id);
    return row ? this.view(row) : undefined;
  }

  view(row: TrackRow): TrackView {
    return trackView(row, this.publicUrl, this.storage, this.ctx.config.money.currency);
  }

  async list(q: ListTracksQuery = {}): Promise<{ total: number; data: TrackView[] }> {
    const where = [`((t.status = 'ready' AND t.visibility = 'public' AND NOT t.hidden)${q.viewerId ? ' OR c.owner_id = :viewerId' : ''})`];
    const repl: Record<string, unknown> = { limit: Math.min(Math.max(q.limit ?? 50, 1), 200), offset: Math.max(q.offset ?? 0, 0), viewerId: q.viewerId ?? null };
    if (q.channel) {
      where.push('lower(c.name) = lower(:channel)');
      repl.channel = q.channel;
    }
    if (q.channelIds) {
      if (!q.channelIds.length) return { total: 0, data: [] };
      where.push('t.channel_id IN (:channelIds)');
      repl.channelIds = q.channelIds;
    }
    if (q.kind) {
      where.push('t.kind = :kind');
      repl.kind = q.kind;
    }
    const w = where.join(' AND ');
    const rows = await select<TrackRow>(this.db, `${trackSelect} WHERE ${w} ORDER BY COALESCE(t.published_at, t.created_at) DESC, t.id LIMIT :limit OFFSET :offset`, repl);
    const count = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id WHERE ${w}`, repl);
    return { total: Number(count?.n ?? 0), data: rows.map((r) => this.view(r)) };
  }

  /** Ids of the tracks anyone may play without asking (ready, not private, not hidden, free: isOpenToAll). */
  async playableIds(): Promise<string[]> {
    const rows = await select<{ id: string }>(this.db, "SELECT id FROM media_tracks WHERE status = 'ready' AND visibility <> 'private' AND NOT hidden AND access = 'free'");
    return rows.map((r) => r.id);
  }

  /** Whether a rendition of a track anyone may play without asking has this torrent info hash. */
  async playableRenditionHas(infoHash: string): Promise<boolean> {
    const rows = await select(
      this.db,
      `SELECT 1 FROM media_tracks WHERE status = 'ready' AND visibility <> 'private' AND NOT hidden AND access = 'free' AND renditions @> CAST(:q AS jsonb) LIMIT 1`,
      { q: JSON.stringify([{ infoHash }]) },
    );
    return rows.length > 0;
  }

  async update(user: User, id: string, input: unknown): Promise<TrackView> {
    const { access, ...patch } = trackPatchSchema.parse(input);
    const row = await this.visible(id, user);
    if (!canEditTrack(row, user)) throw forbidden('Only the owner or an admin can edit this track');
    const sets: string[] = [];
    const repl: Record<string, unknown> = { id };
    for (const [k, col] of Object.entries(patchColumns) as [keyof TrackPatch, string][]) {
      if (patch[k] !== undefined) {
        sets.push(`${col} = :${k}`);
        repl[k] = patch[k];
      }
    }
    if (access) {
      sets.push('access = :access', 'prices_per_minute = CAST(:prices AS jsonb)');
      repl.access = access.mode;
      repl.prices = JSON.stringify(checkedPrices(row, access));
    }
    let publishes = false;
    const updated = await this.db.transaction(async (t) => {
      if (sets.length) {
        await execute(this.db, `UPDATE media_tracks SET ${sets.join(', ')}, updated_at = now() WHERE id = :id`, repl, t);
      }
      // A ready track that becomes public for the first time is published now.
      const pub = await selectOne<{ id: string }>(
        this.db,
        `UPDATE media_tracks SET published_at = now() WHERE id = :id AND status = 'ready' AND visibility = 'public' AND published_at IS NULL RETURNING id`,
        { id },
        t,
      );
      publishes = !!pub;
      if (patch.visibility !== undefined && patch.visibility !== row.visibility) await this.changes.playlistsChanged(id, t);
      t.afterCommit(() => {
        this.changes.forget(id);
        this.ctx.events.emit('track.updated', { trackId: id });
        if (publishes) this.ctx.events.emit('track.published', { trackId: id });
      });
      return selectTrackRow(this.db, id, t);
    });
    return this.view(updated!);
  }

  async setCover(user: User, id: string, body: Buffer, ext: 'jpg' | 'png' | 'webp'): Promise<TrackView> {
    const row = await this.visible(id, user);
    if (!canEditTrack(row, user)) throw forbidden('Only the owner or an admin can change the cover');
    const file = this.storage.coverFile(id, ext);
    await writeFile(file, body);
    if (row.cover_file && row.cover_file !== `${id}.${ext}`) await rm(this.storage.coverFile(id, row.cover_file.split('.').pop()!), { force: true });
    await this.db.transaction(async (t) => {
      await execute(this.db, 'UPDATE media_tracks SET cover_file = :cover, updated_at = now() WHERE id = :id', { id, cover: `${id}.${ext}` }, t);
      t.afterCommit(() => {
        this.changes.forget(id);
        this.ctx.events.emit('track.updated', { trackId: id });
      });
    });
    return (await this.get(id))!;
  }

  /**
   * Deletes a track and its files. `jobs` (the transcode side) takes the queued job off while
   * the row is locked (so the sweep cannot queue it again), and stops a running transcode after.
   */
  async delete(user: User | null, id: string, jobs?: TrackDeleteHooks): Promise<void> {
    const row = await this.row(id);
    if (!row || (user && !canViewTrack(row, user))) throw notFound('Track');
    if (user && !canEditTrack(row, user)) throw forbidden('Only the owner or an admin can delete this track');
    await this.db.transaction(async (t) => {
      const locked = await selectOne<{ transcode_job_id: string | null }>(this.db, 'SELECT transcode_job_id FROM media_tracks WHERE id = :id FOR UPDATE', { id }, t);
      if (!locked) throw notFound('Track');
      await jobs?.beforeDelete({ id, transcode_job_id: locked.transcode_job_id });
      await this.changes.playlistsChanged(id, t);
      await execute(this.db, 'DELETE FROM media_uploads WHERE track_id = :id', { id }, t);
      await execute(this.db, 'DELETE FROM media_tracks WHERE id = :id', { id }, t);
      t.afterCommit(() => this.ctx.events.emit('track.deleted', { trackId: id, channelId: row.channel_id, apId: trackUri(this.publicUrl, id) }));
    });
    this.changes.forget(id);
    await jobs?.afterDelete(row);
    await this.storage.removeTrackFiles(id, row.original_file, row.cover_file);
  }
}
