// Health, metrics, the job queues, the admin's view of the machine and the API description:
// the routes every operator expects.
import { Router } from 'express';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { conflict, notFound, route, unauthorized } from '../http/errors.js';
import { accessCheck, isPublic, requireRole } from '../accounts/middleware.js';
import type { JobAction } from '../jobs/index.js';
import { bearer, dateTime, fields, int, json, nullable, orNull, pathParam, problem, ref, str, type OpenApiFragment } from './openapi-types.js';
import { machineView, registerMachineMetrics } from './machine.js';
import { bearerMatches, metricsConfig } from './metrics-config.js';

const jobsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const overviewQuery = jobsQuery.extend({ kinds: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true') });

/**
 * /metrics: public while config `metrics.token` is unset (its gauges then name no remote host);
 * once set, only `Authorization: Bearer <token>` reads it (Prometheus' `authorization` setting).
 */
function metricsAccess(ctx: NodeContext) {
  return accessCheck('metrics token, when set', (req, res, next) => {
    const { token } = metricsConfig(ctx);
    if (token === null || bearerMatches(req.headers.authorization, token)) return next();
    res.set('WWW-Authenticate', 'Bearer');
    next(unauthorized('This node\'s metrics need its metrics token (Authorization: Bearer)'));
  });
}

/** A retry or removal as HTTP: 404 for a job this node does not have, 409 for one in the wrong state. */
function answerJobAction(action: JobAction, what: 'retried' | 'removed'): void {
  if (action.outcome === 'unknown') throw notFound('Job');
  if (action.outcome === 'refused') {
    throw what === 'retried'
      ? conflict('job_not_failed', `Only a failed job can be retried; this one is ${action.state}`)
      : conflict('job_running', `A running job cannot be removed; wait for it to finish or fail (it is ${action.state})`);
  }
}

export function systemRoutes(ctx: NodeContext, openapi: () => unknown): Router {
  registerMachineMetrics(ctx);
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
    metricsAccess(ctx),
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
      const { limit, kinds } = overviewQuery.parse(req.query);
      res.set('Cache-Control', 'no-store').json(await ctx.jobs.overview(limit, undefined, { kinds }));
    }),
  );
  r.post(
    '/api/v1/admin/jobs/:queue/:id/retry',
    requireRole('admin'),
    route(async (req, res) => {
      const { queue, id } = req.params as { queue: string; id: string };
      answerJobAction(await ctx.jobs.retry(queue, id), 'retried');
      res.json({ queue, id, state: 'waiting' });
    }),
  );
  r.delete(
    '/api/v1/admin/jobs/:queue/:id',
    requireRole('admin'),
    route(async (req, res) => {
      const { queue, id } = req.params as { queue: string; id: string };
      answerJobAction(await ctx.jobs.remove(queue, id), 'removed');
      res.status(204).end();
    }),
  );
  r.get(
    '/api/v1/admin/machine',
    requireRole('admin'),
    route(async (req, res) => {
      const { limit } = jobsQuery.parse(req.query);
      res.set('Cache-Control', 'no-store').json(await machineView(ctx, limit));
    }),
  );
  r.get('/api/openapi.json', isPublic, (_req, res) => {
    res.json(openapi());
  });
  return r;
}

const failedLimit = { name: 'limit', in: 'query', description: 'How many failed jobs (newest first), 1-100', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } };
const jobParams = [pathParam('queue', str, 'The queue (one per capability: media, federation, money, ...)'), pathParam('id', str, 'The job id')];
const stateCounts = { type: 'object', description: 'Jobs per state: waiting, active, delayed, prioritized, waiting-children, completed, failed', additionalProperties: int };

