// In-app notifications (the bell) and each user's choice of what also comes by mail: the
// `user.notify` domain event becomes a notification row and, unless turned off, a mail.
// (Skeleton: filled in by issue 17's notifications work.)
import { Router } from 'express';
import type { NodeContext } from '../../context.js';
import type { OpenApiFragment } from '../../api/openapi-types.js';
import type { MailPort } from '../../accounts/contract.js';

/** Listens to `user.notify` (every role) and registers accounts' deletion and export parts. */
export function registerInbox(_ctx: NodeContext, _mail: MailPort): void {}

export function inboxRoutes(_ctx: NodeContext): Router {
  return Router();
}

export const inboxOpenApi: OpenApiFragment = { paths: {} };
