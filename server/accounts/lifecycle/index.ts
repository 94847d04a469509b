// Account lifecycle: deleting an account (its media and personal data; money kept, detached)
// and exporting a user's data as an archive. (Skeleton: filled in by issue 17's lifecycle work.)
import { Router } from 'express';
import type { NodeContext } from '../../context.js';
import type { OpenApiFragment } from '../../api/openapi-types.js';
import type { AccountsService } from '../service.js';

/** Registers the deletion job's handler (accounts' init). */
export function registerLifecycle(_ctx: NodeContext, _accounts: AccountsService): void {}

export function lifecycleRoutes(_ctx: NodeContext, _accounts: AccountsService): Router {
  return Router();
}

export const lifecycleOpenApi: OpenApiFragment = { paths: {} };
