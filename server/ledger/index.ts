// ledger: the chaincode client. One Ledger interface with two engines (embedded, the
// default, and fabric), the outbox that submits writes after the database commit, and
// the auditors' read-only API. See docs/ledger.md and docs/auditors.md.
import type { Sequelize } from 'sequelize';
import { perNode, type Capability, type NodeContext } from '../context.js';
import { ConfigError, shippedOrganisation } from '../config/index.js';
import type { Logger } from '../logger.js';
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
import { instanceActorUri } from '../../shared/actor-uris.js';

export type { LedgerService } from './service.js';
export type { LedgerApi } from './contract.js';

/** The ledger service itself, for the ledger's routes, CLI and tests (others use `ctx.services.ledger`). */
export const ledgerService = (ctx: NodeContext): DefaultLedgerService => state(ctx).service;
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

const { get: state, set: setState } = perNode<LedgerState>('ledger capability');

export function createLedgerCapability(options: LedgerCapabilityOptions = {}): Capability {
  return {
    name: 'ledger',
    async init(ctx) {
      const config = ledgerConfigOf(ctx.config, options.config ?? {});
      const log = ctx.logger.child({ component: 'ledger' });
      const identity: LedgerIdentity = { mspId: config.engine === 'fabric' ? config.fabric!.mspId : config.mspId, nodeId: instanceActorUri(ctx.config.publicUrl) };
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
      const embedded = engine instanceof EmbeddedLedger ? engine : undefined;
      const has = (fn: string) => (embedded ? safeHas(embedded, fn) : true);
      const service = new DefaultLedgerService(engine, outbox, identity.nodeId, identity.mspId, config.mvccRetries, has);
      ctx.services.ledger = service;
      setState(ctx, { config, engine, service, identity });
      setLedgerEngine(ctx, engine);
      ctx.jobs.setConcurrency('ledger', 1);
      ctx.jobs.handle('ledger.submit', async () => ({ submitted: await outbox.drain() }));
    },
    routes: (ctx) => ledgerRoutes(ctx, state(ctx).service),
    openapi: ledgerOpenApi,
    async start(ctx) {
      const s = state(ctx);
      const log = ctx.logger.child({ component: 'ledger' });
      try {
        await checkOrganisation(s, log);
      } catch (err) {
        await s.engine.close(); // the node does not start: its stop() will not run
        throw err;
      }
      const canJoin =
        options.joinRegistry ?? s.service.has('NodeRegistryContract:join');
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
      await state(ctx).engine.close();
    },
  };
}

interface RegisteredNode {
  nodeId: string;
  organisation: string;
}

/**
 * On a ledger shared with other nodes (a ledger.databaseUrl, or Fabric), the organisation is what
 * binds a node's votes, reports and disputes. Refuses to start when this node would sign as the
 * shipped default organisation that another node already uses (two unrelated operators who both
 * left the default would be one organisation: one could open, vote and record for the other), and
 * when this node's id is registered under another organisation (the ledger would refuse its writes).
 * A ledger that cannot be read now is not a reason to stay down: logged, and the join goes out later.
 */
async function checkOrganisation(s: LedgerState, log: Logger): Promise<void> {
  const shared = s.config.engine === 'fabric' || s.config.databaseUrl !== null;
  if (!shared) return;
  if (!s.service.has('NodeRegistryContract:list')) return;
  let nodes: RegisteredNode[];
  try {
    nodes = ((await s.engine.evaluate('NodeRegistryContract:list', [])) as RegisteredNode[] | null) ?? [];
  } catch (err) {
    log.warn({ err }, 'could not read the node registry to check this node\'s organisation');
    return;
  }
  const { nodeId, mspId } = s.identity;
  const own = nodes.find((n) => n.nodeId === nodeId);
  if (own && own.organisation !== mspId) {
    throw new ConfigError([
      `ledger: this node's id "${nodeId}" is registered on the shared ledger under organisation "${own.organisation}", but this node signs as "${mspId}". ` +
        `A node never changes organisation: set federation.organisation (env ORGANISATION) or ledger.mspId (env LEDGER_MSP_ID) to "${own.organisation}" if that organisation is yours; otherwise the id was registered in your name by another organisation.`,
    ]);
  }
  const others = nodes.filter((n) => n.organisation === mspId && n.nodeId !== nodeId);
  if (mspId === shippedOrganisation() && others.length) {
    throw new ConfigError([
      `ledger: this node would sign as "${mspId}", the default organisation, on a ledger shared with other nodes, and ${others.length === 1 ? `node "${others[0].nodeId}" already uses it` : `${others.length} nodes already use it`}. ` +
        'Nodes of one organisation open, vote and record for each other. Set federation.organisation (env ORGANISATION) or ledger.mspId (env LEDGER_MSP_ID) to your own organisation\'s MSP id.',
    ]);
  }
}

function safeHas(engine: EmbeddedLedger, fn: string): boolean {
  try {
    return engine.contracts.has(fn);
  } catch {
    return false; // the chaincode is not built yet
  }
}

export const ledgerCapability: Capability = createLedgerCapability();
