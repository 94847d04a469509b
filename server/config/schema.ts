// The node's configuration: one typed schema, validated once at start. The node-wide keys
// are here; each capability owns its section's schema in its own config.ts.
import { z } from 'zod';
import { authConfigSchema } from '../accounts/config.js';
import { uploadsConfigSchema, mediaConfigSchema } from '../media/config.js';
import { federationConfigSchema } from '../federation/config.js';
import { moneyConfigSchema } from '../money/config.js';
import { ledgerSectionSchema } from '../ledger/config.js';
import { listeningConfigSchema } from '../listening/config.js';
import { disputesConfigSchema } from '../disputes/config.js';
import { liveConfigSchema } from '../live/config.js';
import { feedsConfigSchema } from '../feeds/config.js';
import { mailConfigSchema } from '../notifications/mail/config.js';
import { metricsConfigSchema } from '../api/metrics-config.js';

const url = z.string().url();

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
  uploads: uploadsConfigSchema,
  media: mediaConfigSchema,
  auth: authConfigSchema,
  federation: federationConfigSchema,
  money: moneyConfigSchema,
  ledger: ledgerSectionSchema,
  listening: listeningConfigSchema.prefault({}),
  disputes: disputesConfigSchema.prefault({}),
  live: liveConfigSchema.prefault({}),
  feeds: feedsConfigSchema.prefault({}),
  mail: mailConfigSchema.prefault({}),
  /** Who may read /metrics and how long one reading of the machine's figures is reused (server/api/metrics-config.ts). */
  metrics: metricsConfigSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
