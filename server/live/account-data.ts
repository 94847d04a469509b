// A user's live streaming when their account is deleted (docs/accounts.md) or exported: a
// stream running here is stopped and the channels' stream keys and live settings go (no one can
// push to them any more). The streams' history stays with its segment hashes: receipts that
// viewers paid with name them.
import type { NodeContext } from '../context.js';
import { execute, select } from '../db/index.js';
import { AppError } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { LiveService } from './service.js';

async function endLiveOf(ctx: NodeContext, live: LiveService, user: User): Promise<void> {
  const channels = await ctx.services.media.channelsOwnedBy(user.id);
  if (!channels.length) return;
  for (const c of channels) {
    // 409: not live, or live through another process of the node (the key going stops it there at its next reconnect).
    await live.stopStream(user, c.id).catch((err) => {
      if (!(err instanceof AppError && err.status === 409)) throw err;
    });
  }
  await execute(ctx.db, 'DELETE FROM live_channels WHERE channel_id IN (:ids)', { ids: channels.map((c) => c.id) });
}

/** The channels' live settings (never the key) and the streams they ran. */
async function liveFile(ctx: NodeContext, user: User) {
  const channels = await ctx.services.media.channelsOwnedBy(user.id);
  if (!channels.length) return { channels: [], streams: [] };
  const ids = channels.map((c) => c.id);
  const name = new Map(channels.map((c) => [c.id, c.name]));
  const settings = await select<{ channel_id: string; title: string | null; keep_replays: boolean; price_per_minute: string; free_minutes: string; subscriber_discount_percent: number; key_created_at: Date | null }>(
    ctx.db,
    'SELECT channel_id, title, keep_replays, price_per_minute, free_minutes, subscriber_discount_percent, key_created_at FROM live_channels WHERE channel_id IN (:ids)',
    { ids },
  );
  const streams = await select<{ id: string; channel_id: string; title: string; state: string; end_reason: string | null; peak_viewers: number; replay_track_id: string | null; started_at: Date | null; ended_at: Date | null }>(
    ctx.db,
    'SELECT id, channel_id, title, state, end_reason, peak_viewers, replay_track_id, started_at, ended_at FROM live_streams WHERE channel_id IN (:ids) ORDER BY created_at, id',
    { ids },
  );
  return {
    channels: settings.map((s) => ({
      channel: name.get(s.channel_id), title: s.title, keepReplays: s.keep_replays, pricePerMinute: Number(s.price_per_minute), freeMinutes: Number(s.free_minutes),
      subscriberDiscountPercent: s.subscriber_discount_percent, streamKeySince: s.key_created_at,
    })),
    streams: streams.map((s) => ({
      id: s.id, channel: name.get(s.channel_id), title: s.title, state: s.state, endReason: s.end_reason, peakViewers: s.peak_viewers,
      replayTrackId: s.replay_track_id, startedAt: s.started_at, endedAt: s.ended_at,
    })),
  };
}

/** Registers live's part of deleting and exporting an account with accounts. */
export function registerLiveAccountData(ctx: NodeContext, live: LiveService): void {
  ctx.services.accounts.onUserDeleting((user) => endLiveOf(ctx, live, user));
  ctx.services.accounts.onExport({ file: 'live.json', collect: (user) => liveFile(ctx, user) });
}
