// ledger: the chaincode client. One Ledger interface with two engines (embedded, the
// default, and fabric), the outbox that submits writes after the database commit, and
// the auditors' read-only API. See docs/ledger.md and docs/auditors.md.
import type { Sequelize } from 'sequelize';
import type { Capability, NodeContext } from '../context.js';
import { ledgerConfigOf, type LedgerConfig } from './config.js';
import { loadContracts, defaultContractsPath } from './contracts.js';
import { EmbeddedLedger, ledgerPool } from './embedded.js';
import { FabricLedger } from './fabric.js';
import { Outbox } from './outbox.js';
import { DefaultLedgerService } from './service.js';
import { ledgerRoutes } from './routes.js';
import { ledgerOpenApi } from './openapi.js';
import { setLedgerEngine } from './registry.js';
import type { Ledger, LedgerIdentity } from './types.js';
import type { IdempotentSubmitter } from './outbox.js';

export { ledgerService, type LedgerService } from './service.js';
export { LedgerError, type Ledger, type LedgerIdentity } from './types.js';
export { ledgerEngine } from './registry.js';

export interface LedgerCapabilityOptions {
  /** Overrides of the ledger configuration (tests: a shared `databaseUrl`, an engine). */
  config?: Partial<LedgerConfig>;
  /** The CommonJS module exporting `contracts` (default: chaincode/dist/index.js). */
  contractsPath?: string;
  /** Join the node registry at start (default: when the chaincode has NodeRegistryContract:join). */
  joinRegistry?: boolean;
}

/** The URL of the node's own database, for the ledger's pool when it shares it. */
function urlOfDatabase(db: Sequelize): string {
  const c = db.config as { host?: string; port?: number | string; database: string; username?: string; password?: string | null };
  const u = new URL('postgres://localhost');
  u.hostname = c.host ?? '127.0.0.1';
  if (c.port) u.port = String(c.port);
  u.pathname = `/${c.database}`;
  if (c.username) u.username = encodeURIComponent(c.username);
  if (c.password) u.password = encodeURIComponent(c.password);
  return u.toString();
}

interface LedgerState {
  config: LedgerConfig;
  engine: Ledger & IdempotentSubmitter;
  service: DefaultLedgerService;
  identity: LedgerIdentity;
}

const states = new WeakMap<NodeContext, LedgerState>();

export function createLedgerCapability(options: LedgerCapabilityOptions = {}): Capability {
  return {
    name: 'ledger',
    async init(ctx) {
      const config = ledgerConfigOf(ctx.config, options.config ?? {});
      const log = ctx.logger.child({ component: 'ledger' });
      const identity: LedgerIdentity = { mspId: config.engine === 'fabric' ? config.fabric!.mspId : config.mspId, nodeId: `${ctx.config.publicUrl}/ap/actor` };
      let engine: Ledger & IdempotentSubmitter;
      if (config.engine === 'fabric') {
        if (!config.fabric) throw new Error('ledger.engine is "fabric" but ledger.fabric is not configured');
        engine = new FabricLedger(config.fabric, log);
      } else {
        const pool = ledgerPool(config.databaseUrl ?? urlOfDatabase(ctx.db));
        await EmbeddedLedger.ensureSchema(pool);
        engine = new EmbeddedLedger({ pool, contracts: () => loadContracts(options.contractsPath ?? defaultContractsPath), identity, channel: config.channel, logger: log });
      }
      const outbox = new Outbox(ctx.db, ctx.jobs, engine, identity, log);
      const service = new DefaultLedgerService(engine, outbox, identity.nodeId, identity.mspId, config.mvccRetries);
      ctx.services.ledger = service;
      states.set(ctx, { config, engine, service, identity });
      setLedgerEngine(ctx, engine);
      ctx.jobs.setConcurrency('ledger', 1);
      ctx.jobs.handle('ledger.submit', async () => ({ submitted: await outbox.drain() }));
    },
    routes: (ctx) => ledgerRoutes(ctx),
    openapi: ledgerOpenApi,
    async start(ctx) {
      const s = states.get(ctx)!;
      const log = ctx.logger.child({ component: 'ledger' });
      const canJoin =
        options.joinRegistry ?? (s.engine instanceof EmbeddedLedger ? safeHas(s.engine, 'NodeRegistryContract:join') : true);
      if (canJoin) {
        const args = [JSON.stringify({ nodeId: s.identity.nodeId, actorUrl: s.identity.nodeId, cluster: ctx.config.federation.cluster, organisation: s.identity.mspId })];
        await ctx.db.transaction(async (t) => {
          const [rows] = await ctx.db.query("SELECT 1 FROM ledger_outbox WHERE fn = 'NodeRegistryContract:join' AND args = :args::jsonb AND status <> 'rejected' LIMIT 1", {
            replacements: { args: JSON.stringify(args) },
            transaction: t,
          });
          if (!rows.length) await s.service.enqueueSubmit(t, 'NodeRegistryContract:join', args);
        });
      }
      // Catch up: whatever was recorded while the node (or the ledger) was away goes out now, in order.
      const pending = await s.service.outbox.pendingCount();
      if (pending) {
        log.info({ pending }, 'submitting pending ledger transactions');
        await ctx.jobs.enqueue('ledger.submit', { outboxId: 'catch-up' });
      }
    },
    async stop(ctx) {
      await states.get(ctx)?.engine.close();
    },
  };
}

function safeHas(engine: EmbeddedLedger, fn: string): boolean {
  try {
    return engine.contracts.has(fn);
  } catch {
    return false; // the chaincode is not built yet
  }
}

export const ledgerCapability: Capability = createLedgerCapability();
