// The ledger's own view of its configuration. `config.ledger` in the node schema has
// `engine` and `fabric`; the keys below are read defensively until the node schema
// carries them (see docs/ledger.md), with environment variables as a fallback.
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { fabricConfigSchema } from '../config/schema.js';

export const ledgerConfigSchema = z.object({
  engine: z.enum(['embedded', 'fabric']),
  /** The ledger's own database (embedded engine). Null: the node's own database. Several
   * nodes pointing at one ledger database share one ledger, as a Fabric channel would. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').nullable(),
  /** The MSP id the embedded engine signs with (default: the node's organisation). */
  mspId: z.string().min(1),
  channel: z.string().min(1),
  /** Attempts for an MVCC conflict in a direct `submit` before giving up. */
  mvccRetries: z.number().int().min(0).max(20),
  fabric: fabricConfigSchema.nullable(),
});

export type LedgerConfig = z.infer<typeof ledgerConfigSchema>;

export function ledgerConfigOf(config: Config, overrides: Partial<LedgerConfig> = {}, env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const raw = config.ledger as Record<string, unknown> & Config['ledger'];
  const fabric = (overrides.fabric !== undefined ? overrides.fabric : raw.fabric) ?? null;
  return ledgerConfigSchema.parse({
    engine: overrides.engine ?? raw.engine,
    databaseUrl: overrides.databaseUrl ?? raw.databaseUrl ?? env.LEDGER_DATABASE_URL ?? null,
    mspId: overrides.mspId ?? raw.mspId ?? fabric?.mspId ?? config.federation.organisation,
    channel: overrides.channel ?? raw.channel ?? fabric?.channel ?? '9ten',
    mvccRetries: overrides.mvccRetries ?? raw.mvccRetries ?? 5,
    fabric,
  });
}
