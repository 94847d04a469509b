// Moderation's routes: reporting and my reports (signed-in users); the queue, actions, direct
// measures and the log (moderators and admins: requireRole('moderator') lets both through).
import { Router } from 'express';
import { z } from 'zod';
import { requireRole, requireUser } from '../accounts/middleware.js';
import { route } from '../http/errors.js';
import { categories, reportActions, targetKinds } from './model.js';
import type { ModerationService } from './service.js';

const httpUri = z.string().trim().max(2048).url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URI');
const note = z.string().trim().min(1, 'say why (the note is kept in the moderation log)').max(2000);

export const newReportSchema = z.object({
  target: z.union([z.object({ kind: z.enum(targetKinds), id: z.string().trim().min(1).max(200) }).strict(), z.object({ uri: httpUri }).strict()]),
  category: z.enum(categories),
  reason: z.string().trim().min(3, 'say what is wrong (at least 3 characters)').max(3000),
});

const paging = (max: number) => ({
  limit: z.coerce.number().int().min(1).max(max).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const queueQuery = z.object({ state: z.enum(['open', 'closed', 'all']).default('open'), ...paging(200) });
const logQuery = z.object({ reportId: z.string().uuid().optional(), target: z.string().max(2048).optional(), ...paging(200) });
const actionSchema = z.object({ action: z.enum(reportActions), note });
const hiddenSchema = z.object({ hidden: z.boolean(), note, reportId: z.string().uuid().optional() });
const standingSchema = z
  .object({ suspended: z.boolean().optional(), silenced: z.boolean().optional(), note, reportId: z.string().uuid().optional() })
  .refine((s) => s.suspended !== undefined || s.silenced !== undefined, 'give suspended, silenced or both');

export function moderationRoutes(svc: ModerationService): Router {
  const r = Router();
  const moderator = requireRole('moderator');

  r.post(
    '/api/v1/reports',
    requireUser,
    route(async (req, res) => {
      const { report, created } = await svc.report(req.user!, newReportSchema.parse(req.body ?? {}));
      res.status(created ? 201 : 200).json(report);
    }),
  );
  r.get(
    '/api/v1/me/reports',
    requireUser,
    route(async (req, res) => {
      const q = z.object(paging(200)).parse(req.query);
      res.set('Cache-Control', 'no-store').json(await svc.mine(req.user!.id, q.limit, q.offset));
    }),
  );

  r.get(
    '/api/v1/admin/moderation/reports',
    moderator,
    route(async (req, res) => {
      const q = queueQuery.parse(req.query);
      res.set('Cache-Control', 'no-store').json(await svc.queue(req.user!, q.state, q.limit, q.offset));
    }),
  );
  r.get(
    '/api/v1/admin/moderation/reports/:id',
    moderator,
    route(async (req, res) => {
      res.set('Cache-Control', 'no-store').json(await svc.detail(req.user!, req.params.id));
    }),
  );
  r.post(
    '/api/v1/admin/moderation/reports/:id/actions',
    moderator,
    route(async (req, res) => {
      const body = actionSchema.parse(req.body ?? {});
      res.json(await svc.act(req.user!, req.params.id, body.action, body.note));
    }),
  );
  r.put(
    '/api/v1/admin/moderation/tracks/:id/hidden',
    moderator,
    route(async (req, res) => {
      const body = hiddenSchema.parse(req.body ?? {});
      res.json(await svc.setTrackHidden(req.user!, req.params.id, body.hidden, body.note, body.reportId));
    }),
  );
  r.put(
    '/api/v1/admin/moderation/accounts/:id/standing',
    moderator,
    route(async (req, res) => {
      const { note: why, reportId, ...standing } = standingSchema.parse(req.body ?? {});
      res.json(await svc.setStanding(req.user!, req.params.id, standing, why, reportId));
    }),
  );
  r.get(
    '/api/v1/admin/moderation/log',
    moderator,
    route(async (req, res) => {
      res.set('Cache-Control', 'no-store').json(await svc.logPage(req.user!, logQuery.parse(req.query)));
    }),
  );
  return r;
}
