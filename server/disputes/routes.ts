// Disputes routes: opening (artists, listeners, admins), a dispute's page, the parties'
// list, the admins' review queue and votes, and the dispute object reviewer nodes fetch.
import { Router } from 'express';
import { z } from 'zod';
import { forbidden, notFound, route } from '../http/errors.js';
import { monthSchema } from '../http/month.js';
import { isPublic, requireRole, requireUser } from '../accounts/middleware.js';
import type { DisputesService } from './service.js';
import type { OpenedBy } from './types.js';

export const openDisputeSchema = z.object({
  month: monthSchema,
  /** Open as: an artist contesting a payout, a listener asking where their money went, an admin. Default: by role. */
  as: z.enum(['artist', 'listener', 'admin']).optional(),
  artist: z.string().url().max(2000).optional(),
  listenerId: z.string().uuid().optional(),
  subject: z.enum(['reportRow', 'payout']).optional(),
  reason: z.string().max(4096).default(''),
});

export const voteSchema = z.object({
  decision: z.enum(['release', 'void']),
  reason: z.string().trim().min(3, 'give a reason for the vote').max(4096),
});

const queueQuery = z.object({
  state: z.enum(['pending', 'all']).default('pending'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const allowed: Record<string, OpenedBy[]> = {
  admin: ['admin', 'artist', 'listener'],
  // A moderator keeps an artist's rights (roles nest: moderator ⊇ artist ⊇ listener).
  moderator: ['artist', 'listener'],
  artist: ['artist', 'listener'],
  listener: ['listener'],
  auditor: [],
};

export function disputesRoutes(svc: DisputesService): Router {
  const r = Router();

  r.post(
    '/api/v1/disputes',
    requireUser,
    route(async (req, res) => {
      const body = openDisputeSchema.parse(req.body ?? {});
      const user = req.user!;
      const by = (body.as ?? (user.role === 'auditor' ? undefined : user.role === 'moderator' ? 'artist' : user.role)) as OpenedBy | undefined;
      if (!by || !allowed[user.role]?.includes(by)) throw forbidden('Your role cannot open that kind of dispute');
      if (by !== 'admin' && (body.listenerId || body.subject)) throw forbidden('Only admins name a listener or a subject type');
      const dispute = await svc.open({ by, month: body.month, artist: body.artist, listenerId: body.listenerId, subject: body.subject, reason: body.reason, user });
      res.status(201).json(dispute);
    }),
  );

  r.get(
    '/api/v1/disputes/:id',
    requireUser,
    route(async (req, res) => {
      const access = await svc.canSee(req.params.id, req.user!);
      if (!access) throw notFound('Dispute');
      const d = await svc.detail(req.params.id, { full: access === 'full' });
      if (!d) throw notFound('Dispute');
      res.json(d);
    }),
  );

  r.get(
    '/api/v1/me/disputes',
    requireUser,
    route(async (req, res) => {
      res.json({ items: await svc.mine(req.user!.id) });
    }),
  );

  r.get(
    '/api/v1/admin/disputes/reviews',
    requireRole('admin'),
    route(async (req, res) => {
      res.json(await svc.reviewQueue(queueQuery.parse(req.query)));
    }),
  );

  r.post(
    '/api/v1/admin/disputes/:id/vote',
    requireRole('admin'),
    route(async (req, res) => {
      const body = voteSchema.parse(req.body ?? {});
      const out = await svc.vote(req.params.id, req.user!, body);
      res.status(out.status === 'recorded' ? 200 : 202).json(out);
    }),
  );

  // The dispute object the Flag points at (no evidence; reviewers get that in the Flag).
  r.get(
    '/ap/disputes/:id',
    isPublic,
    route(async (req, res) => {
      const obj = await svc.apObject(req.params.id);
      if (!obj) throw notFound('Dispute');
      res.type('application/activity+json').send(JSON.stringify(obj));
    }),
  );

  return r;
}
