// The mail outbox when an account is deleted (docs/accounts.md): the mails to its addresses (the
// one in use and one waiting to be confirmed) keep neither the address nor the subject (it may
// name the account), and those not sent yet are given up. The farewell mail the deletion queues
// is sent, then forgotten the same way (outbox.ts, `forgottenOnceSentMailKinds`).
import type { NodeContext } from '../../context.js';
import type { User } from '../../accounts/service.js';
import type { MailOutbox } from './outbox.js';

async function forgetMailsOf(ctx: NodeContext, outbox: MailOutbox, user: User): Promise<void> {
  const addresses = [user.email, user.pendingEmail].filter((a): a is string => !!a);
  const forgotten = await outbox.forgetAddresses(addresses);
  if (forgotten) ctx.logger.child({ component: 'mail' }).info({ userId: user.id, forgotten }, "mails to a deleted account's addresses forgotten");
}

/** Registers mail's part of deleting an account with accounts. */
export function registerMailAccountData(ctx: NodeContext, outbox: MailOutbox): void {
  ctx.services.accounts.onUserDeleting((user) => forgetMailsOf(ctx, outbox, user));
}
