// The apps capability's service: the stores and limits its two doors share (Subsonic at /rest,
// ListenBrainz at /1). Apps calls the other capabilities' contracts; nobody calls apps.
import type { NodeContext } from '../context.js';
import type { AppsApi } from './contract.js';
import { AppsStore } from './store.js';
import { AppDoorLimits } from './limits.js';

export class AppsService implements AppsApi {
  readonly store: AppsStore;
  readonly limits: AppDoorLimits;

  constructor(readonly ctx: NodeContext) {
    this.store = new AppsStore(ctx.db);
    this.limits = new AppDoorLimits(ctx.config.auth.throttle.ipv6PrefixLength);
  }
}
