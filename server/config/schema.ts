// The node's configuration: one typed schema, validated once at start.
import { z } from 'zod';

const url = z.string().url();

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
  }),
  money: z.object({
    currency: z.string().regex(/^[A-Z]{3,5}$/, 'must be an upper-case currency code such as USD'),
    subscriptionAmount: z.number().int().positive(),
    nodeFeeAmount: z.number().int().nonnegative(),
    noListeningPolicy: z.enum(['rollover', 'node', 'refund']),
    payoutDay: z.number().int().min(1).max(28),
    timeZone: z.string().min(1),
    graceDays: z.number().int().min(0).max(28),
  }).refine((m) => m.nodeFeeAmount <= m.subscriptionAmount, 'nodeFeeAmount cannot exceed subscriptionAmount'),
  ledger: z.object({
    engine: z.enum(['embedded', 'fabric']),
    fabric: z.object({
      endpoint: z.string().min(1),
      tlsRootCertPath: z.string().nullable().optional(),
      hostAlias: z.string().optional(),
      mspId: z.string().min(1),
      certPath: z.string().min(1),
      keyPath: z.string().min(1),
      channel: z.string().min(1),
      chaincode: z.string().min(1),
    }).nullable(),
  }),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
