// moderation: reports from users and other servers (Flags), the queue moderators and admins
// work (dismiss, hide a track, suspend or silence an account, block an actor or a domain), the
// reporter told the outcome, reports forwarded as Flags, and a log of every action.
import { serviceSlot, type Capability } from '../context.js';
import { ModerationService } from './service.js';

export { ModerationService } from './service.js';
export type { ModerationApi } from './contract.js';

const slot = serviceSlot<ModerationService>('moderation');

/** The moderation service itself, for its routes and tests (others use `ctx.services.moderation`). */
export const moderationService = slot.get;

export const moderationCapability: Capability = {
  name: 'moderation',
  init(ctx) {
    slot.publish(ctx, new ModerationService(ctx));
  },
};
