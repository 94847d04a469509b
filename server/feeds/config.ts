// The `feeds` config section: what the RSS feeds offer podcast apps beyond the tracks themselves.
import { z } from 'zod';

/** One recipient of a Podcasting 2.0 value block: a Lightning node (keysend) or a Lightning address. */
const valueRecipientSchema = z.object({
  name: z.string().min(1).max(128),
  type: z.enum(['node', 'lnaddress']),
  address: z.string().min(1).max(512),
  /** Shares of the payment (the recipients' splits are weighed against each other, as the spec says). */
  split: z.number().int().min(1).max(1_000_000),
  customKey: z.string().max(64).optional(),
  customValue: z.string().max(512).optional(),
  /** A fee recipient (taken off the top by apps that honour it). */
  fee: z.boolean().optional(),
});

export const feedsConfigSchema = z.object({
  /**
   * The `<podcast:value>` block of every feed, or null (the default): none. The node's money moves
   * on its own books (wallets, the ledger, the monthly split); a podcast app's value-for-value
   * payments go to a Lightning node or address instead, outside the books, so a block is only
   * offered when the operator runs such a recipient and says so here.
   */
  value: z
    .object({
      type: z.literal('lightning'),
      method: z.enum(['keysend', 'lnaddress']),
      /** Suggested amount per minute, in BTC (the spec's unit), e.g. "0.00000005000". */
      suggested: z.string().regex(/^\d+(\.\d+)?$/).optional(),
      recipients: z.array(valueRecipientSchema).min(1).max(32),
    })
    .nullable()
    .default(null),
  /** Items in one feed at most (the newest). */
  maxItems: z.number().int().min(1).max(1000).default(100),
});

export type FeedsConfig = z.infer<typeof feedsConfigSchema>;
export type ValueBlock = NonNullable<FeedsConfig['value']>;
