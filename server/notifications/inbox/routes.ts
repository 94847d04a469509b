// The signed-in user's notifications: the list (newest or unread first), the bell's count,
// marking read, and the per-kind choice of app and mail.
import { Router } from 'express';
import { z } from 'zod';
import { route } from '../../http/errors.js';
import { requireUser } from '../../accounts/middleware.js';
import type { Inbox } from './inbox.js';
import { preferencesChangeSchema, type Preferences } from './preferences.js';
import type { User } from '../../accounts/service.js';
import type * as api from '../../../shared/api/index.js';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  order: z.enum(['newest', 'unread']).default('newest'),
  unread: z.enum(['true', 'false']).default('false'),
});

const markReadBody = z.union([
  z.object({ ids: z.array(z.string().uuid()).min(1).max(500) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);

export function inboxRouter(inbox: Inbox): Router {
  const r = Router();

  r.get(
    '/api/v1/me/notifications',
    requireUser,
    route(async (req, res) => {
      const q = listQuery.parse(req.query);
      const userId = req.user!.id;
      const hidden = await inbox.hiddenKinds(userId);
      const page = await inbox.store.list(userId, { limit: q.limit, offset: q.offset, unreadOnly: q.unread === 'true', unreadFirst: q.order === 'unread', hidden });
      const body: api.InboxPage = { ...page, unread: await inbox.store.unread(userId, hidden) };
      res.json(body);
    }),
  );

  r.get(
    '/api/v1/me/notifications/unread-count',
    requireUser,
    route(async (req, res) => {
      const userId = req.user!.id;
      const body: api.UnreadCount = { unread: await inbox.store.unread(userId, await inbox.hiddenKinds(userId)) };
      // The bell polls this; it must not be served from a cache.
      res.set('Cache-Control', 'private, no-store').json(body);
    }),
  );

  r.post(
    '/api/v1/me/notifications/read',
    requireUser,
    route(async (req, res) => {
      const body = markReadBody.parse(req.body ?? {});
      const userId = req.user!.id;
      const hidden = await inbox.hiddenKinds(userId);
      const marked = await inbox.store.markRead(userId, 'all' in body ? 'all' : body.ids, hidden);
      const out: api.MarkedRead = { marked, unread: await inbox.store.unread(userId, hidden) };
      res.json(out);
    }),
  );

  const settings = (user: User, prefs: Preferences): api.NotificationSettings => ({
    mailEnabled: inbox.mailEnabled(),
    mailAddress: inbox.mailAddressOf(user),
    settings: prefs,
  });

  r.get(
    '/api/v1/me/notification-settings',
    requireUser,
    route(async (req, res) => {
      const user = req.user!;
      res.json(settings(user, (await inbox.preferencesOf([user.id])).get(user.id)!));
    }),
  );

  r.put(
    '/api/v1/me/notification-settings',
    requireUser,
    route(async (req, res) => {
      const user = req.user!;
      const change = preferencesChangeSchema.parse(req.body ?? {});
      res.json(settings(user, await inbox.changePreferences(user.id, change)));
    }),
  );

  return r;
}
