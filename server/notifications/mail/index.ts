// Mail through SMTP: queued in the database and BullMQ, sent by the worker role through one
// pooled nodemailer transport, retried with backoff; off when no SMTP host is configured.
import { z } from 'zod';
import type { NodeContext } from '../../context.js';
import { linkMailLifetimes, type OutgoingMail } from '../../accounts/contract.js';
import { MailDisabled } from '../../accounts/mail-port.js';
import { MailOutbox, type MailRow } from './outbox.js';
import { longestTryMs, SmtpTransport } from './transport.js';
import { sendQueuedMail } from './send-mail.js';
import { registerMailAccountData } from './account-data.js';

export { mailRoutes } from './routes.js';
export { mailOpenApi } from './openapi.js';

const outgoingMail = z.object({
  to: z.email().max(320),
  // One line: a header cannot carry a line break.
  subject: z.string().min(1).max(300).transform((s) => s.replace(/\s*[\r\n]+\s*/g, ' ')),
  text: z.string().min(1).max(100_000),
  html: z.string().max(500_000).optional(),
  kind: z.string().min(1).max(60),
});

/** How often a worker looks for mails whose job was lost, drops link mails whose link expired unsent, and forgets old sent ones. */
const sweepEveryMs = 5 * 60 * 1000;
/** A try's hold on its mail lasts this much longer than the longest try can. */
const leaseMarginMs = 60_000;

export class Mailer {
  readonly outbox: MailOutbox;
  private readonly transport?: SmtpTransport;
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly ctx: NodeContext) {
    const { mail, auth } = ctx.config;
    const linkLifetimes = Object.fromEntries(Object.entries(linkMailLifetimes).map(([kind, setting]) => [kind, auth[setting]]));
    this.outbox = new MailOutbox(ctx.db, ctx.jobs, ctx.redis, { retry: mail.retry, leaseMs: longestTryMs(mail.smtp) + leaseMarginMs, linkLifetimes });
    if (mail.enabled) this.transport = new SmtpTransport(mail);
    const logger = ctx.logger.child({ component: 'mail' });
    ctx.jobs.handle('notifications.mail', (payload, job) => sendQueuedMail({ outbox: this.outbox, transport: this.transport, logger }, payload, job));
    ctx.jobs.setConcurrency('notifications', mail.smtp.maxConnections);
    registerMailAccountData(ctx, this.outbox);
  }

  enabled(): boolean {
    return this.ctx.config.mail.enabled;
  }

  /** Throws MailDisabled (503 mail_disabled) when mail is off. */
  requireEnabled(): void {
    if (!this.enabled()) throw new MailDisabled('Sending mail');
  }

  /** Records and queues a mail; throws MailDisabled when mail is off (callers ask `enabled()` first). */
  async queue(mail: OutgoingMail): Promise<MailRow> {
    this.requireEnabled();
    return this.outbox.add(outgoingMail.parse(mail));
  }

  /** Gives up link mails whose link expired unsent, queues again what a lost job left behind, and prunes old sent mails. */
  async sweep(): Promise<void> {
    const log = this.ctx.logger.child({ component: 'mail' });
    const dropped = await this.outbox.dropExpiredLinks();
    if (dropped) log.warn({ dropped }, 'mails whose link expired before they could be sent are given up');
    const requeued = await this.outbox.requeueStranded();
    if (requeued) log.warn({ requeued }, 'mails whose job was lost are queued again');
    await this.outbox.prune(this.ctx.config.mail.keepSentDays);
  }

  /** Worker role: sweeps now and every few minutes. */
  start(): void {
    if (this.ctx.config.role === 'web') return;
    const log = this.ctx.logger.child({ component: 'mail' });
    const run = () => void this.sweep().catch((err) => log.error({ err }, 'mail sweep failed'));
    run();
    this.sweeper = setInterval(run, sweepEveryMs);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.transport?.close();
  }
}
