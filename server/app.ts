// Builds the express app from the capabilities; no logic of its own.
import express, { type Express } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyaddr from 'proxy-addr';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { pinoHttp } from 'pino-http';
import type { Capability, FastPath, NodeContext } from './context.js';
import { problemHandler, notFoundHandler } from './http/errors.js';
import { httpMetricsOf } from './http/metrics.js';
import { authenticate } from './accounts/middleware.js';
import { systemRoutes, systemOpenApi } from './api/system.js';
import { buildOpenApi, fragmentsOf } from './api/openapi.js';
import { projectRoot } from './config/index.js';

export const apiVersion = '0.1.0';

/** Query parameters that carry credentials (Subsonic's apiKey, p, t, s; ListenBrainz's token). */
const SECRET_PARAMS = /([?&](?:apiKey|p|t|s|token)=)[^&]*/gi;

type LoggedRequest = { url?: string; headers?: Record<string, unknown>; query?: unknown };
const redacted = (v: unknown) => (typeof v === 'string' ? v.replace(SECRET_PARAMS, '$1[redacted]') : v);

/**
 * A request as the HTTP log records it: no credentials. Reset and verification links carry
 * their token in the query, and the page they open sends it on as the Referer of its assets.
 */
export function loggedRequest(req: LoggedRequest): LoggedRequest {
  return {
    ...req,
    url: redacted(req.url) as string | undefined,
    query: undefined,
    headers: req.headers && {
      ...req.headers,
      authorization: req.headers.authorization ? '[redacted]' : undefined,
      cookie: req.headers.cookie ? '[redacted]' : undefined,
      referer: redacted(req.headers.referer),
    },
  };
}

/** The node's OpenAPI description: the system routes' fragment and every capability's. */
export function openApiFor(caps: Capability[], publicUrl: string) {
  return buildOpenApi([systemOpenApi, ...fragmentsOf(caps)], publicUrl, apiVersion);
}

export function buildApp(ctx: NodeContext, caps: Capability[]): Express {
  const app = express();
  app.disable('x-powered-by');
  // trustProxy means one reverse proxy of the operator's own: trust exactly that hop, so req.ip
  // is the address the proxy saw (the last X-Forwarded-For entry); with `true` Express would take
  // the first entry, which the client writes itself. The fast paths below use the same setting.
  app.set('trust proxy', ctx.config.trustProxy ? 1 : false);
  app.use(httpMetricsOf(ctx.metrics).middleware);
  app.use(
    pinoHttp({
      logger: ctx.logger.child({ component: 'http' }),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      // Credentials never reach the logs: apps put API keys and Subsonic tokens in the query
      // (apiKey, p, t and s, ListenBrainz's token), clients put bearer tokens in headers.
      serializers: { req: loggedRequest },
      // A listener's play is dozens of segment GETs: successful ones log at debug, not info.
      customLogLevel: (req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : req.method === 'GET' && req.url?.startsWith('/static/') ? 'debug' : 'info',
    }),
  );
  // JSON bodies only for plain application/json: federation reads its own raw bodies.
  // The raw bytes are kept for signature checks (payment webhooks sign the exact body).
  app.use(
    express.json({
      limit: ctx.config.uploads.maxBodyBytes,
      type: ['application/json'],
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );
  // /metrics takes its own bearer token (config metrics.token, server/api/metrics-config.ts), never a user's.
  const userAuth = authenticate(ctx.services.accounts);
  app.use((req, res, next) => (req.path === '/metrics' ? next() : userAuth(req, res, next)));
  const openapi = openApiFor(caps, ctx.config.publicUrl);
  app.use(systemRoutes(ctx, () => openapi));
  // Media first: its segment route is the hot path (dozens of requests per play), and
  // every router in front of it costs each of those requests a little.
  const routeOrder = [...caps].sort((a, b) => Number(b.name === 'media') - Number(a.name === 'media'));
  for (const cap of routeOrder) if (cap.routes) app.use(cap.routes(ctx));
  const clientDist = path.join(projectRoot, 'client/dist');
  if (existsSync(clientDist)) {
    app.use(express.static(clientDist, { index: false, maxAge: '1h', setHeaders: (res, file) => void (file.endsWith('.html') && res.setHeader('Referrer-Policy', 'no-referrer')) }));
    app.get(/^\/(?!api\/|\.well-known\/|ap\/|static\/|tracker).*/, (req, res, next) => {
      if (!req.accepts('html')) return next();
      // The app's pages may hold a token in their URL (/reset-password?token=…): no Referer.
      res.set('Referrer-Policy', 'no-referrer').sendFile(path.join(clientDist, 'index.html'));
    });
  }
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}

/**
 * The node's HTTP handler: the capabilities' fast paths first (each answers or declines), then
 * the Express app.
 */
export function buildRequestHandler(ctx: NodeContext, caps: Capability[]): (req: IncomingMessage, res: ServerResponse) => void {
  const app = buildApp(ctx, caps);
  const trust = app.get('trust proxy fn') as (addr: string, i: number) => boolean;
  const metrics = httpMetricsOf(ctx.metrics);
  const tools = {
    clientIp: (req: IncomingMessage) => proxyaddr(req, trust),
    recordMetrics: metrics.record,
  };
  const fast: FastPath[] = caps.flatMap((c) => (c.fastPath ? [c.fastPath(ctx, tools)] : []));
  if (fast.length === 0) return app;
  return (req, res) => {
    for (const f of fast) if (f(req, res)) return;
    app(req, res);
  };
}
