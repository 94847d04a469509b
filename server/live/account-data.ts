// A user's live data when their account is deleted or exported (issue 17, account lifecycle).
// (Skeleton: filled in by the account-lifecycle work.)
import type { NodeContext } from '../context.js';
import type { LiveService } from './service.js';

/** Registers live's part of deleting and exporting an account with accounts. */
export function registerLiveAccountData(_ctx: NodeContext, _svc: LiveService): void {}
