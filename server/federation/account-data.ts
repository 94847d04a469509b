// A local user's actors when their account is deleted (a federated Delete) or exported.
// (Skeleton: filled in by the account-lifecycle work of issue 17.)
import type { NodeContext } from '../context.js';
import type { FederationService } from './service.js';

/** Registers federation's part of deleting and exporting an account with accounts. */
export function registerFederationAccountData(_ctx: NodeContext, _svc: FederationService): void {}
