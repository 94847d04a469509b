// Resumable chunked uploads: create, append chunks in order (Content-Range), and on the
// last byte probe the file, read its tags, create the track and queue the transcode.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { Transaction } from 'sequelize';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { parseFile } from 'music-metadata';
import { z } from 'zod';
import { select, selectOne, execute } from '../db/index.js';
import { AppError, badRequest, forbidden, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { NodeContext } from '../context.js';
import type { MediaService } from './service.js';
import { visibilities } from './model.js';
import { MediaRejected, checkSourceLimits, probeMedia } from './probe.js';
import { isUuid } from './storage.js';
import { parseContentRange } from './segment-meter.js';
import type { UserLimits } from './limits.js';
import type { TranscodeQueue } from './transcode-queue.js';
import type * as api from '../../shared/api/index.js';

export const newUploadSchema = z.object({
  channelId: z.string().uuid(),
  filename: z.string().min(1).max(500),
  size: z.number().int(),
  mimeType: z.string().max(200).optional(),
  allowDownload: z.boolean().optional(),
  visibility: z.enum(visibilities).optional(),
});

export type UploadProgress = api.UploadProgress;

interface UploadRow {
  id: string;
  channel_id: string;
  owner_id: string;
  filename: string;
  size: string;
  received: string;
  mime_type: string | null;
  allow_download: boolean;
  visibility: 'public' | 'unlisted' | 'private';
  track_id: string | null;
}

/** Largest embedded cover kept from tags, and largest cover accepted by the API. */
export const maxCoverBytes = 5 * 1024 * 1024;

/** A safe display name from a client's file name: last path part, no control characters. */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^\.+/, '').trim();
  return clean.slice(0, 200) || 'untitled';
}

const progressOf = (r: UploadRow): UploadProgress => ({
  id: r.id,
  received: Number(r.received),
  size: Number(r.size),
  complete: r.track_id !== null,
  ...(r.track_id ? { trackId: r.track_id } : {}),
});

/** The image type of a cover from its first bytes (never from a name or a header). */
export function imageTypeOf(buf: Uint8Array): 'jpg' | 'png' | 'webp' | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpg';
  if (buf.length >= 8 && Buffer.from(buf.subarray(0, 8)).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (buf.length >= 12 && Buffer.from(buf.subarray(0, 4)).toString('latin1') === 'RIFF' && Buffer.from(buf.subarray(8, 12)).toString('latin1') === 'WEBP') return 'webp';
  return undefined;
}

