// The `notifications.mail` job: one try at sending one queued mail. It throws to be retried
// (BullMQ's backoff); the mail's row says how each try went, for admins.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '../../logger.js';
import type { JobPayloads } from '../../jobs/index.js';
import type { MailOutbox } from './outbox.js';
import { describeSmtpError, refusedForGood, type SmtpTransport } from './transport.js';

export interface SendMailDeps {
  outbox: MailOutbox;
  /** Undefined when mail is off on this node (the config changed since the mail was queued). */
  transport?: SmtpTransport;
  logger: Logger;
}

export async function sendQueuedMail(deps: SendMailDeps, { mailId }: JobPayloads['notifications.mail'], job: Job): Promise<'sent' | 'not-mine'> {
  const mail = await deps.outbox.claim(mailId);
  // Sent already, or another worker is on it (the mail was queued twice).
  if (!mail) return 'not-mine';
  const log = deps.logger.child({ mailId, kind: mail.kind });
  if (!deps.transport) {
    await deps.outbox.markFailed(mailId, 'mail is off on this node (no mail.smtp.host); set it up, then retry', null);
    throw new UnrecoverableError('mail is off on this node');
  }
  try {
    const response = await deps.transport.send({ to: mail.to_address, subject: mail.subject, text: mail.body_text ?? '', html: mail.body_html ?? undefined });
    await deps.outbox.markSent(mailId, response);
    log.info({ attempt: mail.attempts }, 'mail sent');
    return 'sent';
  } catch (err) {
    const error = describeSmtpError(err);
    const forGood = refusedForGood(err);
    const lastTry = forGood || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    // BullMQ's exponential backoff: the delay doubles with each try made.
    const delay = typeof job.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 0) : (job.opts.backoff ?? 0);
    await deps.outbox.markFailed(mailId, error, lastTry ? null : delay * 2 ** job.attemptsMade);
    log.warn({ error, attempt: mail.attempts, lastTry }, 'mail not sent');
    throw forGood ? new UnrecoverableError(error) : err;
  }
}
