// Accounts: users, roles, bearer tokens.
import type { Capability } from '../context.js';
import { AccountsService } from './service.js';
import { AuthThrottle } from './throttle.js';
import { accountRoutes } from './routes.js';
import { accountsOpenApi } from './openapi.js';

export { AccountsService, roles, type Role, type User, type RequestOrigin } from './service.js';
export { TooManyAttempts, ThrottleUnavailable } from './throttle.js';
export { authenticate, requireRole, requireUser, isPublic, accessCheck } from './middleware.js';

export const accountsCapability: Capability = {
  name: 'accounts',
  init(ctx) {
    const throttle = new AuthThrottle(ctx.redis, ctx.config.auth.throttle, ctx.logger, ctx.metrics);
    ctx.services.accounts = new AccountsService(ctx.db, ctx.config.auth.tokenTtlSeconds, throttle, ctx.metrics);
  },
  routes: (ctx) => accountRoutes(ctx, ctx.services.accounts),
  openapi: accountsOpenApi,
};
