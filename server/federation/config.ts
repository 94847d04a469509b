// The `federation` config section: its schema and defaults, owned here and composed into the
// node's schema by server/config/schema.ts (environment variables are mapped in server/config/index.ts).
import { z } from 'zod';

export const federationConfigSchema = z.object({
  allowPrivateAddresses: z.boolean(),
  cluster: z.string().min(1),
  organisation: z.string().min(1),
  deliveryConcurrency: z.number().int().min(1).max(1000),
  maxInboxBytes: z.number().int().positive(),
  signatureWindowSeconds: z.number().int().positive(),
  /** Verified posts per minute one remote origin may make to this node's inboxes. */
  inboxRateLimitPerMinute: z.number().int().positive().default(1200),
  /** Deadline for one fetch from another server (document, key, WebFinger), redirects and body included. */
  fetchTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Largest JSON document (ActivityPub object, key, WebFinger) read from another server: 2 MB or less. */
  maxDocumentBytes: z.number().int().min(65_536).max(2_000_000).default(2_000_000),
  /** Refused posts (unsigned, malformed, forged, replayed) per minute one client address may make before its posts are refused unread. */
  inboxFailuresPerMinutePerAddress: z.number().int().positive().default(300),
  /**
   * Another node's instance following this one (all of this node's public tracks then go to it):
   * `auto` accepts at once, as PeerTube does by default; `manual` waits for an admin.
   */
  instanceFollowers: z.enum(['auto', 'manual']).default('auto'),
  /** Lookups of a remote URL or @name@host (each may fetch from another server) per signed-in user per minute. */
  lookupsPerMinutePerUser: z.number().int().min(1).max(10_000).default(30),
  /**
   * Hosts of nodes trusted to relay this node's paid tracks (metered, subscribers'): their
   * caches may fetch the segments, signed by their instance actor, and they meter their own
   * listeners and owe the artists (docs/money.md). Empty: no node may.
   */
  meteredRelays: z
    .array(
      z
        .string()
        .min(1)
        .max(300)
        // As an admin may write it ("https://B.example/", "b.example:8443"): lower-case host[:port].
        .transform((h) => h.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '')),
    )
    .max(1000)
    .default([]),
});

export type FederationConfig = z.infer<typeof federationConfigSchema>;
