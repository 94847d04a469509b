// The outgoing mail queue: a row per mail (what admins see) and a BullMQ job per try series that
// carries only the row's id. A worker claims the row before it sends, so a mail queued twice (a
// retry while a try is pending, a sweep after a restore) still leaves the node once.
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Jobs } from '../../jobs/index.js';
import { execute, select, selectOne } from '../../db/index.js';
import { conflict, notFound } from '../../http/errors.js';
import { isUuid } from '../../../shared/ids.js';
import { forgottenOnceSentMailKinds, type OutgoingMail } from '../../accounts/contract.js';
import type { MailConfig } from './config.js';

export const mailStates = ['queued', 'sending', 'sent', 'failed'] as const;
export type MailState = (typeof mailStates)[number];

export interface MailRow {
  id: string;
  kind: string;
  to_address: string;
  subject: string;
  body_text: string | null;
  body_html: string | null;
  state: MailState;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  smtp_response: string | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
}

/** A mail as admins see it: no body (verification and reset mails carry secret links). */
export interface MailSummary {
  id: string;
  kind: string;
  to: string;
  subject: string;
  state: MailState;
  attempts: number;
  lastError: string | null;
  /** When the queue tries again; null when it gave up or no try failed. */
  nextAttemptAt: string | null;
  createdAt: string;
  sentAt: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export const mailSummary = (r: MailRow): MailSummary => ({
  id: r.id,
  kind: r.kind,
  to: r.to_address,
  subject: r.subject,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  nextAttemptAt: iso(r.next_attempt_at),
  createdAt: iso(r.created_at)!,
  sentAt: iso(r.sent_at),
});

export interface OutboxOptions {
  retry: MailConfig['retry'];
  /** How long a try holds its mail: one that neither finished nor failed by then (its worker died) may be taken over. */
  leaseMs: number;
  /**
   * Mails whose point is a single-use link, by kind, and how long the link works (seconds). Not
   * sent yet when it expired: not sent at all, and the text (the link) is dropped.
   */
  linkLifetimes: Readonly<Record<string, number>>;
}

/** How long the note "this mail left" outlives the send: longer than any try series or sweep takes. */
const sentNoteSeconds = 2 * 86_400;
const sentNote = (mailId: string) => `mail:sent:${mailId}`;

const linkExpired = 'not sent: the link in it expired before it could be sent (the user asks for a new one); its text is dropped';
const accountDeleted = 'not sent: the account it went to was deleted; its address, subject and text are dropped';

/** The address and subject of a mail of a kind forgotten once sent (accounts' farewell mail), else as they are. */
const forgetIfOnceSent = `to_address = CASE WHEN kind IN (:forget) THEN '' ELSE to_address END, subject = CASE WHEN kind IN (:forget) THEN '' ELSE subject END`;

export class MailOutbox {
  constructor(
    private readonly db: Sequelize,
    private readonly jobs: Jobs,
    private readonly redis: Redis,
    private readonly opts: OutboxOptions,
  ) {}

  /** Records the mail and queues its first try. */
  async add(mail: OutgoingMail): Promise<MailRow> {
    const row = await selectOne<MailRow>(
      this.db,
      `INSERT INTO notifications_mails (kind, to_address, subject, body_text, body_html)
       VALUES (:kind, :to, :subject, :text, :html) RETURNING *`,
      { kind: mail.kind, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html ?? null },
    );
    await this.enqueue(row!.id);
    return row!;
  }

  /** A series of tries (attempts and exponential backoff from mail.retry). */
  private async enqueue(mailId: string): Promise<void> {
    const { attempts, backoffMs } = this.opts.retry;
    await this.jobs.enqueue('notifications.mail', { mailId }, { attempts, backoff: { type: 'exponential', delay: backoffMs } });
  }

  /**
   * Takes the mail for one try, or undefined when it is sent, dropped (its link expired), or held
   * by a try that may still be running (see `heldForMs`).
   */
  async claim(mailId: string): Promise<MailRow | undefined> {
    return selectOne<MailRow>(
      this.db,
      `UPDATE notifications_mails
       SET state = 'sending', attempts = attempts + 1, lease_until = now() + make_interval(secs => :lease), updated_at = now()
       WHERE id = :id AND body_text IS NOT NULL AND (state IN ('queued', 'failed') OR (state = 'sending' AND lease_until < now()))
       RETURNING *`,
      { id: mailId, lease: this.opts.leaseMs / 1000 },
    );
  }

