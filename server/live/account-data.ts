// A user's live streaming when their account is deleted (docs/accounts.md) or exported: the
// channels' streams end (without a replay) and their stream keys and live settings go (no one
// can push to them any more); the credit of the watch links they funded from their wallet and no
// one opened goes back to that wallet. The streams' history stays with its segment hashes:
// receipts that viewers paid with name them.
import type { NodeContext } from '../context.js';
import { execute, select } from '../db/index.js';
import type { User } from '../accounts/service.js';
import type { LiveService } from './service.js';

/** How long the deletion waits for a stream that runs in another process (its session check ends it within seconds). */
const waitElsewhereMs = 30_000;

/**
 * A stream of the account's channels runs here (it ends now) or in another process of the node:
 * the web process that ingests it, while this part runs in the worker. That process's session
 * check ends it once the account is closed or the settings are gone; the part waits for that, so
 * that media does not remove a channel under a running stream, and fails (the job is tried again)
 * when it does not come (that process hung: its next start ends what it left).
 */
async function endLiveOf(ctx: NodeContext, live: LiveService, user: User): Promise<void> {
  await takeBackUnopenedLinks(ctx, user);
  const channels = await ctx.services.media.channelsOwnedBy(user.id);
  if (!channels.length) return;
  const ids = channels.map((c) => c.id);
  let elsewhere = await live.endForDeletionOf(ids);
  await execute(ctx.db, 'DELETE FROM live_channels WHERE channel_id IN (:ids)', { ids });
  const until = Date.now() + waitElsewhereMs;
  while (elsewhere.length) {
    if (Date.now() > until) throw new Error(`a live stream of channel ${elsewhere.join(', ')} still runs in another process of the node; tried again later`);
    await new Promise((r) => setTimeout(r, 500));
    elsewhere = await live.endForDeletionOf(elsewhere);
  }
}

/**
 * The watch links the user funded from their wallet that no one opened: their credit returns to
 * the wallet (kept there like the rest of the balance). Money's release moves what is left, once,
 * so running again moves nothing more. Links funded by the node, and opened links (their guest's
 * credit), stay as they are.
 */
async function takeBackUnopenedLinks(ctx: NodeContext, user: User): Promise<void> {
  const links = await select<{ code: string }>(
    ctx.db,
    "SELECT code FROM live_watch_links WHERE creator_id = :userId AND funded_from = 'wallet' AND guest_id IS NULL ORDER BY created_at",
    { userId: user.id },
  );
  for (const l of links) await ctx.services.money.live.releaseWatchLink(l.code, user.id);
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
