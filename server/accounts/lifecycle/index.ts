// Account lifecycle: deleting an account (its media and personal data; money kept, detached) and
// exporting a user's data as an archive. Each capability takes its part through accounts'
// `onUserDeleting` and `onExport` (their account-data.ts); what stays and why: docs/accounts.md.
import type { Router } from 'express';
import { perNode, type NodeContext } from '../../context.js';
import type { AccountsService, User } from '../service.js';
import { AccountDeletions } from './deletion.js';
import { AccountExports } from './export.js';
import { lifecycleRouter } from './routes.js';

export { lifecycleOpenApi } from './openapi.js';
export { AccountDeletions, type AccountDeletion } from './deletion.js';

interface Lifecycle {
  deletions: AccountDeletions;
  exports: AccountExports;
}

const { get: lifecycleOf, set: setLifecycle } = perNode<Lifecycle>('account lifecycle');

/** The node's account deletions (routes, the job, tests). */
export const accountDeletions = (ctx: NodeContext): AccountDeletions => lifecycleOf(ctx).deletions;

/** What accounts itself puts in an export: the profile (never the password or the keys themselves). */
async function profile(accounts: AccountsService, user: User) {
  const keys = await accounts.apiKeys.list(user.id);
  return { ...user, apiKeys: keys.map((k) => ({ name: k.name, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt })) };
}

/** Registers the deletion job's handler and accounts' part of the export (accounts' init). */
export function registerLifecycle(ctx: NodeContext, accounts: AccountsService): void {
  const deletions = new AccountDeletions(ctx, accounts);
  setLifecycle(ctx, { deletions, exports: new AccountExports(ctx, accounts) });
  accounts.onExport({ file: 'profile.json', collect: (user) => profile(accounts, user) });
  ctx.jobs.handle('accounts.delete', ({ userId }) => deletions.run(userId));
  ctx.jobs.atWorkerStart('queue lost account deletions again', (signal) => deletions.requeueLost(signal), { everyMs: 10 * 60_000 });
}

export function lifecycleRoutes(ctx: NodeContext, accounts: AccountsService): Router {
  const { deletions, exports } = lifecycleOf(ctx);
  return lifecycleRouter(accounts, deletions, exports);
}
