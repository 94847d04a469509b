// Investment campaigns: artists open and cancel them on their channel; fans pledge; anyone reads them.
import { Router } from 'express';
import { z } from 'zod';
import { route } from '../http/errors.js';
import { isPublic, requireRole, requireUser } from '../accounts/middleware.js';
import type { Campaigns } from './campaigns.js';
import { idempotencyKey } from './idempotency-key.js';

const newCampaign = z
  .object({
    title: z.string().min(1).max(200),
    description: z.string().max(5000).optional(),
    goal: z.number().int(),
    minPledge: z.number().int(),
    deadline: z.string().max(64),
    shareBasisPoints: z.number().int(),
    capMultiple: z.number(),
    currency: z.string().optional(),
  })
  .strict();

const pledgeBody = z.object({ amount: z.number().int() }).strict();


export function campaignRoutes(campaigns: Campaigns): Router {
  const r = Router();
  r.post(
    '/api/v1/channels/:channel/campaigns',
    requireRole('artist'),
    route(async (req, res) => {
      const { campaign, created } = await campaigns.create(req.user!, req.params.channel, newCampaign.parse(req.body ?? {}), idempotencyKey(req));
      res.status(created ? 201 : 200).json(campaign);
    }),
  );
  r.get('/api/v1/channels/:channel/campaigns', isPublic, route(async (req, res) => void res.json(await campaigns.listByChannel(req.params.channel))));
  r.get('/api/v1/campaigns/:id', isPublic, route(async (req, res) => void res.json(await campaigns.get(req.params.id))));
  r.post(
    '/api/v1/campaigns/:id/pledges',
    requireUser,
    route(async (req, res) => {
      const { pledge, created } = await campaigns.pledge(req.user!, req.params.id, pledgeBody.parse(req.body ?? {}).amount, idempotencyKey(req));
      res.status(created ? 201 : 200).json(pledge);
    }),
  );
  r.post('/api/v1/campaigns/:id/cancel', requireUser, route(async (req, res) => void res.json(await campaigns.cancel(req.user!, req.params.id))));
  r.get('/api/v1/me/investments', requireUser, route(async (req, res) => void res.json(await campaigns.investmentsOf(req.user!.id))));
  r.get(
    '/api/v1/me/investments/history',
    requireUser,
    route(async (req, res) => {
      const q = z.object({ campaign: z.string().max(64).optional() }).parse(req.query);
      res.json(await campaigns.repaymentsOf(req.user!.id, q.campaign));
    }),
  );
  r.get('/api/v1/me/pledges', requireUser, route(async (req, res) => void res.json(await campaigns.pledgesOf(req.user!.id))));
  return r;
}
