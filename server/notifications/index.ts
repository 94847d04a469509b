// notifications: mail through SMTP (nodemailer, queued in BullMQ and retried; off when no SMTP
// is configured) and in-app notifications (the bell), each kind of which a user can turn off
// for mail. Capabilities tell users things through the `user.notify` domain event.
import { serviceSlot, type Capability } from '../context.js';
import { Router } from 'express';
import { NotificationsService } from './service.js';
import { inboxOpenApi, inboxRoutes, registerInbox } from './inbox/index.js';
import { mailOpenApi, mailRoutes } from './mail/index.js';

export { NotificationsService } from './service.js';
export type { NotificationsApi } from './contract.js';

const slot = serviceSlot<NotificationsService>('notifications');

/** The notifications service itself, for its routes, jobs and tests (others use `ctx.services.notifications`). */
export const notificationsService = slot.get;

export const notificationsCapability: Capability = {
  name: 'notifications',
  init(ctx) {
    const svc = new NotificationsService(ctx);
    slot.publish(ctx, svc);
    registerInbox(ctx, svc);
  },
  routes: (ctx) => Router().use(inboxRoutes(ctx), mailRoutes(ctx, notificationsService(ctx).mailer)),
  start: (ctx) => notificationsService(ctx).mailer.start(),
  stop: (ctx) => notificationsService(ctx).mailer.stop(),
  openapi: {
    paths: { ...inboxOpenApi.paths, ...mailOpenApi.paths },
    schemas: { ...inboxOpenApi.schemas, ...mailOpenApi.schemas },
    tags: [...(inboxOpenApi.tags ?? []), ...(mailOpenApi.tags ?? [])],
  },
};
