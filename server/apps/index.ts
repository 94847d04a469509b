// apps: the protocols listeners' apps already speak (Subsonic / OpenSubsonic at /rest/…,
// ListenBrainz listen submission at /1/…), on top of the other capabilities' contracts.
import { Router } from 'express';
import { serviceSlot, type Capability } from '../context.js';
import { AppsService } from './service.js';
import { subsonicRoutes } from './subsonic/routes.js';
import { listenBrainzRoutes } from './listenbrainz.js';
import { registerAppsAccountData } from './account-data.js';

export { AppsService } from './service.js';
export type { AppsApi } from './contract.js';

const slot = serviceSlot<AppsService>('apps');

/** The apps service itself, for its routes and tests (others use `ctx.services.apps`). */
export const appsService = slot.get;

export const appsCapability: Capability = {
  name: 'apps',
  init(ctx) {
    slot.publish(ctx, new AppsService(ctx));
    registerAppsAccountData(ctx);
  },
  routes(ctx) {
    const svc = appsService(ctx);
    const r = Router();
    r.use(subsonicRoutes(ctx, svc.store, svc.limits));
    r.use(listenBrainzRoutes(ctx, svc.limits));
    return r;
  },
};
