// The media service: channels, tracks and their public views, the segment-served hook.
// Uploads and the transcode job live beside it (uploads.ts, transcode-job.ts).
import { rm, writeFile } from 'node:fs/promises';
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import { select, selectOne, execute } from '../db/index.js';
import { conflict, forbidden, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { NodeContext } from '../context.js';
import type { Logger } from '../logger.js';
import { MediaStorage, isUuid } from './storage.js';
import type { Loudness, Rendition } from './transcode.js';
import { BufferLru, StreamCache, loadFileTable, type StreamEntry } from './stream-cache.js';
import { Playlists, type ListPlaylistsQuery, type PlaylistView } from './playlists.js';

export const licenses = [
  'cc0-1.0',
  'cc-by-4.0',
  'cc-by-sa-4.0',
  'cc-by-nd-4.0',
  'cc-by-nc-4.0',
  'cc-by-nc-sa-4.0',
  'cc-by-nc-nd-4.0',
  'all-rights-reserved',
] as const;
export type License = (typeof licenses)[number];
export const visibilities = ['public', 'unlisted', 'private'] as const;
export type Visibility = (typeof visibilities)[number];
export type TrackStatus = 'processing' | 'ready' | 'failed';
export type TrackKind = 'audio' | 'video';

export interface Channel {
  id: string;
  name: string;
  displayName: string;
  description: string;
  ownerId: string;
  createdAt: string;
}

export interface RenditionView {
  name: string;
  bitrateKbps?: number;
  height?: number;
  playlistUrl: string;
  segmentHashesUrl: string;
  torrentUrl: string;
  magnetUri: string;
}

/** A track as other capabilities and the API see it. */
export interface TrackView {
  id: string;
  kind: TrackKind;
  channel: { id: string; name: string; displayName: string; ownerId: string };
  title: string;
  artist: string | null;
  album: string | null;
  trackNumber: number | null;
  genre: string | null;
  license: License;
  visibility: Visibility;
  allowDownload: boolean;
  status: TrackStatus;
  progress: number;
  failureReason: string | null;
  durationSeconds: number | null;
  loudness: Loudness;
  waveformUrl: string | null;
  coverUrl: string | null;
  downloadUrl?: string;
  streaming: { masterPlaylistUrl: string | null; renditions: RenditionView[] };
  createdAt: string;
  publishedAt: string | null;
  /** The track's streaming folder on disk (HLS, torrents, waveform). */
  filesDir: string;
}

/** One media segment actually served (response finished with 200/206). */
export interface SegmentServed {
  trackId: string;
  rendition: string;
  segmentIndex: number;
  segmentStartSeconds: number;
  segmentDurationSeconds: number;
  bytes: number;
  /** Where the response's bytes start in the segment file (a 206's Content-Range; 0 for a 200). */
  byteStart?: number;
  /** The whole segment file's size. Listening credits bytes / segmentBytes of the segment's time span; absent: the whole segment was served. */
  segmentBytes?: number;
  userId: string | null;
  sessionId: string | null;
  ip: string;
  userAgent: string | null;
  at: Date;
}

export interface ListTracksQuery {
  channel?: string;
  kind?: TrackKind;
  limit?: number;
  offset?: number;
  /** The viewer: their own tracks are listed whatever their state. */
  viewerId?: string | null;
}

export interface TrackRow {
  id: string;
  channel_id: string;
  channel_name: string;
  channel_display_name: string;
  owner_id: string;
  kind: TrackKind;
  title: string;
  artist: string | null;
  album: string | null;
  track_number: number | null;
  genre: string | null;
  license: License;
  visibility: Visibility;
  allow_download: boolean;
  status: TrackStatus;
  progress: number;
  failure_reason: string | null;
  original_file: string;
  original_mime: string;
  duration_seconds: number | null;
  integrated_lufs: number | null;
  true_peak_dbtp: number | null;
  lra: number | null;
  cover_file: string | null;
  probe: import('./probe.js').ProbedMedia | null;
  renditions: StoredRendition[];
  created_at: Date;
  published_at: Date | null;
  /** The BullMQ job carrying a processing track; null while it waits in the owner's fair-share line (transcode-queue.ts). */
  transcode_job_id: string | null;
}

/** The transcode side of a track delete (TranscodeJobs). */
export interface TrackDeleteHooks {
  beforeDelete(row: Pick<TrackRow, 'id' | 'transcode_job_id'>): Promise<void>;
  afterDelete(row: TrackRow): Promise<void>;
}

/** What the tracks table keeps per rendition (the segment timeline is stored apart). */
export type StoredRendition = Omit<Rendition, 'segments' | 'init'> & { segmentCount: number };

/** Per rendition: [startSeconds, durationSeconds] per segment index. */
export type SegmentTimeline = Record<string, [number, number][]>;

interface ChannelRow {
  id: string;
  name: string;
  display_name: string;
  description: string;
  owner_id: string;
  created_at: Date;
}

const toChannel = (r: ChannelRow): Channel => ({
  id: r.id,
  name: r.name,
  displayName: r.display_name,
  description: r.description,
  ownerId: r.owner_id,
  createdAt: new Date(r.created_at).toISOString(),
});

export const channelNameSchema = z.string().min(2).max(50).regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and underscores only');

export const newChannelSchema = z.object({
  name: channelNameSchema,
  displayName: z.string().trim().min(1).max(100),
  description: z.string().max(5000).optional(),
});

export const channelPatchSchema = z
  .object({ displayName: z.string().trim().min(1).max(100).optional(), description: z.string().max(5000).optional() })
  .strict();

const optionalText = (max: number) => z.string().trim().max(max).nullable().optional().transform((v) => (v === '' ? null : v));

export const trackPatchSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    artist: optionalText(200),
    album: optionalText(200),
    trackNumber: z.number().int().min(1).max(9999).nullable().optional(),
    genre: optionalText(100),
    license: z.enum(licenses).optional(),
    visibility: z.enum(visibilities).optional(),
    allowDownload: z.boolean().optional(),
  })
  .strict();
