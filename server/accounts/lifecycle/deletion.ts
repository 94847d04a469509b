// Deleting an account: asked for by its user (password and name re-entered) or an admin, the
// account is closed at once (disabled, sessions, tokens and app keys gone) and a job does the
// rest: every capability's part (their `onUserDeleting` hooks), then the tombstone. What goes and
// what stays, and why: docs/accounts.md.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../../context.js';
import { execute, select, selectOne } from '../../db/index.js';
import { AppError, conflict, notFound } from '../../http/errors.js';
import type { Logger } from '../../logger.js';
import type { AccountsService, User } from '../service.js';
import { farewellMailKind } from '../contract.js';
import type * as api from '../../../shared/api/index.js';

export type AccountDeletion = api.AccountDeletion;

interface DeletionRow {
  user_id: string;
  requested_by: string;
  requested_at: Date;
  state: AccountDeletion['state'];
  steps_total: number;
  steps_done: number;
  attempts: number;
  last_error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

const toDeletion = (r: DeletionRow): AccountDeletion => ({
  userId: r.user_id,
  requestedBy: r.requested_by,
  requestedAt: iso(r.requested_at)!,
  state: r.state,
  stepsDone: r.steps_done,
  stepsTotal: r.steps_total,
  attempts: r.attempts,
  lastError: r.last_error,
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
});

/** The name a deleted account's row carries: nothing of the person, unique among tombstones. */
export const tombstoneName = (userId: string, long = false) => `deleted-${userId.replace(/-/g, '').slice(0, long ? 32 : 12)}`;

/** One deletion job per account at a time: BullMQ keeps a second job with the same id out. */
const jobIdOf = (userId: string) => `accounts-delete-${userId}`;
const deletionJobOptions = { attempts: 8, backoff: { type: 'exponential', delay: 2000 } };

const isUniqueViolation = (err: unknown) => (err as { parent?: { code?: string } }).parent?.code === '23505';

export class AccountDeletions {
  private readonly log: Logger;

  constructor(
    private readonly ctx: NodeContext,
    private readonly accounts: AccountsService,
  ) {
    this.log = ctx.logger.child({ component: 'account-deletion' });
  }

  private get db() {
    return this.ctx.db;
  }

  async get(userId: string): Promise<AccountDeletion | undefined> {
    const row = await selectOne<DeletionRow>(this.db, 'SELECT * FROM accounts_deletions WHERE user_id = :userId', { userId });
    return row && toDeletion(row);
  }

  /**
   * Closes the account now and queues its deletion. An admin asking again for an account whose
   * deletion has not finished queues it again (a failed one is retried); a finished one answers
   * 409. Requests are counted one after the other (accounts' admins lock, taken first): two
   * admins deleting themselves or each other at once cannot leave the node without one.
   */
  async request(user: User, requestedBy: User): Promise<AccountDeletion> {
    const row = await this.db.transaction(async (t) => {
      await this.accounts.lockAdmins(t);
      const locked = await selectOne<{ role: string; disabled: boolean; deleted_at: Date | null }>(
        this.db,
        'SELECT role, disabled, deleted_at FROM users WHERE id = :id FOR UPDATE',
        { id: user.id },
        t,
      );
      if (!locked) throw notFound('User');
      if (locked.deleted_at) throw conflict('account_deleted', 'This account is deleted already');
      if (requestedBy.id !== user.id) {
        // An admin whose own account was closed meanwhile (deleted by another admin a moment ago) deletes no one.
        const asker = await selectOne<{ disabled: boolean }>(this.db, 'SELECT disabled FROM users WHERE id = :id', { id: requestedBy.id }, t);
        if (!asker || asker.disabled) throw new AppError(403, 'account_disabled', 'Your account is disabled');
      }
      if (locked.role === 'admin' && !locked.disabled) await this.accounts.refuseLastAdmin(user.id, t);
      await this.close(user.id, t);
      return selectOne<DeletionRow>(
        this.db,
        `INSERT INTO accounts_deletions (user_id, requested_by, state, steps_total) VALUES (:userId, :by, 'queued', :steps)
         ON CONFLICT (user_id) DO UPDATE SET state = CASE WHEN accounts_deletions.state = 'running' THEN 'running' ELSE 'queued' END, last_error = NULL
         RETURNING *`,
        { userId: user.id, by: requestedBy.id, steps: this.accounts.deletingHooks.length + 1 },
        t,
      );
    });
    await this.enqueue(user.id, requestedBy.id);
    this.log.info({ userId: user.id, by: requestedBy.id }, 'account deletion requested');
    await this.tellUser(user, requestedBy);
    return toDeletion(row!);
  }

  /** Signed out everywhere, apps' keys gone, and no new sign-in: before anything else is removed. */
  private async close(userId: string, t?: Transaction): Promise<void> {
    await execute(this.db, 'UPDATE users SET disabled = true, updated_at = now() WHERE id = :userId', { userId }, t);
    await execute(this.db, 'DELETE FROM auth_tokens WHERE user_id = :userId', { userId }, t);
    await execute(this.db, 'DELETE FROM api_keys WHERE user_id = :userId', { userId }, t);
    // Mailed links (address verification, password reset) stop working too.
    await execute(this.db, 'DELETE FROM account_email_tokens WHERE user_id = :userId', { userId }, t);
  }

