// The `ledger` config section: its schema (composed into the node's by server/config/schema.ts;
// LEDGER_* environment variables are mapped in server/config/index.ts) and the settings the
// ledger runs with, resolved from the section and the capability's options (tests pass a
// shared database or an engine).
import { z } from 'zod';
import type { Config } from '../config/index.js';

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

export const ledgerSectionSchema = z.object({
  engine: z.enum(['embedded', 'fabric']),
  /** The embedded ledger's own database; null: the node's database. Nodes sharing one share a ledger. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').nullable().default(null),
  /** The MSP id this node signs ledger transactions with (default: federation.organisation). */
  mspId: z.string().min(1).optional(),
  channel: z.string().min(1).default('9ten'),
  mvccRetries: z.number().int().min(0).max(20).default(5),
  fabric: fabricConfigSchema.nullable(),
});

/** The settings the ledger runs with: the section with every default resolved. */
export const ledgerConfigSchema = z.object({
  engine: z.enum(['embedded', 'fabric']),
  /** The ledger's own database (embedded engine). Null: the node's own database. Several
   * nodes pointing at one ledger database share one ledger, as a Fabric channel would. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').nullable(),
  /** The MSP id the node signs with (default: the Fabric identity's, else the node's organisation). */
  mspId: z.string().min(1),
  channel: z.string().min(1),
  /** Attempts for an MVCC conflict in a direct `submit` before giving up. */
  mvccRetries: z.number().int().min(0).max(20),
  fabric: fabricConfigSchema.nullable(),
});

export type LedgerConfig = z.infer<typeof ledgerConfigSchema>;

/** The ledger's settings: the section, the capability's overrides on top (checked too), defaults filled in. */
export function ledgerConfigOf(config: Config, overrides: Partial<LedgerConfig> = {}): LedgerConfig {
  const section = config.ledger;
  const fabric = (overrides.fabric !== undefined ? overrides.fabric : section.fabric) ?? null;
  return ledgerConfigSchema.parse({
    engine: overrides.engine ?? section.engine,
    databaseUrl: overrides.databaseUrl ?? section.databaseUrl,
    mspId: overrides.mspId ?? section.mspId ?? fabric?.mspId ?? config.federation.organisation,
    channel: overrides.channel ?? section.channel,
    mvccRetries: overrides.mvccRetries ?? section.mvccRetries,
    fabric,
  });
}
