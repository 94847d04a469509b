// The `disputes` config section: its schema and defaults, owned here and composed into the
// node's schema by server/config/schema.ts (read as `ctx.config.disputes`).
import { z } from 'zod';

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
