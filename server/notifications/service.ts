// Mail through SMTP (queued, retried) and in-app notifications with per-kind opt-out.
// (Skeleton: filled in by the email and notifications work of issue 17.)
import type { NodeContext } from '../context.js';
import type { OutgoingMail } from '../accounts/contract.js';
import type { NotificationsApi } from './contract.js';

export class NotificationsService implements NotificationsApi {
  constructor(private readonly ctx: NodeContext) {}

  enabled(): boolean {
    void this.ctx;
    return false;
  }

  async queue(_mail: OutgoingMail): Promise<void> {
    throw new Error('mail: not implemented yet');
  }
}
