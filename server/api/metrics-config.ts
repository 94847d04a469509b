// The `metrics` config section: who may read /metrics and how fresh its gauges are
// (docs/admin-machine.md, "Metrics"). Composed into the node's schema by server/config/schema.ts;
// METRICS_TOKEN is mapped in server/config/index.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { NodeContext } from '../context.js';

export const metricsConfigSchema = z.object({
  /**
   * When set, /metrics answers only `Authorization: Bearer <token>` (Prometheus' `authorization`
   * setting) and names remote hosts in its gauges; when null it is public and sums them as "all".
   */
  token: z.string().min(16).max(512).nullable().default(null),
  /** How long a scrape's figures serve the next scrapes (the queues, disk, deliveries, books). */
  cacheSeconds: z.number().int().min(0).max(300).default(15),
});

export type MetricsConfig = z.infer<typeof metricsConfigSchema>;

/** The node's `metrics` section. */
export const metricsConfig = (ctx: NodeContext): MetricsConfig => ctx.config.metrics;

/** Whether an Authorization header carries the token, compared in constant time (digests of equal length). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/i.exec(header ?? '');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}
