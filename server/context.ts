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
import type { AccountsApi } from './accounts/contract.js';
import type { LedgerApi } from './ledger/contract.js';
import type { MoneyApi } from './money/contract.js';
import type { MediaApi } from './media/contract.js';
import type { ListeningApi } from './listening/contract.js';
import type { FederationApi } from './federation/contract.js';
import type { DisputesApi } from './disputes/contract.js';
import type { LiveApi } from './live/contract.js';
import type { AppsApi } from './apps/contract.js';
import type { FeedsApi } from './feeds/contract.js';
import type { ModerationApi } from './moderation/contract.js';
import type { NotificationsApi } from './notifications/contract.js';
import type { OpenApiFragment } from './api/openapi-types.js';

/**
 * The contract each capability publishes for the others (its `contract.ts`), filled in by the
 * capabilities' init() in the order of server/capabilities.ts. A capability calls another only
 * through these; its own routes, jobs and tests use its service directly.
 */
export interface Services {
  accounts: AccountsApi;
  ledger: LedgerApi;
  money: MoneyApi;
  media: MediaApi;
  listening: ListeningApi;
  federation: FederationApi;
  disputes: DisputesApi;
  live: LiveApi;
  apps: AppsApi;
  feeds: FeedsApi;
  moderation: ModerationApi;
  notifications: NotificationsApi;
}

/** Every key of `Services`, at run time: node.ts checks that each capability published its contract. */
export const serviceNames = ['accounts', 'ledger', 'money', 'media', 'listening', 'federation', 'disputes', 'live', 'apps', 'feeds', 'moderation', 'notifications'] as const satisfies readonly (keyof Services)[];
// Fails to compile, naming the key, when `Services` gains one that serviceNames lacks.
type UnlistedService = Exclude<keyof Services, (typeof serviceNames)[number]>;
export const everyServiceListed: [UnlistedService] extends [never] ? true : UnlistedService = true;

/** A port a capability owns (its consumer side), wired once by node.ts after every capability has initialised. */
export class Port<T> {
  private provider?: T;
  constructor(private readonly name: string) {}
  wire(provider: T): void {
    this.provider = provider;
  }
  get(): T {
    if (!this.provider) throw new Error(`the ${this.name} port is not wired (server/node.ts wires it after init)`);
    return this.provider;
  }
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

/** A value kept per node context (several nodes share a process in tests); `get` throws when unset. */
export function perNode<T extends object>(what: string): { set(ctx: NodeContext, value: T): void; get(ctx: NodeContext): T } {
  const values = new WeakMap<NodeContext, T>();
  return {
    set: (ctx, value) => void values.set(ctx, value),
    get(ctx) {
      const value = values.get(ctx);
      if (!value) throw new Error(`the ${what} is not initialised on this node`);
      return value;
    },
  };
}

/** The capabilities whose contract a service type satisfies. */
type ContractOf<T> = { [K in keyof Services]: T extends Services[K] ? K : never }[keyof Services];

/**
 * A capability's service: `publish` in init() keeps it for the capability's own routes, jobs
 * and tests (`get`, the class itself, no cast) and offers it to the others as its contract
 * (`ctx.services[capability]`).
 */
export function serviceSlot<T extends object>(capability: ContractOf<T>): { publish(ctx: NodeContext, service: T): void; get(ctx: NodeContext): T } {
  const slot = perNode<T>(`${capability} capability`);
  return {
    publish(ctx, service) {
      slot.set(ctx, service);
      // T satisfies Services[capability]: ContractOf<T> allows no other name.
      (ctx.services as Record<keyof Services, unknown>)[capability] = service;
    },
    get: slot.get,
  };
}