const machineSchemas = {
  FailedJob: fields({
    queue: str,
    id: str,
    kind: { type: 'string', description: 'The job kind, e.g. media.transcode' },
    data: { type: 'object' },
    error: str,
    attempts: int,
    failedAt: nullable('string', { format: 'date-time' }),
  }),
  JobsOverview: fields({
    prefix: { type: 'string', description: "The node's Redis prefix" },
    queues: {
      type: 'array',
      items: fields({
        name: str,
        counts: stateCounts,
        kinds: {
          type: 'array',
          description: 'The same counts per job kind (from the newest 5000 jobs of each state); only with `kinds=1`',
          items: fields({ kind: str, counts: stateCounts }),
        },
      }, ['kinds']),
    },
    failed: { type: 'array', items: ref('FailedJob') },
  }),
  RunningJob: fields({
    queue: str,
    id: str,
    kind: str,
    data: { type: 'object' },
    attempts: int,
    progress: { description: 'What the job reported of its progress (a number or an object), or null' },
    createdAt: nullable('string', { format: 'date-time' }),
    startedAt: nullable('string', { format: 'date-time' }),
  }),
  MediaDiskUse: fields({
    kinds: {
      type: 'array',
      description: 'originals, renditions (the HLS ladder), progressive, torrents, covers, uploads (in progress), transcoding (work folders), other',
      items: fields({ kind: str, bytes: int, files: int }),
    },
    measuredAt: { ...dateTime, description: 'When the media folder was walked (kept for a minute)' },
  }),
  DeliveryHealth: fields({
    host: str,
    delivered24h: { type: 'integer', description: 'Delivered in the last 24 hours' },
    failed24h: { type: 'integer', description: 'Attempts that failed in the last 24 hours (each retry counts)' },
    pending: { type: 'integer', description: 'Deliveries still queued or waiting for a retry' },
    dead: { type: 'integer', description: 'Deliveries that ran out of retries in the last 7 days' },
    skipped: { type: 'integer', description: 'Deliveries not attempted in the last 7 days: the host failed five times in a row (or is blocked)' },
    lastSuccessAt: nullable('string', { format: 'date-time' }),
    lastFailureAt: nullable('string', { format: 'date-time' }),
    lastError: nullable('string'),
  }),
  MachineView: fields({
    measuredAt: dateTime,
    jobs: orNull(ref('JobsOverview'), 'The queues with their per-kind counts; null when Redis did not answer in time'),
    transcodes: fields({
      running: { type: 'array', items: ref('RunningJob') },
      waiting: int,
      delayed: int,
      failed: int,
    }, [], 'Transcodes in progress (the fair-share line per user: GET /api/v1/admin/media/transcodes)'),
    disk: orNull(ref('MediaDiskUse')),
    deliveries: orNull({ type: 'array', items: ref('DeliveryHealth') }, 'Per remote host, the most troubled first'),
    books: orNull(ref('BooksHealth')),
    problems: { type: 'array', items: fields({ part: str, error: str }) },
  }),
};

export const systemOpenApi: OpenApiFragment = {
  tags: [{ name: 'system', description: "Health, metrics, the job queues, the admin's view of the machine and this description" }],
  schemas: machineSchemas,
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
    '/metrics': {
      get: {
        tags: ['system'],
        summary: 'Prometheus metrics',
        description:
          'Public unless config `metrics.token` (METRICS_TOKEN) is set; then it takes `Authorization: Bearer <token>`, and only then do the delivery gauges name remote hosts.',
        responses: {
          200: { description: 'Text exposition format', content: { 'text/plain': {} } },
          401: problem('A metrics token is set and the request does not carry it'),
        },
      },
    },
    '/api/v1/admin/jobs': {
      get: {
        tags: ['system'],
        security: bearer,
        summary: "The node's job queues (admins): counts per queue (and per job kind when asked), and the latest failed jobs with their error",
        parameters: [
          failedLimit,
          { name: 'kinds', in: 'query', description: 'With 1, each queue also has `kinds`: its counts per job kind (reads every kept job)', schema: { type: 'string', enum: ['0', '1', 'true', 'false'], default: '0' } },
        ],
        responses: {
          200: json('Queues and failed jobs', ref('JobsOverview')),
          400: problem('Invalid limit'),
          401: problem('Not signed in'),
          403: problem('Not an admin'),
        },
      },
    },
    '/api/v1/admin/jobs/{queue}/{id}/retry': {
      post: {
        tags: ['system'],
        security: bearer,
        summary: 'Runs a failed job again, with its full number of attempts (admins)',
        description:
          'A failed `media.transcode` puts its track back in line to be transcoded from its original (the failed job is removed: the track gets a new one); a failed `federation.process` puts its incoming activity back to received. Other kinds simply run again.',
        parameters: jobParams,
        responses: {
          200: json('Queued again', fields({ queue: str, id: str, state: { const: 'waiting' } })),
          401: problem('Not signed in'),
          403: problem('Not an admin'),
          404: problem('No such queue or job (or it was removed meanwhile)'),
          409: problem(
            'The job has not failed (`job_not_failed`), or its subject moved on: a transcode whose track is gone (`job_subject_gone`), was transcoded since (`job_superseded`), or lost its original (`original_missing`)',
          ),
          422: problem("A transcode's original is over this node's limits now"),
        },
      },
    },
    '/api/v1/admin/jobs/{queue}/{id}': {
      delete: {
        tags: ['system'],
        security: bearer,
        summary: 'Removes a job that is not running: waiting, delayed, failed or completed (admins)',
        parameters: jobParams,
        responses: {
          204: { description: 'Removed' },
          401: problem('Not signed in'),
          403: problem('Not an admin'),
          404: problem('No such queue or job (or it was removed meanwhile)'),
          409: problem('The job is running (`job_running`)'),
        },
      },
    },
    '/api/v1/admin/machine': {
      get: {
        tags: ['system'],
        security: bearer,
        summary: "The admin's view of the machine: queues, transcodes in progress, media disk use, federation delivery health per host, the books' health",
        description: 'A part that cannot be read is null and named in `problems`; the others still answer. The same figures are Prometheus gauges on /metrics.',
        parameters: [failedLimit],
        responses: {
          200: json('The machine', ref('MachineView')),
          400: problem('Invalid limit'),
          401: problem('Not signed in'),
          403: problem('Not an admin'),
        },
      },
    },
    '/api/openapi.json': { get: { tags: ['system'], summary: 'This OpenAPI 3.1 description', responses: { 200: json('OpenAPI document', { type: 'object' }) } } },
  },
};
