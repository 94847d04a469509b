// A user's money data when their account is deleted or exported (issue 17, account lifecycle).
// (Skeleton: filled in by the account-lifecycle work.)
import type { NodeContext } from '../context.js';
import type { MoneyService } from './service.js';

/** Registers money's part of deleting and exporting an account with accounts. */
export function registerMoneyAccountData(_ctx: NodeContext, _svc: MoneyService): void {}
