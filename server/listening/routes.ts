// Listening routes: play sessions and progress (listeners), statistics (artists), flags
// and reports (admins). Thin: validate, call the service, shape the reply.
import { Router } from 'express';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { route } from '../http/errors.js';
import { requireRole, requireUser } from '../accounts/middleware.js';
import { monthSchema } from '../http/month.js';
import { monthOf } from '../../shared/month.js';
import type { ListeningService } from './service.js';
import { progressSchema } from './plays.js';
import { storedReports } from './daily-report.js';

const startPlay = z.object({ trackId: z.string().min(1).max(200) });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD');
const flagQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(['counted', 'held', 'rejected']).optional(),
});

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
/** Today (YYYY-MM-DD) in the node's time zone. */
const todayIn = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

export function listeningRoutes(ctx: NodeContext, svc: ListeningService): Router {
  const r = Router();

  r.post(
    '/api/v1/plays',
    requireUser,
    route(async (req, res) => {
      const { trackId } = startPlay.parse(req.body ?? {});
      const play = await svc.startPlay(req.user!, trackId, { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null });
      res.status(201).json({ ...play, header: 'X-Play-Session' });
    }),
  );

  r.post(
    '/api/v1/plays/:sessionId/progress',
    requireUser,
    route(async (req, res) => {
      const progress = progressSchema.parse(req.body ?? {});
      res.json(await svc.reportProgress(req.user!.id, req.params.sessionId, progress));
    }),
  );

  r.get(
    '/api/v1/me/listens',
    requireUser,
    route(async (req, res) => {
      const q = z.object({ month: monthSchema.optional() }).parse(req.query);
      res.json(await svc.myListening(req.user!.id, q.month ?? monthOf(new Date(), ctx.config.money.timeZone)));
    }),
  );

  r.get(
    '/api/v1/me/stats',
    requireRole('artist'),
    route(async (req, res) => {
      const q = z.object({ from: day.optional(), to: day.optional() }).parse(req.query);
      const to = q.to ?? todayIn(ctx.config.money.timeZone);
      const from = q.from ?? isoDay(new Date(Date.parse(to) - 29 * 86_400_000));
      res.json(await svc.artistStats(req.user!.id, { from, to }));
    }),
  );

  r.get(
    '/api/v1/admin/listening/flags',
    requireRole('admin'),
    route(async (req, res) => {
      res.json(await svc.listFlags(flagQuery.parse(req.query)));
    }),
  );

  r.get(
    '/api/v1/admin/listening/reports',
    requireRole('admin', 'auditor'),
    route(async (_req, res) => {
      res.json({ items: await storedReports(ctx) });
    }),
  );

  return r;
}
