// Health, metrics and the API description: the routes every operator expects.
import { Router } from 'express';
import type { NodeContext } from '../context.js';
import { route } from '../http/errors.js';
import { isPublic } from '../accounts/middleware.js';
import { json, type OpenApiFragment } from './openapi-types.js';

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
    '/api/openapi.json': { get: { tags: ['system'], summary: 'This OpenAPI 3.1 description', responses: { 200: json('OpenAPI document', { type: 'object' }) } } },
  },
};
