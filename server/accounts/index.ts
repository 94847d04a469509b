// Accounts: users, roles, bearer tokens.
import type { Capability } from '../context.js';
import { AccountsService } from './service.js';
import { accountRoutes } from './routes.js';
import { accountsOpenApi } from './openapi.js';

export { AccountsService, roles, type Role, type User } from './service.js';
export { authenticate, requireRole, requireUser, isPublic, accessCheck } from './middleware.js';

export const accountsCapability: Capability = {
  name: 'accounts',
  init(ctx) {
    ctx.services.accounts = new AccountsService(ctx.db, ctx.config.auth.tokenTtlSeconds);
  },
  routes: (ctx) => accountRoutes(ctx, ctx.services.accounts),
  openapi: accountsOpenApi,
};
