// feeds: what podcast apps and other sites read of this node: RSS per channel and playlist
// (Podcasting 2.0), oEmbed and the embeddable player pages (docs/feeds.md).
import { serviceSlot, type Capability } from '../context.js';
import { FeedsService } from './service.js';
import { feedsRoutes } from './routes.js';
import { feedsOpenApi } from './openapi.js';

export { FeedsService } from './service.js';
export type { FeedsApi } from './contract.js';

const slot = serviceSlot<FeedsService>('feeds');

/** The feeds service itself, for its routes and tests (others use `ctx.services.feeds`). */
export const feedsService = slot.get;

export const feedsCapability: Capability = {
  name: 'feeds',
  init(ctx) {
    slot.publish(ctx, new FeedsService(ctx));
  },
  routes: (ctx) => feedsRoutes(ctx, slot.get(ctx)),
  openapi: feedsOpenApi,
};
