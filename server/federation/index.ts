// Federation: every 9ten node is an ActivityPub server (actors, WebFinger, NodeInfo,
// inbox/outbox, 9ten's vocabulary, delivery through the queue). See docs/federation.md.
import { Router } from 'express';
import { serviceSlot, type Capability, type NodeContext } from '../context.js';
import { execute } from '../db/index.js';
import { FederationRuntime } from './runtime.js';
import { FederationService } from './service.js';
import { registerBridge } from './bridge.js';
import { processInboxItem } from './process/process.js';
import { wellKnownRoutes } from './routes/well-known.js';
import { activityPubRoutes } from './routes/activitypub.js';
import { apiRoutes } from './routes/api.js';
import { federationOpenApi } from './openapi.js';
import { discoverOpenApi } from './discover-openapi.js';
import { announceMissingTips } from './send/send-tip.js';
import { registerFederationAccountData } from './account-data.js';
import { reopenFailedItem } from './inbox-sweep.js';

export { FederationService } from './service.js';
export type { ListenInput, StreamInput, SubscriptionInput } from './service.js';
export type { RemoteTrack } from './remote-tracks.js';
export { NS as federationNamespace } from './vocabulary.js';

export type { FederationApi, FlagReceiver, ReportReceiver, IncomingReport, OutgoingFlag, DeliveryHealth, RemoteObjectInfo } from './contract.js';

const slot = serviceSlot<FederationService>('federation');

/** The federation service itself, for federation's routes, jobs and tests (others use `ctx.services.federation`). */
export const federationService = slot.get;

const purgeTimers = new WeakMap<NodeContext, NodeJS.Timeout>();
const tipTimers = new WeakMap<NodeContext, NodeJS.Timeout>();

export const federationCapability: Capability = {
  name: 'federation',
  init(ctx) {
    const svc = new FederationService(new FederationRuntime(ctx));
    slot.publish(ctx, svc);
    registerFederationAccountData(ctx, svc);
    ctx.jobs.setConcurrency('federation', ctx.config.federation.deliveryConcurrency);
    ctx.jobs.handle('federation.deliver', (payload, job) => svc.delivery.deliver(payload, job));
    ctx.jobs.handle('federation.process', async (payload, job) => {
      try {
        return await processInboxItem(svc, payload.inboxItemId);
      } catch (err) {
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          await execute(ctx.db, `UPDATE federation_inbox_items SET state = 'failed', error = :e, processed_at = now() WHERE id = :id`, {
            id: payload.inboxItemId,
            e: String((err as Error).message ?? err).slice(0, 1000),
          });
        }
        throw err;
      }
    });
    // An admin's retry of a processing that failed for good: its item, marked failed above, is received again.
    ctx.jobs.onRetry('federation.process', async (payload) => {
      await reopenFailedItem(svc.rt, payload.inboxItemId);
      return 'retry';
    });
    // Every listener and channel gets an actor and keys when it is made. RSA-2048 generation
    // takes 0.1-0.7 s of CPU, so it runs in the background, one at a time, off the signup
    // path; anything that needs the actor sooner creates it on demand (same row, no race).
    ctx.services.accounts.onUserCreated(async (user) => {
      // A guest's name is a placeholder until they claim the account: its actor comes then.
      if (!user.guest) svc.actors.ensureInBackground('user', user.username, user.id);
    });
    ctx.services.accounts.onGuestClaimed(async (user) => {
      svc.actors.ensureInBackground('user', user.username, user.id);
    });
    ctx.services.media.onChannelCreated(async (channel) => {
      svc.actors.ensureInBackground('channel', channel.name, channel.id);
    });
    registerBridge(svc);
  },
  routes(ctx) {
    const svc = federationService(ctx);
    const r = Router();
    r.use(wellKnownRoutes(svc));
    r.use(activityPubRoutes(svc));
    r.use(apiRoutes(svc));
    return r;
  },
  openapi: {
    tags: [...(federationOpenApi.tags ?? []), ...(discoverOpenApi.tags ?? [])],
    paths: { ...federationOpenApi.paths, ...discoverOpenApi.paths },
    schemas: { ...federationOpenApi.schemas, ...discoverOpenApi.schemas },
  },
  async start(ctx) {
    const svc = federationService(ctx);
    await svc.actors.ensureInstance();
    // Expired replay guards and cached keys are swept every 10 minutes.
    // Copies of remote live streams that ended go with them.
    const purge = () => {
      void svc.rt.kv.purgeExpired().catch((err) => svc.rt.log.warn({ err }, 'kv purge failed'));
      void svc.remoteLive.sweep().catch((err) => svc.rt.log.warn({ err }, 'remote live copies sweep failed'));
    };
    purge();
    purgeTimers.set(ctx, setInterval(purge, 600_000).unref());
    if (ctx.config.role !== 'web') {
      // Tips whose announcement a crash lost: at start, then every 10 minutes.
      const announce = () => void announceMissingTips(svc).catch((err) => svc.rt.log.warn({ err }, 'tip announcement sweep failed'));
      announce();
      tipTimers.set(ctx, setInterval(announce, 600_000).unref());
    }
  },
  async stop(ctx) {
    clearInterval(purgeTimers.get(ctx));
    purgeTimers.delete(ctx);
    clearInterval(tipTimers.get(ctx));
    tipTimers.delete(ctx);
    await federationService(ctx).actors.settle();
  },
};
