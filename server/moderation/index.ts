// moderation: reports from users and other servers (Flags), the queue moderators and admins
// work (dismiss, hide a track, suspend or silence an account, block an actor or a domain), the
// reporter told the outcome, reports forwarded as Flags, and a log of every action.
// See docs/moderation.md.
import { serviceSlot, type Capability } from '../context.js';
import { ModerationService } from './service.js';
import { moderationRoutes } from './routes.js';
import { moderationOpenApi } from './openapi.js';
import { EXPORT_MAX_ROWS } from '../accounts/lifecycle/export.js';

export { ModerationService } from './service.js';
export type { ModerationApi } from './contract.js';

const slot = serviceSlot<ModerationService>('moderation');

/** The moderation service itself, for its routes and tests (others use `ctx.services.moderation`). */
export const moderationService = slot.get;

export const moderationCapability: Capability = {
  name: 'moderation',
  init(ctx) {
    const svc = new ModerationService(ctx);
    slot.publish(ctx, svc);
    // What a user reported is theirs: it goes in their data export (the reports themselves stay
    // when the account is deleted: they are the moderators' record, under its tombstone name,
    // which replaces its names in them).
    ctx.services.accounts.onExport({ file: 'reports.json', collect: async (user) => (await svc.mine(user.id, EXPORT_MAX_ROWS, 0)).data });
    ctx.services.accounts.onUserDeleting((user) => svc.forgetAccount(user));
  },
  routes: (ctx) => moderationRoutes(moderationService(ctx)),
  openapi: moderationOpenApi,
};
