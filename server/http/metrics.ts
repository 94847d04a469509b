// Request counts and latencies per route for Prometheus.
import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

const perRegistry = new WeakMap<Registry, RequestHandler>();

export function httpMetrics(registry: Registry): RequestHandler {
  const existing = perRegistry.get(registry);
  if (existing) return existing;
  const requests = new Counter({ name: 'nineten_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'nineten_http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const handler: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The matched route pattern, not the raw URL, keeps label cardinality bounded.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      end({ method: req.method, route });
    });
    next();
  };
  perRegistry.set(registry, handler);
  return handler;
}