export type TrackPatch = z.infer<typeof trackPatchSchema>;

const trackSelect = `
  SELECT t.*, c.name AS channel_name, c.display_name AS channel_display_name, c.owner_id
  FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id`;

export class MediaService {
  readonly storage: MediaStorage;
  private readonly db: Sequelize;
  private readonly log: Logger;
  private segmentListeners: ((e: SegmentServed) => void)[] = [];
  private channelListeners: ((c: Channel) => void | Promise<void>)[] = [];
  readonly playlists: Playlists;

  constructor(private readonly ctx: NodeContext) {
    this.db = ctx.db;
    this.log = ctx.logger.child({ component: 'media' });
    this.storage = new MediaStorage(ctx.config.dataDir);
    this.playlists = new Playlists(ctx, this);
  }

  // --- playlists (federation reads these two) ----------------------------------------------

  /** A playlist with the ready tracks `viewer` may see (anonymous when omitted: public and unlisted tracks), whatever its own visibility unless a viewer is given. */
  getPlaylist(id: string, viewer?: User | null): Promise<PlaylistView | undefined> {
    return this.playlists.get(id, viewer);
  }

  /** Public playlists, a channel's (`channel`), or a user's (`ownerId`; all of them when the viewer is that user or an admin). */
  listPlaylists(q: ListPlaylistsQuery = {}): Promise<{ total: number; data: PlaylistView[] }> {
    return this.playlists.list(q);
  }

  private async emitPlaylistsOf(trackId: string, t: { afterCommit(fn: () => void): void }): Promise<void> {
    const ids = await this.playlists.containing(trackId);
    if (ids.length) t.afterCommit(() => ids.forEach((playlistId) => this.ctx.events.emit('playlist.changed', { playlistId })));
  }

  get publicUrl(): string {
    return this.ctx.config.publicUrl;
  }

  // --- hooks -------------------------------------------------------------------------

  /** Called synchronously, on the hot path, for every media segment served. Keep listeners cheap. */
  onSegmentServed(listener: (e: SegmentServed) => void): void {
    this.segmentListeners.push(listener);
  }

