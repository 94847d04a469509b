// The `disputes` config section: schema and defaults. The node's config schema
// (server/config/schema.ts) can embed `disputesConfigSchema`; until it does, the section
// is read defensively from the loaded config and defaults fill the gaps.
import { z } from 'zod';
import type { NodeContext } from '../context.js';

export const disputesConfigSchema = z.object({
  /** Open a dispute by itself when an artist's held money for a month exceeds `autoOpenAmount`. */
  autoOpen: z.boolean().default(true),
  /** Held money (minor units) for one artist and month above which a dispute opens by itself. */
  autoOpenAmount: z.number().int().min(0).default(500),
  /** Days each reviewer has to vote before the ledger lets the seat be given to the next node. */
  reviewDeadlineDays: z.number().int().min(1).max(90).default(7),
  /** What a `void` outcome does with held money. `refund`: back to the listener's wallet. */
  voidPolicy: z.enum(['refund']).default('refund'),
  /** How often the worker looks at open disputes (notify, replace late reviewers, apply outcomes). */
  tickSeconds: z.number().min(0.2).max(86_400).default(60),
  /** How long a vote request waits for the ledger to record the vote before answering 202. */
  voteWaitMs: z.number().int().min(0).max(120_000).default(15_000),
  /** Longest free-text reason an opener or a reviewer may give. */
  maxReasonLength: z.number().int().min(10).max(4096).default(2000),
});

export type DisputesConfig = z.infer<typeof disputesConfigSchema>;

const cache = new WeakMap<object, DisputesConfig>();
const defaults = disputesConfigSchema.parse({});

/** The disputes settings of a node (re-read when the config object's section is replaced). */
export function disputesConfig(ctx: NodeContext): DisputesConfig {
  const raw = (ctx.config as unknown as { disputes?: unknown }).disputes;
  if (raw === undefined || raw === null || typeof raw !== 'object') return defaults;
  let parsed = cache.get(raw);
  if (!parsed) {
    parsed = disputesConfigSchema.parse(raw);
    cache.set(raw, parsed);
  }
  return parsed;
}
