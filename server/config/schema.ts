// The node's configuration: one typed schema, validated once at start.
import { z } from 'zod';
import { listeningConfigSchema } from '../listening/config.js';
import { disputesConfigSchema } from '../disputes/config.js';
import { authThrottleSchema } from '../accounts/config.js';

const url = z.string().url();

export const fabricConfigSchema = z.object({
  endpoint: z.string().min(1),
  tlsRootCertPath: z.string().nullable().optional(),
  hostAlias: z.string().optional(),
  mspId: z.string().min(1),
  certPath: z.string().min(1),
  keyPath: z.string().min(1),
  channel: z.string().min(1),
  chaincode: z.string().min(1),
});

export const configSchema = z.object({
  port: z.number().int().min(0).max(65535),
  host: z.string().min(1),
  publicUrl: url.transform((u) => u.replace(/\/+$/, '')),
  dataDir: z.string().min(1),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').nullable(),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
  /** Prefix of the node's Redis keys and queues; null: `9ten:` and a hash naming the node's database (server/jobs/prefix.ts). */
  redisPrefix: z.string().min(1).regex(/^[A-Za-z0-9:_-]+$/).nullable(),
  role: z.enum(['all', 'web', 'worker']),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  nodeName: z.string().min(1).max(100),
  trustProxy: z.boolean(),
  uploads: z.object({
    maxFileBytes: z.number().int().positive(),
    chunkBytes: z.number().int().positive(),
    maxBodyBytes: z.number().int().positive(),
    /** Bytes of originals one user (a channel owner) may store, unfinished uploads included; admins override it per user. */
    quotaBytesPerUser: z.number().int().nonnegative().default(21_474_836_480),
    /** Tracks one user may have (unfinished uploads included); admins override it per user. */
    quotaTracksPerUser: z.number().int().nonnegative().default(5000),
    /** Unfinished uploads one user may have open at once (429 past it); admins override it per user. */
    maxConcurrentPerUser: z.number().int().positive().default(10),
  }),
  media: z.object({
    audioBitratesKbps: z.array(z.number().int().min(16).max(512)).min(1),
    videoHeights: z.array(z.number().int().min(144).max(4320)).min(1),
    segmentSeconds: z.number().int().min(1).max(10),
    transcodeConcurrency: z.number().int().min(1).max(16),
    waveformPeaks: z.number().int().min(50).max(10000),
    /** Longest source accepted (seconds): longer uploads are refused; ffmpeg never encodes more than this of any input. */
    maxDurationSeconds: z.number().positive().default(14_400),
    /** Largest video source accepted, in either orientation: long side ≤ maxSourceWidth, short side ≤ maxSourceHeight. */
    maxSourceWidth: z.number().int().positive().default(3840),
    maxSourceHeight: z.number().int().positive().default(2160),
    /** A transcode is killed after max(transcodeTimeoutMinSeconds, transcodeTimeoutFactor × source duration) of wall-clock time. */
    transcodeTimeoutFactor: z.number().positive().default(10),
    transcodeTimeoutMinSeconds: z.number().positive().default(300),
    /** Fair share: a user's tracks in the transcode queue at once (waiting or running); the rest wait in the node's own line. */
    maxQueuedTranscodesPerUser: z.number().int().min(1).default(2),
    /** How often a worker queues again processing tracks whose job is lost, and moves the fair-share line on. */
    sweepIntervalSeconds: z.number().positive().default(60),
    /** Seed every rendition over WebTorrent from the worker (env MEDIA_SEED=false turns it off). */
    seed: z.boolean().default(true),
    /**
     * The access log of an nginx in front of the node that serves public segments from disk
     * (`npm run nginx-site` writes its configuration; env MEDIA_FRONT_ACCESS_LOG). When set, the
     * node keeps media/public-streaming (links to public tracks' folders) for nginx and meters the
     * segments nginx served from this log. Null: the node serves and meters every segment itself.
     */
    frontAccessLog: z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path').nullable().default(null),
  }),
  auth: z.object({
    tokenTtlSeconds: z.number().int().positive(),
    openSignup: z.boolean(),
    /** Failed-login and sign-up limits (server/accounts/config.ts; docs/operations.md). */
    throttle: authThrottleSchema.prefault({}),
  }),
  federation: z.object({
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
  }),
  money: z.object({
    currency: z.string().regex(/^[A-Z]{3,5}$/, 'must be an upper-case currency code such as USD'),
    subscriptionAmount: z.number().int().positive(),
    nodeFeeAmount: z.number().int().nonnegative(),
    noListeningPolicy: z.enum(['rollover', 'node', 'refund']),
    payoutDay: z.number().int().min(1).max(28),
    timeZone: z.string().min(1),
    graceDays: z.number().int().min(0).max(28),
    /** Shared secret of the payment processor's signed webhook (env PAYMENT_WEBHOOK_SECRET); null disables the webhook. */
    webhookSecret: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
  }).refine((m) => m.nodeFeeAmount <= m.subscriptionAmount, 'nodeFeeAmount cannot exceed subscriptionAmount'),
  ledger: z.object({
    engine: z.enum(['embedded', 'fabric']),
    /** The embedded ledger's own database; null: the node's database. Nodes sharing one share a ledger. */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').nullable().default(null),
    /** The MSP id this node signs ledger transactions with (default: federation.organisation). */
    mspId: z.string().min(1).optional(),
    channel: z.string().min(1).default('9ten'),
    mvccRetries: z.number().int().min(0).max(20).default(5),
    fabric: fabricConfigSchema.nullable(),
  }),
  listening: listeningConfigSchema.prefault({}),
  disputes: disputesConfigSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
