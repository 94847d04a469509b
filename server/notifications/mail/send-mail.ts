// The `notifications.mail` job: one try at sending one queued mail. It throws to be retried
// (BullMQ's backoff); the mail's row says how each try went, for admins.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
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

/** The first look again at a mail another try holds; doubled at each further look, never past the end of the hold. */
const firstLookMs = 500;

export async function sendQueuedMail(deps: SendMailDeps, { mailId }: JobPayloads['notifications.mail'], job: Job): Promise<'sent' | 'not-mine'> {
  const { outbox } = deps;
  // An earlier try sent it but could not record that: record it now, send nothing.
  const sentBefore = await outbox.sentBefore(mailId);
  if (sentBefore !== null) {
    await outbox.markSent(mailId, sentBefore);
    return 'sent';
  }
  const mail = await outbox.claim(mailId);
  if (!mail) return lookAgainLater(outbox, mailId, job);
  const log = deps.logger.child({ mailId, kind: mail.kind });
  if (!deps.transport) {
    await outbox.markFailed(mailId, 'mail is off on this node (no mail.smtp.host); set it up, then retry', null);
    throw new UnrecoverableError('mail is off on this node');
  }
  let response: string;
  try {
    response = await deps.transport.send({ to: mail.to_address, subject: mail.subject, text: mail.body_text ?? '', html: mail.body_html ?? undefined });
  } catch (err) {
    const error = describeSmtpError(err);
    const forGood = refusedForGood(err);
    const lastTry = forGood || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    // BullMQ's exponential backoff: the delay doubles with each try made.
    const delay = typeof job.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 0) : (job.opts.backoff ?? 0);
    await outbox.markFailed(mailId, error, lastTry ? null : delay * 2 ** job.attemptsMade);
    log.warn({ error, attempt: mail.attempts, lastTry }, 'mail not sent');
    throw forGood ? new UnrecoverableError(error) : err;
  }
  // It left: from here on no try may send it again. A failure below is retried as a record only.
  try {
    await outbox.noteSent(mailId, response);
  } catch (err) {
    log.warn({ err }, 'mail sent, but the note saying so could not be kept: should recording it fail too, it may be sent again');
  }
  await outbox.markSent(mailId, response);
  log.info({ attempt: mail.attempts }, 'mail sent');
  return 'sent';
}

/**
 * The mail is sent, dropped, or held by another try: one running now (the mail was queued twice)
 * or one whose worker died mid-send. While a hold lasts, this job looks again later, soon at
 * first and never after the hold ends, so a mail a dead worker held goes out as soon as another
 * try may take it, not at the next sweep.
 */
async function lookAgainLater(outbox: MailOutbox, mailId: string, job: Job): Promise<'not-mine'> {
  const heldForMs = await outbox.heldForMs(mailId);
  if (heldForMs === undefined || !job.token) return 'not-mine';
  // Looks made so far (a delay is not a failed attempt; a started one is counted).
  const looks = Math.max(0, job.attemptsStarted - job.attemptsMade - 1);
  const waitMs = Math.min(firstLookMs * 2 ** Math.min(looks, 20), heldForMs + 200);
  await job.moveToDelayed(Date.now() + waitMs, job.token);
  throw new DelayedError();
}
