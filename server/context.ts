// What every capability gets: config, logger, database, Redis, jobs, events and the
// other capabilities' service interfaces.
import type { Sequelize } from 'sequelize';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Router } from 'express';
import type { Config } from './config/index.js';
import type { Logger } from './logger.js';
import type { Jobs } from './jobs/index.js';
import type { DomainEventBus } from './events.js';
import type { AccountsService } from './accounts/service.js';
import type { OpenApiFragment } from './api/openapi-types.js';

/** Service interfaces that capabilities publish for each other, filled in at start. */
export interface Services {
  accounts: AccountsService;
  [name: string]: unknown;
}

export interface NodeContext {
  config: Config;
  logger: Logger;
  db: Sequelize;
  redis: Redis;
  jobs: Jobs;
  events: DomainEventBus;
  metrics: Registry;
  services: Services;
  /** The web role's HTTP server (for upgrade handlers such as the torrent tracker's WebSocket); unset in workers. Set before capabilities' start(). */
  httpServer?: import('node:http').Server;
}

export type FastPath = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => boolean;

export interface FastPathTools {
  /** The client address as Express's req.ip gives it (honours `trustProxy`). */
  clientIp(req: import('node:http').IncomingMessage): string;
  /** Counts the request in the HTTP metrics under the route it stands for. */
  recordMetrics(method: string, route: string, status: number, seconds: number): void;
}

/** A capability: its services, routes, jobs and API description. */
export interface Capability {
  name: string;
  /** Builds the capability's services and registers job handlers and event listeners. */
  init(ctx: NodeContext): Promise<void> | void;
  /** Routes, mounted at the root of the app (paths are absolute). */
  routes?(ctx: NodeContext): Router;
  /**
   * A handler tried before Express for the few requests that are hot enough to skip it; it
   * answers and returns true, or returns false to leave the request to the routes (which stay
   * the documented behaviour).
   */
  fastPath?(ctx: NodeContext, tools: FastPathTools): FastPath;
  /** The capability's part of the OpenAPI description. */
  openapi?: OpenApiFragment;
  /** Background work that starts with the process (web or worker role). */
  start?(ctx: NodeContext): Promise<void> | void;
  stop?(ctx: NodeContext): Promise<void> | void;
}