  /** How much longer a try holds the mail (0: its hold is over); undefined when no try holds it. By the database's clock. */
  async heldForMs(mailId: string): Promise<number | undefined> {
    const row = await selectOne<{ ms: number }>(
      this.db,
      `SELECT greatest(0, extract(epoch FROM lease_until - now()) * 1000)::float8 AS ms FROM notifications_mails WHERE id = :id AND state = 'sending'`,
      { id: mailId },
    );
    return row && Number(row.ms);
  }

  /**
   * Notes in Redis that the mail left, before the row says so: when the row cannot be written
   * (the database failed just then), the next try finds the note and records it instead of
   * sending the mail again.
   */
  async noteSent(mailId: string, smtpResponse: string): Promise<void> {
    await this.redis.set(sentNote(mailId), smtpResponse.slice(0, 500), 'EX', sentNoteSeconds);
  }

  /** The server's answer when an earlier try sent the mail (see noteSent), else null. */
  sentBefore(mailId: string): Promise<string | null> {
    return this.redis.get(sentNote(mailId));
  }

  async markSent(mailId: string, smtpResponse: string): Promise<void> {
    await execute(
      this.db,
      `UPDATE notifications_mails
       SET state = 'sent', sent_at = now(), smtp_response = :response, body_text = NULL, body_html = NULL,
           next_attempt_at = NULL, lease_until = NULL, updated_at = now(), ${forgetIfOnceSent}
       WHERE id = :id AND state <> 'sent'`,
      { id: mailId, response: smtpResponse.slice(0, 500), forget: forgottenOnceSentMailKinds },
    );
  }

  /**
   * A try failed; `retryInMs` null: no further try comes (the queue gave up, or the server refused
   * the mail for good), and a mail of a kind forgotten once sent is forgotten then too. A mail
   * whose address was forgotten during the try keeps its note (the server's error may name it).
   */
  async markFailed(mailId: string, error: string, retryInMs: number | null): Promise<void> {
    const final = retryInMs === null;
    await execute(
      this.db,
      `UPDATE notifications_mails
       SET state = 'failed', last_error = CASE WHEN to_address = '' THEN last_error ELSE :error END, lease_until = NULL, updated_at = now(),
           next_attempt_at = CASE WHEN CAST(:wait AS integer) IS NULL THEN NULL ELSE now() + make_interval(secs => CAST(:wait AS integer) / 1000.0) END
           ${final ? `, body_text = CASE WHEN kind IN (:forget) THEN NULL ELSE body_text END, body_html = CASE WHEN kind IN (:forget) THEN NULL ELSE body_html END, ${forgetIfOnceSent}` : ''}
       WHERE id = :id`,
      { id: mailId, error: error.slice(0, 2000), wait: retryInMs, forget: forgottenOnceSentMailKinds },
    );
  }

  /**
   * An account is being deleted: the mails to its addresses (any case) lose their address,
   * subject (it may name the account) and text; those not sent yet are given up. A mail of a kind
   * forgotten once sent (the farewell) is left to be sent, and forgotten then. A try under way
   * finishes; its row keeps nothing. Returns how many mails were forgotten.
   */
  async forgetAddresses(addresses: readonly string[]): Promise<number> {
    const lower = [...new Set(addresses.map((a) => a.trim().toLowerCase()).filter(Boolean))];
    if (!lower.length) return 0;
    const rows = await select<{ id: string }>(
      this.db,
      `UPDATE notifications_mails
       SET to_address = '', subject = '', body_text = NULL, body_html = NULL, updated_at = now(),
           state = CASE WHEN state = 'sent' OR (state = 'sending' AND lease_until >= now()) THEN state ELSE 'failed' END,
           last_error = CASE WHEN state = 'sent' THEN NULL ELSE :why END,
           next_attempt_at = NULL
       WHERE lower(to_address) IN (:lower)
         AND NOT (kind IN (:forget) AND state <> 'sent' AND body_text IS NOT NULL)
       RETURNING id`,
      { lower, why: accountDeleted, forget: forgottenOnceSentMailKinds },
    );
    return rows.length;
  }

