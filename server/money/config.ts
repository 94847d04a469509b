// The `money` config section: its schema and defaults, owned here and composed into the
// node's schema by server/config/schema.ts (environment variables are mapped in server/config/index.ts).
import { z } from 'zod';

export const moneyConfigSchema = z.object({
  currency: z.string().regex(/^[A-Z]{3,5}$/, 'must be an upper-case currency code such as USD'),
  subscriptionAmount: z.number().int().positive(),
  nodeFeeAmount: z.number().int().nonnegative(),
  noListeningPolicy: z.enum(['rollover', 'node', 'refund']),
  payoutDay: z.number().int().min(1).max(28),
  timeZone: z.string().min(1),
  graceDays: z.number().int().min(0).max(28),
  /** Shared secret of the payment processor's signed webhook (env PAYMENT_WEBHOOK_SECRET); null disables the webhook. */
  webhookSecret: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
  /** The node's cut of each tip, in basis points (100 = 1 %); the artist gets the rest (env TIP_NODE_CUT_BP). */
  tipNodeCutBasisPoints: z.number().int().min(0).max(5000, 'the node keeps at most half of a tip').default(0),
  /** Offers for metered spans (POST /api/v1/metered/offers) one client network may ask per minute, per process. */
  meteredOffersPerMinute: z.number().int().positive().default(600),
  /** The node's cut of each metered purchase (pay-per-segment), in basis points; it serves the bytes (env METERED_NODE_CUT_BP). */
  meteredNodeCutBasisPoints: z.number().int().min(0).max(5000, 'the node keeps at most half of a purchase').default(1000),
  /** The node's cut of a funded investment campaign, in basis points (env CAMPAIGN_NODE_CUT_BP); none by default. */
  campaignNodeCutBasisPoints: z.number().int().min(0).max(5000, 'the node keeps at most half of a campaign').default(0),
}).refine((m) => m.nodeFeeAmount <= m.subscriptionAmount, 'nodeFeeAmount cannot exceed subscriptionAmount');

export type MoneyConfig = z.infer<typeof moneyConfigSchema>;