export class Uploads {
  private busy = new Set<string>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly media: MediaService,
    private readonly limits: UserLimits,
    private readonly queue: TranscodeQueue,
  ) {}

  private get storage() {
    return this.media.storage;
  }

  async create(user: User, input: unknown): Promise<UploadProgress & { chunkSize: number }> {
    const data = newUploadSchema.parse(input);
    const channel = await this.media.channels.get(data.channelId);
    if (!channel) throw notFound('Channel');
    if (channel.ownerId !== user.id && user.role !== 'admin') throw forbidden('You can only upload to your own channel');
    if (data.size <= 0) throw badRequest('empty_file', 'The file is empty (size 0)');
    const max = this.ctx.config.uploads.maxFileBytes;
    if (data.size > max) throw new AppError(413, 'file_too_large', `The file is ${data.size} bytes; this node accepts at most ${max} bytes`, { maxFileBytes: max });
    const id = randomUUID();
    await writeFile(this.storage.uploadFile(id), Buffer.alloc(0));
    try {
      await this.ctx.db.transaction(async (t) => {
        // Quotas and the open-upload cap are the channel owner's, whoever uploads.
        await this.limits.checkNewUpload(channel.ownerId, data.size, t);
        await execute(
          this.ctx.db,
          `INSERT INTO media_uploads (id, channel_id, owner_id, filename, size, mime_type, allow_download, visibility)
           VALUES (:id, :channelId, :ownerId, :filename, :size, :mime, :allowDownload, :visibility)`,
          {
            id,
            channelId: channel.id,
            ownerId: channel.ownerId,
            filename: sanitizeFilename(data.filename),
            size: data.size,
            mime: data.mimeType ?? null,
            allowDownload: data.allowDownload ?? false,
            visibility: data.visibility ?? 'public',
          },
          t,
        );
      });
    } catch (err) {
      await rm(this.storage.uploadFile(id), { force: true });
      throw err;
    }
    return { id, chunkSize: this.ctx.config.uploads.chunkBytes, received: 0, size: data.size, complete: false };
  }

  private async row(user: User, id: string): Promise<UploadRow> {
    const row = isUuid(id) ? await selectOne<UploadRow>(this.ctx.db, 'SELECT * FROM media_uploads WHERE id = :id', { id }) : undefined;
    if (!row || (row.owner_id !== user.id && user.role !== 'admin')) throw notFound('Upload');
    return row;
  }

  async progress(user: User, id: string): Promise<UploadProgress> {
    return progressOf(await this.row(user, id));
  }

  async cancel(user: User, id: string): Promise<void> {
    const row = await this.row(user, id);
    if (row.track_id) throw new AppError(409, 'upload_complete', 'The upload is complete; delete the track instead');
    await execute(this.ctx.db, 'DELETE FROM media_uploads WHERE id = :id', { id });
    await rm(this.storage.uploadFile(id), { force: true });
  }

  /** Appends one chunk. `contentRange` is the raw `Content-Range` header. */
  async putChunk(user: User, id: string, contentRange: string | undefined, body: Readable): Promise<UploadProgress> {
    const row = await this.row(user, id);
    const size = Number(row.size);
    const received = Number(row.received);
    if (row.track_id) throw new AppError(409, 'upload_complete', 'The upload is already complete', { received, size, trackId: row.track_id });
    // A range outside its own total (or backwards) is malformed; the total must be the declared size.
    const range = parseContentRange(contentRange);
    if (!range) throw badRequest('invalid_content_range', 'Send the header "Content-Range: bytes START-END/TOTAL" with START <= END < TOTAL', { received, size });
    const { start, end, size: total } = range;
    if (total !== size) throw new AppError(416, 'size_mismatch', `Content-Range total ${total} does not match the declared size ${size}`, { received, size });
    if (start !== received) throw new AppError(409, 'out_of_order', `Expected a chunk starting at byte ${received}; resume from there`, { received, size });
    const length = end - start + 1;
    if (length > this.ctx.config.uploads.chunkBytes) {
      throw new AppError(413, 'chunk_too_large', `Chunks are at most ${this.ctx.config.uploads.chunkBytes} bytes`, { received, size, chunkSize: this.ctx.config.uploads.chunkBytes });
    }
    if (this.busy.has(id)) throw new AppError(409, 'chunk_in_progress', 'Another chunk of this upload is being written', { received, size });
    this.busy.add(id);
    const file = this.storage.uploadFile(id);
    try {
      let count = 0;
      const limiter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          count += chunk.length;
          if (count > length) return cb(new AppError(400, 'chunk_length_mismatch', `The body is longer than the ${length} bytes of its Content-Range`));
          cb(null, chunk);
        },
      });
      try {
        await pipeline(body, limiter, createWriteStream(file, { flags: 'r+', start }));
        if (count !== length) throw new AppError(400, 'chunk_length_mismatch', `The body had ${count} bytes; its Content-Range says ${length}`, { received, size });
      } catch (err) {
        await truncate(file, received).catch(() => {});
        if (err instanceof AppError) throw new AppError(err.status, err.code, err.message, { received, size });
        throw new AppError(400, 'chunk_interrupted', 'The chunk did not arrive completely; resume from `received`', { received, size });
      }
      const updated = await selectOne<UploadRow>(
        this.ctx.db,
        'UPDATE media_uploads SET received = :next, updated_at = now() WHERE id = :id AND received = :start RETURNING *',
        { id, next: end + 1, start },
      );
      if (!updated) throw new AppError(409, 'out_of_order', 'The upload moved on meanwhile; resume from `received`', { received, size });
      if (end + 1 < size) return progressOf(updated);
      return await this.complete(updated);
    } finally {
      this.busy.delete(id);
    }
  }

  /** The last byte arrived: probe, read tags, create the track, queue the transcode. */
  private async complete(upload: UploadRow): Promise<UploadProgress> {
    const part = this.storage.uploadFile(upload.id);
    const size = Number(upload.size);
    const removeUpload = async () => {
      await execute(this.ctx.db, 'DELETE FROM media_uploads WHERE id = :id', { id: upload.id });
      await rm(part, { force: true });
    };
    let trackId: string;
    try {
      trackId = await this.ingestFile(
        { file: part, filename: upload.filename, channelId: upload.channel_id, ownerId: upload.owner_id, visibility: upload.visibility, allowDownload: upload.allow_download },
        (id, t) => execute(this.ctx.db, 'UPDATE media_uploads SET track_id = :trackId, updated_at = now() WHERE id = :id', { id: upload.id, trackId: id }, t),
      );
    } catch (err) {
      await removeUpload().catch(() => {});
      if (err instanceof MediaRejected) throw new AppError(422, err.code, err.message, { received: size, size, ...(err.details ?? {}) });
      throw err;
    }
    return { id: upload.id, received: size, size, complete: true, trackId };
  }

  /**
   * A finished file becomes a track: probe it (MediaRejected when it is not media this node
   * takes), move it into storage as the original, read its tags, create the track and queue
   * its transcode in the owner's fair-share line. The file is moved on success and left where
   * it was otherwise. `also` runs in the track's transaction.
   */
  /** A file made on this node (a live replay) becomes a track like an upload: within the owner's quotas. */
  async importFile(f: { file: string; filename: string; channelId: string; ownerId: string; visibility: string; allowDownload: boolean; title?: string }): Promise<string> {
    const size = (await stat(f.file)).size;
    await this.ctx.db.transaction((t) => this.limits.checkNewUpload(f.ownerId, size, t, 'import'));
    return this.ingestFile(f);
  }

  async ingestFile(
    f: { file: string; filename: string; channelId: string; ownerId: string; visibility: string; allowDownload: boolean; title?: string },
    also?: (trackId: string, t: Transaction) => Promise<void>,
  ): Promise<string> {
    const probed = await probeMedia(f.file);
    checkSourceLimits(probed, this.ctx.config.media);
    const size = (await stat(f.file)).size;
    const trackId = randomUUID();
    const original = this.storage.originalFile(trackId, probed.container);
    await rename(f.file, original);
    const created: string[] = [original];
    try {
      const tags = await readTags(original);
      let coverFile: string | null = null;
      if (tags.cover) {
        const cover = this.storage.coverFile(trackId, tags.cover.ext);
        await writeFile(cover, tags.cover.data);
        created.push(cover);
        coverFile = path.basename(cover);
      }
      const stem = sanitizeFilename(f.filename).replace(/\.[A-Za-z0-9]{1,5}$/, '') || 'Untitled';
      await this.ctx.db.transaction(async (t) => {
        await execute(
          this.ctx.db,
          `INSERT INTO media_tracks (id, channel_id, kind, title, artist, album, track_number, genre, visibility, allow_download,
             original_file, original_mime, original_bytes, source_format, source_height, duration_seconds, cover_file, probe)
           VALUES (:id, :channelId, :kind, :title, :artist, :album, :trackNumber, :genre, :visibility, :allowDownload,
             :originalFile, :mime, :bytes, :format, :height, :duration, :cover, CAST(:probe AS jsonb))`,
          {
            id: trackId,
            channelId: f.channelId,
            kind: probed.kind,
            title: f.title ?? tags.title ?? stem,
            artist: tags.artist ?? null,
            album: tags.album ?? null,
            trackNumber: tags.trackNumber ?? null,
            genre: tags.genre ?? null,
            visibility: f.visibility,
            allowDownload: f.allowDownload,
            originalFile: path.basename(original),
            mime: probed.mime,
            bytes: size,
            format: probed.container,
            height: probed.height,
            duration: probed.durationSeconds,
            cover: coverFile,
            probe: JSON.stringify(probed),
          },
          t,
        );
        if (also) await also(trackId, t);
      });
    } catch (err) {
      for (const c of created) await rm(c, { force: true });
      throw err;
    }
    // The track joins its owner's fair-share line; the dispatch queues it when it is their turn.
    await this.queue.dispatch(f.ownerId).catch((err) => this.ctx.logger.warn({ err, trackId }, 'fair-share dispatch failed; the sweep will queue the track'));
    return trackId;
  }

  /** Removes uploads left unfinished for longer than `olderThanHours`. */
  async sweepStale(olderThanHours = 24): Promise<number> {
    const rows = await select<{ id: string }>(
      this.ctx.db,
      `DELETE FROM media_uploads WHERE track_id IS NULL AND updated_at < now() - make_interval(hours => :h) RETURNING id`,
      { h: olderThanHours },
    );
    for (const r of rows) await rm(this.storage.uploadFile(r.id), { force: true });
    return rows.length;
  }
}

interface Tags {
  title?: string;
  artist?: string;
  album?: string;
  trackNumber?: number;
  genre?: string;
  cover?: { data: Uint8Array; ext: 'jpg' | 'png' | 'webp' };
}

const clip = (s: string | undefined, max: number) => {
  const v = s?.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return v ? v.slice(0, max) : undefined;
};

/** Tags from the file (music-metadata); unreadable tags are simply absent. */
export async function readTags(file: string): Promise<Tags> {
  try {
    const meta = await parseFile(file, { duration: false, skipCovers: false });
    const c = meta.common;
    const pic = c.picture?.[0];
    const ext = pic ? imageTypeOf(pic.data) : undefined;
    const no = c.track?.no;
    return {
      title: clip(c.title, 200),
      artist: clip(c.artist, 200),
      album: clip(c.album, 200),
      trackNumber: typeof no === 'number' && no >= 1 && no <= 9999 ? no : undefined,
      genre: clip(c.genre?.[0], 100),
      cover: pic && ext && pic.data.length <= maxCoverBytes ? { data: pic.data, ext } : undefined,
    };
  } catch {
    return {};
  }
}