  async get(mailId: string): Promise<MailRow | undefined> {
    if (!isUuid(mailId)) return undefined;
    return selectOne<MailRow>(this.db, 'SELECT * FROM notifications_mails WHERE id = :id', { id: mailId });
  }

  /** Failed mails first (what an admin has to look at), then newest first. */
  async list(opts: { state?: MailState; limit: number; offset: number }): Promise<{ total: number; data: MailRow[] }> {
    const where = opts.state ? 'WHERE state = :state' : '';
    const data = await select<MailRow>(
      this.db,
      `SELECT * FROM notifications_mails ${where} ORDER BY (state = 'failed') DESC, created_at DESC, id LIMIT :limit OFFSET :offset`,
      { state: opts.state ?? null, limit: opts.limit, offset: opts.offset },
    );
    const total = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM notifications_mails ${where}`, { state: opts.state ?? null });
    return { total: Number(total?.n ?? 0), data };
  }

  async counts(): Promise<Record<MailState, number>> {
    const rows = await select<{ state: MailState; n: string }>(this.db, 'SELECT state, count(*) AS n FROM notifications_mails GROUP BY state');
    const counts = Object.fromEntries(mailStates.map((s) => [s, 0])) as Record<MailState, number>;
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  /** An admin's "try again now" for a failed mail: a fresh series of tries. */
  async retry(mailId: string): Promise<MailRow> {
    const row = await this.get(mailId);
    if (!row) throw notFound('Mail');
    const queued = await selectOne<MailRow>(
      this.db,
      `UPDATE notifications_mails SET state = 'queued', next_attempt_at = NULL, updated_at = now()
       WHERE id = :id AND state = 'failed' AND body_text IS NOT NULL RETURNING *`,
      { id: mailId },
    );
    if (!queued && row.state === 'failed' && row.to_address === '') throw conflict('mail_forgotten', 'This mail went to an account that was deleted: its address and text are gone');
    if (!queued && row.state === 'failed') throw conflict('mail_expired', 'This mail carried a link that has expired, and its text is gone: the user asks for a new link');
    if (!queued) throw conflict('mail_not_failed', `This mail is ${row.state}; only a failed mail can be retried`);
    await this.enqueue(mailId);
    return queued;
  }

  /**
   * Queues again the mails whose job is gone (a Redis restored from an older backup, or lost):
   * queued or failed-and-due for more than a few minutes, or held by a worker that died. Safe
   * when the job still exists: the claim lets one try through at a time.
   */
  async requeueStranded(): Promise<number> {
    const rows = await select<{ id: string }>(
      this.db,
      `SELECT id FROM notifications_mails
       WHERE (state = 'queued' AND updated_at < now() - interval '5 minutes')
          OR (state = 'failed' AND next_attempt_at < now() - interval '5 minutes')
          OR (state = 'sending' AND lease_until < now())
       ORDER BY created_at LIMIT 1000`,
    );
    for (const r of rows) await this.enqueue(r.id);
    return rows.length;
  }

  /** Forgets sent mails older than `days`. */
  async prune(days: number): Promise<void> {
    await execute(this.db, `DELETE FROM notifications_mails WHERE state = 'sent' AND sent_at < now() - make_interval(days => :days)`, { days });
  }

  /**
   * Gives up the link mails not sent while their link worked: they stay failed (admins see
   * them), without their text, so no dump holds a link, even a dead one. A try under way is
   * left alone (sent, its text goes anyway; failed, the next sweep drops it). Returns how many.
   */
  async dropExpiredLinks(): Promise<number> {
    let dropped = 0;
    for (const [kind, seconds] of Object.entries(this.opts.linkLifetimes)) {
      const rows = await select<{ id: string }>(
        this.db,
        `UPDATE notifications_mails
         SET state = 'failed', body_text = NULL, body_html = NULL, next_attempt_at = NULL, lease_until = NULL, last_error = :why, updated_at = now()
         WHERE kind = :kind AND state IN ('queued', 'failed') AND body_text IS NOT NULL AND created_at < now() - make_interval(secs => :seconds)
         RETURNING id`,
        { kind, seconds, why: linkExpired },
      );
      dropped += rows.length;
    }
    return dropped;
  }
}
