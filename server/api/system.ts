// Health, metrics, the job queues and the API description: the routes every operator expects.
import { Router } from 'express';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { route } from '../http/errors.js';
import { isPublic, requireRole } from '../accounts/middleware.js';
import { bearer, json, problem, type OpenApiFragment } from './openapi-types.js';

const jobsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export function systemRoutes(ctx: NodeContext, openapi: () => unknown): Router {
  const r = Router();
  r.get(
    '/healthz',
    isPublic,
    route(async (_req, res) => {
      const checks: Record<string, string> = {};
      try {
        await ctx.db.query('SELECT 1');
        checks.database = 'ok';
      } catch (err) {
        checks.database = `error: ${(err as Error).message}`;
      }
      try {
        checks.redis = (await ctx.redis.ping()) === 'PONG' ? 'ok' : 'error';
      } catch (err) {
        checks.redis = `error: ${(err as Error).message}`;
      }
      const ok = Object.values(checks).every((v) => v === 'ok');
      res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', node: ctx.config.nodeName, role: ctx.config.role, checks });
    }),
  );
  r.get(
    '/metrics',
    isPublic,
    route(async (_req, res) => {
      res.set('Content-Type', ctx.metrics.contentType).send(await ctx.metrics.metrics());
    }),
  );
  // A job that failed for good (its track gone, a month not closed) is listed here with its
  // error, not only in the logs.
  r.get(
    '/api/v1/admin/jobs',
    requireRole('admin'),
    route(async (req, res) => {
      const { limit } = jobsQuery.parse(req.query);
      res.json(await ctx.jobs.overview(limit));
    }),
  );
  r.get('/api/openapi.json', isPublic, (_req, res) => {
    res.json(openapi());
  });
  return r;
}

export const systemOpenApi: OpenApiFragment = {
  tags: [{ name: 'system', description: 'Health, metrics and this description' }],
  paths: {
    '/healthz': {
      get: {
        tags: ['system'],
        summary: 'Liveness and readiness: database and Redis',
        responses: {
          200: json('Healthy', { type: 'object', properties: { status: { const: 'ok' }, checks: { type: 'object' } } }),
          503: json('A dependency is down', { type: 'object' }),
        },
      },
    },
    '/metrics': { get: { tags: ['system'], summary: 'Prometheus metrics', responses: { 200: { description: 'Text exposition format', content: { 'text/plain': {} } } } } },
    '/api/v1/admin/jobs': {
      get: {
        tags: ['system'],
        security: bearer,
        summary: "The node's job queues (admins): counts per queue and the latest failed jobs with their error",
        parameters: [{ name: 'limit', in: 'query', description: 'How many failed jobs (newest first), 1-100', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }],
        responses: {
          200: json('Queues and failed jobs', {
            type: 'object',
            required: ['prefix', 'queues', 'failed'],
            properties: {
              prefix: { type: 'string', description: "The node's Redis prefix" },
              queues: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    counts: { type: 'object', description: 'waiting, active, delayed, prioritized, waiting-children, completed, failed', additionalProperties: { type: 'integer' } },
                  },
                },
              },
              failed: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    queue: { type: 'string' },
                    id: { type: 'string' },
                    kind: { type: 'string', description: 'The job kind, e.g. media.transcode' },
                    data: { type: 'object' },
                    error: { type: 'string' },
                    attempts: { type: 'integer' },
                    failedAt: { type: ['string', 'null'], format: 'date-time' },
                  },
                },
              },
            },
          }),
          400: problem('Invalid limit'),
          401: problem('Not signed in'),
          403: problem('Not an admin'),
        },
      },
    },
    '/api/openapi.json': { get: { tags: ['system'], summary: 'This OpenAPI 3.1 description', responses: { 200: json('OpenAPI document', { type: 'object' }) } } },
  },
};
