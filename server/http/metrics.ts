// Request counts and latencies per route for Prometheus.
import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface HttpMetrics {
  /** Express middleware: records every request when it finishes, by matched route pattern. */
  middleware: RequestHandler;
  /** Records a request answered outside Express (a fast path), under the route it stands for. */
  record(method: string, route: string, status: number, seconds: number): void;
}

const perRegistry = new WeakMap<Registry, HttpMetrics>();

/** The registry's metric of this name, made by `make` the first time (several services may share one registry). */
export function metricOnce<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function httpMetricsOf(registry: Registry): HttpMetrics {
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
  const record = (method: string, route: string, status: number, seconds: number) => {
    requests.inc({ method, route, status: String(status) });
    duration.observe({ method, route }, seconds);
  };
  const middleware: RequestHandler = (req, res, next) => {
    const startedAt = performance.now();
    res.on('finish', () => {
      // The matched route pattern, not the raw URL, keeps label cardinality bounded.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      record(req.method, route, res.statusCode, (performance.now() - startedAt) / 1000);
    });
    next();
  };
  const metrics = { middleware, record };
  perRegistry.set(registry, metrics);
  return metrics;
}
