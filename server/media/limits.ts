// Per-user upload limits: the storage and track quotas and the cap on unfinished uploads
// (node defaults from config, overridden per user by an admin), their usage, and the check
// made when an upload starts. Usage belongs to the channel owner, whoever uploads.
import type { Transaction } from 'sequelize';
import { z } from 'zod';
import { execute, selectOne } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { transcodeLine } from './transcode-queue.js';
import type { NodeContext } from '../context.js';

export interface UserLimitOverrides {
  quotaBytes: number | null;
  quotaTracks: number | null;
  maxConcurrentUploads: number | null;
}

/** What `GET /api/v1/me/quota` shows (and the admin view, with `overrides`). */
export interface QuotaView {
  userId: string;
  bytes: { used: number; limit: number };
  tracks: { used: number; limit: number };
  uploads: { unfinished: number; limit: number };
  /** Fair share: the user's tracks in the transcode queue (`queued`) and in the node's line behind it (`waiting`). */
  transcodes: { queued: number; waiting: number; limit: number };
}

/**
 * PUT body: a number sets the user's own limit, null returns to the node's default, absent
 * leaves it. Bounded by the columns (bigint, integer): a larger number is a 400, not a 500.
 */
export const limitOverridesSchema = z
  .object({
    quotaBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable().optional(),
    quotaTracks: z.number().int().nonnegative().max(2_147_483_647).nullable().optional(),
    maxConcurrentUploads: z.number().int().nonnegative().max(2_147_483_647).nullable().optional(),
  })
  .strict();

export class UserLimits {
  constructor(private readonly ctx: NodeContext) {}

  async overrides(userId: string, t?: Transaction): Promise<UserLimitOverrides> {
    const row = await selectOne<{ quota_bytes: string | null; quota_tracks: number | null; max_concurrent_uploads: number | null }>(
      this.ctx.db,
      'SELECT quota_bytes, quota_tracks, max_concurrent_uploads FROM media_user_limits WHERE user_id = :userId',
      { userId },
      t,
    );
    return {
      quotaBytes: row?.quota_bytes == null ? null : Number(row.quota_bytes),
      quotaTracks: row?.quota_tracks ?? null,
      maxConcurrentUploads: row?.max_concurrent_uploads ?? null,
    };
  }

  private effective(o: UserLimitOverrides) {
    const u = this.ctx.config.uploads;
    return {
      quotaBytes: o.quotaBytes ?? u.quotaBytesPerUser,
      quotaTracks: o.quotaTracks ?? u.quotaTracksPerUser,
      maxConcurrentUploads: o.maxConcurrentUploads ?? u.maxConcurrentPerUser,
    };
  }

  /** Stored originals and unfinished uploads (their declared size is reserved) of the user's channels. */
  private async usage(userId: string, t?: Transaction) {
    const row = await selectOne<{ bytes: string; tracks: string; unfinished: string; unfinished_bytes: string }>(
      this.ctx.db,
      `SELECT tr.bytes, tr.tracks, up.unfinished, up.unfinished_bytes FROM
         (SELECT COALESCE(sum(t.original_bytes), 0) AS bytes, count(*) AS tracks
            FROM media_tracks t JOIN media_channels c ON c.id = t.channel_id WHERE c.owner_id = :userId) tr,
         (SELECT count(*) AS unfinished, COALESCE(sum(size), 0) AS unfinished_bytes
            FROM media_uploads WHERE owner_id = :userId AND track_id IS NULL) up`,
      { userId },
      t,
    );
    return {
      bytes: Number(row?.bytes ?? 0) + Number(row?.unfinished_bytes ?? 0),
      tracks: Number(row?.tracks ?? 0) + Number(row?.unfinished ?? 0),
      unfinished: Number(row?.unfinished ?? 0),
    };
  }

