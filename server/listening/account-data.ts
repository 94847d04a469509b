// A user's listening data when their account is deleted or exported (issue 17, account lifecycle).
// (Skeleton: filled in by the account-lifecycle work.)
import type { NodeContext } from '../context.js';
import type { ListeningService } from './service.js';

/** Registers listening's part of deleting and exporting an account with accounts. */
export function registerListeningAccountData(_ctx: NodeContext, _svc: ListeningService): void {}
