// The node's configuration: one typed schema, validated once at start.
import { z } from 'zod';
import { listeningConfigSchema } from '../listening/config.js';
import { disputesConfigSchema } from '../disputes/config.js';

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
  redisPrefix: z.string().min(1).regex(/^[A-Za-z0-9:_-]+$/),
  role: z.enum(['all', 'web', 'worker']),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  nodeName: z.string().min(1).max(100),
  trustProxy: z.boolean(),
  uploads: z.object({
    maxFileBytes: z.number().int().positive(),
    chunkBytes: z.number().int().positive(),
    maxBodyBytes: z.number().int().positive(),
  }),
  media: z.object({
    audioBitratesKbps: z.array(z.number().int().min(16).max(512)).min(1),
    videoHeights: z.array(z.number().int().min(144).max(4320)).min(1),
    segmentSeconds: z.number().int().min(1).max(10),
    transcodeConcurrency: z.number().int().min(1).max(16),
    waveformPeaks: z.number().int().min(50).max(10000),
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
  }),
  federation: z.object({
    allowPrivateAddresses: z.boolean(),
    cluster: z.string().min(1),
    organisation: z.string().min(1),
    deliveryConcurrency: z.number().int().min(1).max(1000),
    maxInboxBytes: z.number().int().positive(),
    signatureWindowSeconds: z.number().int().positive(),
    inboxRateLimitPerMinute: z.number().int().positive().default(1200),
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