  /**
   * Deletions the database says are queued or under way but no queue job will run (a restore
   * into an empty Redis, a Redis that lost its data) are queued again: a worker's start-time and
   * periodic sweep. One that failed for good waits for the user or an admin to ask again.
   */
  async requeueLost(signal?: AbortSignal): Promise<{ requeued: number }> {
    const rows = await select<{ user_id: string; requested_by: string }>(this.db, "SELECT user_id, requested_by FROM accounts_deletions WHERE state IN ('queued', 'running') ORDER BY requested_at");
    if (signal?.aborted || !rows.length) return { requeued: 0 };
    const requeued = await this.ctx.jobs.requeueNamed('accounts.delete', rows.map((r) => ({ jobId: jobIdOf(r.user_id), payload: { userId: r.user_id, requestedBy: r.requested_by } })), deletionJobOptions);
    if (requeued) this.ctx.logger.warn({ component: 'accounts', requeued }, 'account deletions had no queue job (a restore, or Redis lost its data): queued again');
    return { requeued };
  }

  /** Queues the deletion's job; a job still waiting or running is left to do the work, a finished one is replaced (a retry asked for). */
  private async enqueue(userId: string, requestedBy: string): Promise<void> {
    await this.ctx.jobs.requeueNamed('accounts.delete', [{ jobId: jobIdOf(userId), payload: { userId, requestedBy } }], deletionJobOptions);
  }

  /** A mail to the account's address, when it has one and the node sends mail (the address goes with the tombstone). */
  private async tellUser(user: User, requestedBy: User): Promise<void> {
    if (!user.email) return;
    try {
      const mailer = this.accounts.mailer.get();
      if (!mailer.enabled()) return;
      const byAdmin = requestedBy.id !== user.id;
      await mailer.queue({
        to: user.email,
        // Its address and subject are blanked once it is sent (notifications' outbox).
        kind: farewellMailKind,
        subject: `Your account ${user.username} on ${this.ctx.config.nodeName} is being deleted`,
        text: [
          `Your account ${user.username} on ${this.ctx.config.publicUrl} is being deleted${byAdmin ? ' by an administrator of the node' : ', as you asked'}.`,
          'Its tracks, channels, playlists and personal data are removed; what the accounting of the node must keep stays, detached from your name.',
          'This address is removed too: this is the last mail you get from this node about this account.',
        ].join('\n\n'),
      });
    } catch (err) {
      this.log.warn({ err, userId: user.id }, 'could not queue the deletion mail');
    }
  }

  /**
   * The job: every capability's part, then the tombstone. Parts run in the reverse order of
   * registration (capabilities register in init order), as a teardown does: those built on
   * others (live and federation on media's channels) take their part while what they build on
   * is still there. Every part is safe to run again, so a run that failed or crashed is simply
   * run again from the start.
   */
  async run(userId: string): Promise<void> {
    const row = await selectOne<DeletionRow>(this.db, 'SELECT * FROM accounts_deletions WHERE user_id = :userId', { userId });
    if (!row || row.state === 'done') return;
    const hooks = [...this.accounts.deletingHooks].reverse();
    await execute(
      this.db,
      `UPDATE accounts_deletions SET state = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), steps_total = :total, steps_done = 0, last_error = NULL
       WHERE user_id = :userId`,
      { userId, total: hooks.length + 1 },
    );
    const user = await this.accounts.byId(userId);
    if (!user) throw new Error(`deleting account ${userId}: no such user`);
    const log = this.log.child({ userId, run: randomUUID() });
    try {
      for (const [i, hook] of hooks.entries()) {
        await hook(user);
        await execute(this.db, 'UPDATE accounts_deletions SET steps_done = :done WHERE user_id = :userId', { userId, done: i + 1 });
      }
      await this.tombstone(userId);
      await execute(this.db, "UPDATE accounts_deletions SET state = 'done', steps_done = steps_total, finished_at = now() WHERE user_id = :userId", { userId });
      log.info({ steps: hooks.length + 1 }, 'account deleted');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await execute(this.db, "UPDATE accounts_deletions SET state = 'failed', last_error = :message WHERE user_id = :userId", { userId, message: message.slice(0, 2000) });
      log.warn({ err }, 'account deletion failed; it will be tried again');
      throw err;
    }
  }

  /**
   * The row stays (money and listening rows point at its id) with nothing of the person: a
   * made-up name, no address (nor one waiting to be confirmed), display name or password. The
   * old name stays taken (its hash).
   */
  private async tombstone(userId: string): Promise<void> {
    for (const long of [false, true]) {
      try {
        await this.db.transaction(async (t) => {
          const row = await selectOne<{ username: string; deleted_at: Date | null }>(this.db, 'SELECT username, deleted_at FROM users WHERE id = :userId FOR UPDATE', { userId }, t);
          if (!row || row.deleted_at) return;
          await execute(
            this.db,
            `INSERT INTO accounts_reserved_usernames (name_hash) VALUES (encode(digest(lower(:name), 'sha256'), 'hex')) ON CONFLICT DO NOTHING`,
            { name: row.username },
            t,
          );
          await execute(
            this.db,
            `UPDATE users SET username = :name, email = NULL, pending_email = NULL, email_verified = NULL, display_name = NULL,
                    password_hash = '!deleted', disabled = true, deleted_at = now(), updated_at = now() WHERE id = :userId`,
            { userId, name: tombstoneName(userId, long) },
            t,
          );
          await this.close(userId, t);
        });
        return;
      } catch (err) {
        // Two tombstones whose ids start alike: the second takes the whole id.
        if (long || !isUniqueViolation(err)) throw err;
      }
    }
  }

  /** Refuses what an admin may not delete: themselves (their own page does that, with their password). */
  static checkAdminTarget(admin: User, target: User | undefined): User {
    if (!target) throw notFound('User');
    if (target.id === admin.id) throw new AppError(409, 'cannot_delete_self', 'Delete your own account from your account page (it asks for your password)');
    return target;
  }
}