  /** Called after a channel row commits (federation makes an actor for it). */
  onChannelCreated(listener: (c: Channel) => void | Promise<void>): void {
    this.channelListeners.push(listener);
  }

  emitSegmentServed(e: SegmentServed): void {
    for (const l of this.segmentListeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err }, 'segment-served listener failed');
      }
    }
  }

  // --- channels ----------------------------------------------------------------------

  async createChannel(owner: User, input: unknown): Promise<Channel> {
    const data = newChannelSchema.parse(input);
    const channel = await this.db.transaction(async (t) => {
      const taken = await selectOne(this.db, 'SELECT 1 FROM media_channels WHERE lower(name) = lower(:name)', { name: data.name }, t);
      if (taken) throw conflict('channel_name_taken', `The channel name "${data.name}" is taken`);
      const row = await selectOne<ChannelRow>(
        this.db,
        `INSERT INTO media_channels (name, display_name, description, owner_id) VALUES (:name, :displayName, :description, :ownerId) RETURNING *`,
        { name: data.name, displayName: data.displayName, description: data.description ?? '', ownerId: owner.id },
        t,
      );
      return toChannel(row!);
    });
    for (const l of this.channelListeners) {
      Promise.resolve()
        .then(() => l(channel))
        .catch((err) => this.log.error({ err, channelId: channel.id }, 'channel-created listener failed'));
    }
    return channel;
  }

  async getChannel(idOrName: string): Promise<Channel | undefined> {
    const row = isUuid(idOrName)
      ? await selectOne<ChannelRow>(this.db, 'SELECT * FROM media_channels WHERE id = :id', { id: idOrName })
      : await selectOne<ChannelRow>(this.db, 'SELECT * FROM media_channels WHERE lower(name) = lower(:name)', { name: idOrName });
    return row ? toChannel(row) : undefined;
  }

  async listChannels(limit = 50, offset = 0): Promise<{ total: number; data: Channel[] }> {
    const rows = await select<ChannelRow>(this.db, 'SELECT * FROM media_channels ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset', { limit, offset });
    const count = await selectOne<{ n: string }>(this.db, 'SELECT count(*) AS n FROM media_channels');
    return { total: Number(count?.n ?? 0), data: rows.map(toChannel) };
  }

  async channelsOfUser(userId: string): Promise<Channel[]> {
    const rows = await select<ChannelRow>(this.db, 'SELECT * FROM media_channels WHERE owner_id = :userId ORDER BY created_at', { userId });
    return rows.map(toChannel);
  }

  async updateChannel(user: User, name: string, input: unknown): Promise<Channel> {
    const patch = channelPatchSchema.parse(input);
    const channel = await this.getChannel(name);
    if (!channel) throw notFound('Channel');
    if (channel.ownerId !== user.id && user.role !== 'admin') throw forbidden('Only the channel owner can edit it');
    const row = await selectOne<ChannelRow>(
      this.db,
      `UPDATE media_channels SET display_name = COALESCE(:displayName, display_name), description = COALESCE(:description, description), updated_at = now()
       WHERE id = :id RETURNING *`,
      { id: channel.id, displayName: patch.displayName ?? null, description: patch.description ?? null },
    );
    return toChannel(row!);
  }

  // --- tracks ------------------------------------------------------------------------

  async trackRow(id: string): Promise<TrackRow | undefined> {
    if (!isUuid(id)) return undefined;
    return selectOne<TrackRow>(this.db, `${trackSelect} WHERE t.id = :id`, { id });
  }

  async getTrack(id: string): Promise<TrackView | undefined> {
    const row = await this.trackRow(id);
    return row ? this.view(row) : undefined;
  }

  async listTracks(q: ListTracksQuery = {}): Promise<{ total: number; data: TrackView[] }> {
    const where = [`((t.status = 'ready' AND t.visibility = 'public')${q.viewerId ? ' OR c.owner_id = :viewerId' : ''})`];
    const repl: Record<string, unknown> = { limit: Math.min(Math.max(q.limit ?? 50, 1), 200), offset: Math.max(q.offset ?? 0, 0), viewerId: q.viewerId ?? null };
    if (q.channel) {
      where.push('lower(c.name) = lower(:channel)');
      repl.channel = q.channel;
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

  /** Who may see a track (and stream it): public/unlisted ready tracks: anyone; else owner and admins. */
  canView(row: Pick<TrackRow, 'owner_id' | 'visibility' | 'status'>, user: User | undefined | null): boolean {
    if (user && (user.role === 'admin' || user.id === row.owner_id)) return true;
    return row.status === 'ready' && row.visibility !== 'private';
  }

  canEdit(row: Pick<TrackRow, 'owner_id'>, user: User | undefined | null): boolean {
    return !!user && (user.role === 'admin' || user.id === row.owner_id);
  }

  view(r: TrackRow): TrackView {
    const base = this.publicUrl;
    const ready = r.status === 'ready';
    const streamBase = `${base}/static/streaming/${r.id}`;
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
      allowDownload: r.allow_download,
      status: r.status,
      progress: r.progress,
      failureReason: r.failure_reason,
      durationSeconds: r.duration_seconds,
      loudness: { integratedLufs: r.integrated_lufs, truePeakDbtp: r.true_peak_dbtp, lra: r.lra },
      waveformUrl: ready ? `${base}/api/v1/tracks/${r.id}/waveform` : null,
      coverUrl: r.cover_file ? `${base}/static/covers/${r.id}` : null,
      streaming: {
        masterPlaylistUrl: ready ? `${streamBase}/master.m3u8` : null,
        renditions: ready
          ? r.renditions.map((x) => ({
              name: x.name,
              ...(x.bitrateKbps !== undefined ? { bitrateKbps: x.bitrateKbps } : {}),
              ...(x.height !== undefined ? { height: x.height } : {}),
              playlistUrl: `${streamBase}/${x.name}/playlist.m3u8`,
              segmentHashesUrl: `${streamBase}/${x.name}/segment-hashes.json`,
              torrentUrl: `${streamBase}/${x.name}.torrent`,
              magnetUri: x.magnetUri ?? '',
            }))
          : [],
      },
      createdAt: new Date(r.created_at).toISOString(),
      publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null,
      filesDir: this.storage.streamingDir(r.id),
    };
    if (r.allow_download && ready) v.downloadUrl = `${base}/static/download/${r.id}`;
    return v;
  }

  /** The Track JSON of the API (no server paths). */
  apiTrack(v: TrackView): Omit<TrackView, 'filesDir' | 'channel'> & { channel: { id: string; name: string; displayName: string } } {
    const { filesDir: _f, channel, ...rest } = v;
    return { ...rest, channel: { id: channel.id, name: channel.name, displayName: channel.displayName } };
  }

  async updateTrack(user: User, id: string, input: unknown): Promise<TrackView> {
    const patch = trackPatchSchema.parse(input);
    const row = await this.trackRow(id);
    if (!row || !this.canView(row, user)) throw notFound('Track');
    if (!this.canEdit(row, user)) throw forbidden('Only the owner or an admin can edit this track');
    const sets: string[] = [];
    const repl: Record<string, unknown> = { id };
    const columns: Record<keyof TrackPatch, string> = {
      title: 'title',
      artist: 'artist',
      album: 'album',
      trackNumber: 'track_number',
      genre: 'genre',
      license: 'license',
      visibility: 'visibility',
      allowDownload: 'allow_download',
    };
    for (const [k, col] of Object.entries(columns) as [keyof TrackPatch, string][]) {
      if (patch[k] !== undefined) {
        sets.push(`${col} = :${k}`);
        repl[k] = patch[k];
      }
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
      if (patch.visibility !== undefined && patch.visibility !== row.visibility) await this.emitPlaylistsOf(id, t);
      t.afterCommit(() => {
        this.forgetTimeline(id);
        this.ctx.events.emit('track.updated', { trackId: id });
        if (publishes) this.ctx.events.emit('track.published', { trackId: id });
      });
      return selectOne<TrackRow>(this.db, `${trackSelect} WHERE t.id = :id`, { id }, t);
    });
    return this.view(updated!);
  }

  async setCover(user: User, id: string, body: Buffer, ext: 'jpg' | 'png' | 'webp'): Promise<TrackView> {
    const row = await this.trackRow(id);
    if (!row || !this.canView(row, user)) throw notFound('Track');
    if (!this.canEdit(row, user)) throw forbidden('Only the owner or an admin can change the cover');
    const file = this.storage.coverFile(id, ext);
    await writeFile(file, body);
    if (row.cover_file && row.cover_file !== `${id}.${ext}`) await rm(this.storage.coverFile(id, row.cover_file.split('.').pop()!), { force: true });
    await this.db.transaction(async (t) => {
      await execute(this.db, 'UPDATE media_tracks SET cover_file = :cover, updated_at = now() WHERE id = :id', { id, cover: `${id}.${ext}` }, t);
      t.afterCommit(() => {
        this.forgetTimeline(id);
        this.ctx.events.emit('track.updated', { trackId: id });
      });
    });
    return (await this.getTrack(id))!;
  }

  /**
   * Deletes a track and its files. `jobs` (the transcode side) takes the queued job off while
   * the row is locked (so the sweep cannot queue it again), and stops a running transcode after.
   */
  async deleteTrack(user: User | null, id: string, jobs?: TrackDeleteHooks): Promise<void> {
    const row = await this.trackRow(id);
    if (!row || (user && !this.canView(row, user))) throw notFound('Track');
    if (user && !this.canEdit(row, user)) throw forbidden('Only the owner or an admin can delete this track');
    await this.db.transaction(async (t) => {
      const locked = await selectOne<{ transcode_job_id: string | null }>(this.db, 'SELECT transcode_job_id FROM media_tracks WHERE id = :id FOR UPDATE', { id }, t);
      if (!locked) throw notFound('Track');
      await jobs?.beforeDelete({ id, transcode_job_id: locked.transcode_job_id });
      await this.emitPlaylistsOf(id, t);
      await execute(this.db, 'DELETE FROM media_uploads WHERE track_id = :id', { id }, t);
      await execute(this.db, 'DELETE FROM media_tracks WHERE id = :id', { id }, t);
      t.afterCommit(() => this.ctx.events.emit('track.deleted', { trackId: id, channelId: row.channel_id, apId: `${this.publicUrl}/ap/tracks/${id}` }));
    });
    this.forgetTimeline(id);
    await jobs?.afterDelete(row);
    await this.storage.removeTrackFiles(id, row.original_file, row.cover_file);
  }

  // --- hot path: what the streaming routes need per track, cached a few seconds ----------

  /** Segment bytes of hot tracks (64 MiB); keys are `<trackId>/<rel>/<etag>`. */
  readonly segmentBytes = new BufferLru();

  private readonly streamCache = new StreamCache(async (id) => {
    const row = await this.trackRow(id);
    const timeline = (row as (TrackRow & { segment_timeline?: SegmentTimeline | null }) | undefined)?.segment_timeline ?? undefined;
    const files = row?.status === 'ready' ? await loadFileTable(this.storage.streamingDir(id), row.renditions.map((r) => r.name)) : new Map();
    return { row, timeline, files };
  });

  /** The cached streaming view of a track (row, timeline, file table); `peek` first for the synchronous path. */
  streamEntry(id: string): Promise<StreamEntry> {
    return this.streamCache.get(id);
  }

  peekStreamEntry(id: string): StreamEntry | undefined {
    return this.streamCache.peek(id);
  }

  async timeline(trackId: string): Promise<SegmentTimeline | undefined> {
    if (!isUuid(trackId)) return undefined;
    return (await this.streamCache.get(trackId)).timeline;
  }

  /** The track row for serving files, cached for 5 s (this process forgets it on every change). */
  async streamingRow(id: string): Promise<TrackRow | undefined> {
    if (!isUuid(id)) return undefined;
    return (await this.streamCache.get(id)).row;
  }

  /** Forgets what the hot path cached about a track (call after every change, after commit). */
  forgetTimeline(trackId: string): void {
    this.streamCache.forget(trackId);
    this.segmentBytes.dropPrefix(`${trackId}/`);
  }
}

