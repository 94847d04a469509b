// In-app notifications (the bell) and each user's choice of what also comes by mail: the
// `user.notify` domain event becomes a notification row and, unless turned off, a mail.
// See docs/notifications.md.
import type { Router } from 'express';
import { perNode, type NodeContext } from '../../context.js';
import type { MailPort } from '../../accounts/contract.js';
import { userActorUri } from '../../../shared/actor-uris.js';
import { Inbox, kept } from './inbox.js';
import { inboxRouter } from './routes.js';

export { inboxOpenApi } from './openapi.js';
export { defaultPreferences, type Preferences } from './preferences.js';
export type { Inbox } from './inbox.js';

const inboxes = perNode<Inbox>('notifications inbox');

/** The inbox of a node (its routes and tests). */
export const inboxOf = inboxes.get;

/**
 * Listens to `user.notify` (in whichever process emits it: web or worker; a notification is
 * stored once per user and key, so both hearing the same news is one row and one mail),
 * prunes every hour (workers) and registers accounts' deletion and export parts.
 */
export function registerInbox(ctx: NodeContext, mail: MailPort): void {
  const inbox = new Inbox(ctx, mail);
  inboxes.set(ctx, inbox);
  ctx.events.on('user.notify', (n) => inbox.deliver(n));
  ctx.jobs.atWorkerStart('prune notifications', () => inbox.store.prune({ keep: kept.perUser, readDays: kept.readDays }), { everyMs: 3_600_000 });
  ctx.services.accounts.onUserDeleting(async (user) => {
    await inbox.store.forget(user.id);
    // The "follows you" notices others here got of this account name them: they go too.
    await inbox.store.forgetFollowsBy(userActorUri(ctx.config.publicUrl, user.username));
  });
  ctx.services.accounts.onExport({
    file: 'notifications.json',
    collect: async (user) => ({ settings: (await inbox.preferencesOf([user.id])).get(user.id), notifications: await inbox.store.allOf(user.id) }),
  });
}

export function inboxRoutes(ctx: NodeContext): Router {
  return inboxRouter(inboxOf(ctx));
}
