// live: RTMP ingest (in-process, keys checked before any ffmpeg), live HLS with an audio-only
// rendition, segments hashed as written, health and guards, viewers and tip alerts, Stream
// announcements and replays. See docs/live.md.
import { serviceSlot, type Capability } from '../context.js';
import { LiveService } from './service.js';
import { liveRoutes } from './routes.js';
import { liveOpenApi } from './openapi.js';
import { liveFastPath } from './fast-segments.js';
import { registerLiveAccountData } from './account-data.js';

export { LiveService } from './service.js';
export type { LiveApi, LiveStreamView, LiveDirectory, ChannelLiveView } from './contract.js';

const slot = serviceSlot<LiveService>('live');

/** The live service itself, for live's routes and tests (others use `ctx.services.live`). */
export const liveService = slot.get;

export const liveCapability: Capability = {
  name: 'live',
  init(ctx) {
    const live = new LiveService(ctx);
    slot.publish(ctx, live);
    registerLiveAccountData(ctx, live);
    ctx.events.on('account.standing', async ({ userId, suspended, silenced }) => {
      if (suspended || silenced) await live.endStreamsOf(userId);
    });
  },
  routes: (ctx) => liveRoutes(ctx, liveService(ctx)),
  openapi: liveOpenApi,
  fastPath: (ctx, tools) => liveFastPath(ctx, liveService(ctx), tools),
  async start(ctx) {
    // The ingest runs where the web role runs: it serves what it ingests from memory first.
    if (ctx.config.role === 'worker') return;
    await liveService(ctx).start();
  },
  async stop(ctx) {
    if (ctx.config.role === 'worker') return;
    await liveService(ctx).stop();
  },
};