  /** Usage, limits and (for admins) the user's own overrides. */
  async view(userId: string): Promise<QuotaView & { overrides: UserLimitOverrides }> {
    const [o, used, line] = await Promise.all([this.overrides(userId), this.usage(userId), transcodeLine(this.ctx.db, userId)]);
    const lim = this.effective(o);
    return {
      userId,
      bytes: { used: used.bytes, limit: lim.quotaBytes },
      tracks: { used: used.tracks, limit: lim.quotaTracks },
      uploads: { unfinished: used.unfinished, limit: lim.maxConcurrentUploads },
      transcodes: { ...line, limit: this.ctx.config.media.maxQueuedTranscodesPerUser },
      overrides: o,
    };
  }

  async setOverrides(userId: string, adminId: string, input: unknown): Promise<QuotaView & { overrides: UserLimitOverrides }> {
    const patch = limitOverridesSchema.parse(input);
    // One statement, so concurrent updates of different keys never undo each other: a key
    // absent from the patch keeps its column.
    await execute(
      this.ctx.db,
      `INSERT INTO media_user_limits (user_id, quota_bytes, quota_tracks, max_concurrent_uploads, updated_by, updated_at)
       VALUES (:userId, :quotaBytes, :quotaTracks, :maxConcurrentUploads, :adminId, now())
       ON CONFLICT (user_id) DO UPDATE SET
         quota_bytes = CASE WHEN :setBytes THEN EXCLUDED.quota_bytes ELSE media_user_limits.quota_bytes END,
         quota_tracks = CASE WHEN :setTracks THEN EXCLUDED.quota_tracks ELSE media_user_limits.quota_tracks END,
         max_concurrent_uploads = CASE WHEN :setUploads THEN EXCLUDED.max_concurrent_uploads ELSE media_user_limits.max_concurrent_uploads END,
         updated_by = EXCLUDED.updated_by, updated_at = now()`,
      {
        userId,
        adminId,
        quotaBytes: patch.quotaBytes ?? null,
        quotaTracks: patch.quotaTracks ?? null,
        maxConcurrentUploads: patch.maxConcurrentUploads ?? null,
        setBytes: patch.quotaBytes !== undefined,
        setTracks: patch.quotaTracks !== undefined,
        setUploads: patch.maxConcurrentUploads !== undefined,
      },
    );
    return this.view(userId);
  }

  /**
   * Refuses a new upload of `size` bytes for the channel owner when it would pass a limit.
   * Call inside the transaction that records the upload: the owner's row lock makes two
   * uploads started at once see each other.
   */
  async checkNewUpload(ownerId: string, size: number, t: Transaction, kind: 'upload' | 'import' = 'upload'): Promise<void> {
    await execute(this.ctx.db, `SELECT pg_advisory_xact_lock(hashtext('media.uploads:' || :ownerId))`, { ownerId }, t);
    const lim = this.effective(await this.overrides(ownerId, t));
    const used = await this.usage(ownerId, t);
    // An import (a live stream's replay) is no upload in progress: only the quotas apply to it.
    if (kind === 'upload' && used.unfinished >= lim.maxConcurrentUploads) {
      throw new AppError(
        429,
        'too_many_uploads',
        `You have ${used.unfinished} unfinished uploads; at most ${lim.maxConcurrentUploads} may be open at once. Finish or cancel one first.`,
        { unfinishedUploads: used.unfinished, maxConcurrentUploads: lim.maxConcurrentUploads },
      );
    }
    if (used.tracks + 1 > lim.quotaTracks) {
      throw new AppError(403, 'track_quota_exceeded', `You have ${used.tracks} of ${lim.quotaTracks} tracks allowed (unfinished uploads included); delete some or ask an admin for more.`, {
        usedTracks: used.tracks,
        quotaTracks: lim.quotaTracks,
      });
    }
    if (used.bytes + size > lim.quotaBytes) {
      throw new AppError(
        413,
        'storage_quota_exceeded',
        `This upload of ${size} bytes would pass your storage quota: ${used.bytes} of ${lim.quotaBytes} bytes are used (unfinished uploads included).`,
        { usedBytes: used.bytes, quotaBytes: lim.quotaBytes, size },
      );
    }
  }
}
