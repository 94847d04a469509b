// Accounts: users, roles, bearer tokens.
import { perNode, serviceSlot, type Capability, type NodeContext } from '../context.js';
import { AccountsService } from './service.js';
import { AuthThrottle } from './throttle.js';
import { accountRoutes } from './routes.js';
import { accountsOpenApi } from './openapi.js';
import path from 'node:path';
import { ApiKeys, KeySealer } from './api-keys.js';
import { Router } from 'express';
import { lifecycleOpenApi, lifecycleRoutes, registerLifecycle } from './lifecycle/index.js';
import { AccountEmail } from './email.js';

export { AccountsService, roles, type Role, type User, type RequestOrigin } from './service.js';
export { TooManyAttempts, ThrottleUnavailable } from './throttle.js';
export { MailDisabled } from './mail-port.js';
export { authenticate, requireRole, requireUser, isPublic, accessCheck } from './middleware.js';

export type { AccountsApi, AccountActivity, UserCreatedHook, UserDeletingHook, AccountExportPart, AccountStanding, MailPort, OutgoingMail } from './contract.js';
export type { AppCredentials, AppAuthentication } from './api-keys.js';

const slot = serviceSlot<AccountsService>('accounts');

/** The accounts service itself, for accounts' routes and tests (others use `ctx.services.accounts`). */
export const accountsService = slot.get;

const emailFlows = perNode<AccountEmail>('account e-mail flows');

export const accountsCapability: Capability = {
  name: 'accounts',
  init(ctx) {
    const throttle = new AuthThrottle(ctx.redis, ctx.config.auth.throttle, ctx.logger, ctx.metrics);
    const keys = ctx.config.auth.apiKeys;
    const sealer = new KeySealer(keys.sealingKeyFile ?? path.join(ctx.config.dataDir, 'secrets', 'api-key-sealing.key'));
    const svc = new AccountsService(ctx.db, ctx.config.auth, throttle, ctx.metrics, new ApiKeys(ctx.db, sealer, keys.maxPerUser));
    slot.publish(ctx, svc);
    emailFlows.set(ctx, new AccountEmail(ctx.db, svc, throttle, ctx.config.auth, ctx.config, ctx.logger));
    registerLifecycle(ctx, svc);
    svc.onStandingChanged((e) => ctx.events.emit('account.standing', e));
  },
  routes: (ctx) => Router().use(accountRoutes(ctx, accountsService(ctx), emailFlows.get(ctx)), lifecycleRoutes(ctx, accountsService(ctx))),
  openapi: {
    ...accountsOpenApi,
    tags: [...(accountsOpenApi.tags ?? []), ...(lifecycleOpenApi.tags ?? [])],
    schemas: { ...accountsOpenApi.schemas, ...lifecycleOpenApi.schemas },
    paths: { ...accountsOpenApi.paths, ...lifecycleOpenApi.paths },
  },
};
