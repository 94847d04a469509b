// Starts one node: database (embedded when none is configured), migrations, Redis,
// capabilities, then the web server and/or the workers depending on the role.
import http from 'node:http';
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from './config/index.js';
import { createLogger, type Logger } from './logger.js';
import { createDatabase } from './db/index.js';
import { migrate } from './db/migrate.js';
import { startEmbeddedPostgres } from './db/embedded.js';
import { ensureRedis } from './jobs/local-redis.js';
import { Jobs } from './jobs/index.js';
import { resolveRedisPrefix } from './jobs/prefix.js';
import { DomainEventBus } from './events.js';
import { buildRequestHandler } from './app.js';
import { capabilities as defaultCapabilities } from './capabilities.js';
import { serviceNames, type Capability, type NodeContext, type Services } from './context.js';

export interface RunningNode {
  ctx: NodeContext;
  server?: http.Server;
  /** The origin the web role listens on (http://127.0.0.1:port). */
  url?: string;
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  capabilities?: Capability[];
  logger?: Logger;
  /** Start a local redis-server when none answers (npm start); tests expect one. */
  startRedis?: boolean;
  /** Process-wide default metrics; off when several nodes share a process. */
  defaultMetrics?: boolean;
}

export interface NodeRuntime {
  ctx: NodeContext;
  capabilities: Capability[];
  /** Stops everything started so far, in reverse order. */
  stop(): Promise<void>;
  /** Registers a step for stop(). */
  onStop(fn: () => Promise<void>): void;
}

/** Database (embedded when none is configured), migrations, Redis and initialised
 * capabilities, without serving or working: what scripts (create-admin) need. */
export async function createRuntime(config: Config, options: StartNodeOptions = {}): Promise<NodeRuntime> {
  const logger = options.logger ?? createLogger(config.logLevel, config.nodeName);
  const caps = options.capabilities ?? defaultCapabilities;
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch((err) => logger.warn({ err }, 'stop step failed'));
    cleanups.length = 0;
  };
  try {
    mkdirSync(config.dataDir, { recursive: true });
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.dataDir, logger);
      cleanups.push(embedded.stop);
      databaseUrl = embedded.url;
    }
    const db = createDatabase(databaseUrl, logger);
    cleanups.push(() => db.close());
    await db.authenticate();
    const applied = await migrate(db, logger);
    if (applied.length) logger.info({ applied }, 'migrations applied');

    if (options.startRedis) {
      const local = await ensureRedis(config.redisUrl, config.dataDir, logger);
      cleanups.push(local.stop);
    }
    // Keys and queues under the node's own prefix: nodes sharing a Redis never see each other's.
    const redisPrefix = await resolveRedisPrefix(config, db);
    logger.info({ redisPrefix }, 'redis prefix');
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, keyPrefix: `${redisPrefix}:kv:` });
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
    cleanups.push(async () => void redis.disconnect());
    const jobs = new Jobs({ redisUrl: config.redisUrl, prefix: redisPrefix, logger });
    cleanups.push(() => jobs.close());
    const metrics = new Registry();
    metrics.setDefaultLabels({ node: config.nodeName });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: metrics });
    const events = new DomainEventBus();
    events.onError((err) => logger.error({ err }, 'domain event listener failed'));
    const ctx: NodeContext = { config, logger, db, redis, jobs, events, metrics, services: {} as Services };

    for (const cap of caps) await cap.init(ctx);
    const missing = serviceNames.filter((name) => !ctx.services[name]);
    if (missing.length) throw new Error(`capabilities not built, yet others call them: ${missing.join(', ')} (server/capabilities.ts)`);
    wirePorts(ctx.services);
    return { ctx, capabilities: caps, stop, onStop: (fn) => void cleanups.push(fn) };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The ports a capability owns so as not to know a capability that knows it (the graph stays
 * acyclic: docs/architecture.md), wired once here, after every contract is published.
 */
function wirePorts(services: Services): void {
  services.listening.useRemoteTracks(services.federation);
  services.federation.useFlagReceiver(services.disputes);
  services.federation.useReportReceiver(services.moderation);
  services.accounts.useMailer(services.notifications);
  services.money.useRemoteArtists(services.federation);
  services.media.useSegmentAccess(services.money.segmentAccess);
  services.media.useRelays(services.federation);
  services.money.useLiveCatalog(services.live.catalog);
  services.listening.useLiveStreams(services.live);
  services.ledger.useInvestmentFigures(services.money);
}

export async function startNode(config: Config, options: StartNodeOptions = {}): Promise<RunningNode> {
  const runtime = await createRuntime(config, options);
  const { ctx, capabilities: caps } = runtime;
  const { logger } = ctx;
  try {
    let server: http.Server | undefined;
    let url: string | undefined;
    if (config.role !== 'worker') {
      server = http.createServer(buildRequestHandler(ctx, caps));
      server.keepAliveTimeout = 5000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, config.host, () => resolve());
      });
      const addr = server.address() as import('node:net').AddressInfo;
      url = `http://127.0.0.1:${addr.port}`;
      ctx.httpServer = server;
      trackUpgradedSockets(server);
      logger.info({ url, publicUrl: config.publicUrl }, 'web role listening');
    }
    if (config.role !== 'web') {
      ctx.jobs.startWorkers();
      logger.info('worker role started');
    }
    for (const cap of caps) {
      if (cap.start) await cap.start(ctx);
      if (cap.stop) runtime.onStop(async () => cap.stop!(ctx));
    }
    // Registered last so it runs first: no request arrives while capabilities stop.
    if (server) runtime.onStop(() => closeServer(server!));
    return { ctx, server, url, stop: runtime.stop };
  } catch (err) {
    if (ctx.httpServer) await closeServer(ctx.httpServer);
    await runtime.stop();
    throw err;
  }
}

const upgraded = new WeakMap<http.Server, Set<import('node:stream').Duplex>>();

/** WebSocket (upgraded) connections are not closed by closeAllConnections(); remember them. */
function trackUpgradedSockets(server: http.Server): void {
  const sockets = new Set<import('node:stream').Duplex>();
  upgraded.set(server, sockets);
  server.on('upgrade', (_req, socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of upgraded.get(server) ?? []) socket.destroy();
  });
}
