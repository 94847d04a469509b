// The notifications service: what other capabilities may ask (the mail port) and what the
// notifications capability's own parts use (the mailer, for its routes, jobs and tests).
import type { NodeContext } from '../context.js';
import type { OutgoingMail } from '../accounts/contract.js';
import type { NotificationsApi } from './contract.js';
import { Mailer } from './mail/index.js';

export class NotificationsService implements NotificationsApi {
  readonly mailer: Mailer;

  constructor(ctx: NodeContext) {
    this.mailer = new Mailer(ctx);
  }

  enabled(): boolean {
    return this.mailer.enabled();
  }

  async queue(mail: OutgoingMail): Promise<void> {
    await this.mailer.queue(mail);
  }
}
