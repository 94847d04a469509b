// The account flows that go through the owner's mailbox: confirming an address (at sign-up, on
// a change, on request), resetting a forgotten password, and changing the address. Each link
// carries a random token kept only as its SHA-256, works once, and expires. Requests that name
// an address answer the same whether an account has it or not, and do their work in the
// background, so neither the answer nor its timing tells who has an account.
import { createHash, randomBytes } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { z } from 'zod';
import { execute, selectOne } from '../db/index.js';
import { AppError, badRequest, conflict } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { MailPort } from './contract.js';
import type { AuthConfig } from './config.js';
import { MailDisabled } from './mail-port.js';
import { addressChangedMail, passwordResetMail, verificationMail, type NodeIdentity } from './email-messages.js';
import { hashPassword } from './passwords.js';
import { newUserSchema, type AccountsService, type RequestOrigin, type User } from './service.js';
import type { AuthThrottle } from './throttle.js';
import type * as api from '../../shared/api/index.js';

type Purpose = 'verify-email' | 'password-reset';

/** What became of confirming the address, told with a sign-up or an address change. */
export type EmailVerification = api.UserAndVerification['emailVerification'];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const sameAddress = (a: string | null, b: string | null) => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();
const address = z.email().max(320);
const isUniqueViolation = (err: unknown) => (err as { parent?: { code?: string } }).parent?.code === '23505';

const invalidLink = () =>
  new AppError(400, 'invalid_token', 'This link does not work: it was used already, it expired, or a newer one replaced it. Ask for a new one');
const emailTaken = () => conflict('email_taken', 'Another account has this e-mail address');

export class AccountEmail {
  private readonly log: Logger;

  constructor(
    private readonly db: Sequelize,
    private readonly accounts: AccountsService,
    private readonly throttle: AuthThrottle,
    private readonly auth: Pick<AuthConfig, 'verificationLinkSeconds' | 'passwordResetLinkSeconds'>,
    private readonly node: NodeIdentity,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'account-email' });
  }

  private get mail(): MailPort {
    return this.accounts.mailer.get();
  }

  private requireMail(what: string): void {
    if (!this.mail.enabled()) throw new MailDisabled(what);
  }

  /** Before a sign-up: when every account must confirm an address, one must be given. */
  checkSignUp(email: unknown): void {
    if (this.accounts.verificationRequired() && !email) {
      throw badRequest('email_required', 'This node asks every new account to confirm an e-mail address: give one');
    }
  }

  /**
   * After a sign-up or a guest's claim: a link to confirm the address, when there is one and mail
   * is on. Whether login waits for it was written with the account (AccountsService.signUp/claim).
   */
  async afterSignUp(user: User): Promise<EmailVerification> {
    if (!user.email) return { state: 'not_sent', required: false };
    if (!this.mail.enabled()) return { state: 'mail_disabled', required: false };
    this.inBackground('verification mail', () => this.sendVerification(user, user.email!));
    return { state: 'sent', required: this.accounts.verificationRequired() };
  }

  /** Follows a verification link: the address (or the new one waiting for it) is confirmed. */
  async verify(token: string): Promise<{ email: string }> {
    try {
      return await this.db.transaction(async (t) => {
        const link = await this.consume('verify-email', token, t);
        if (!link) throw invalidLink();
        const user = await selectOne<{ email: string | null; pending_email: string | null }>(this.db, 'SELECT email, pending_email FROM users WHERE id = :id FOR UPDATE', { id: link.user_id }, t);
        if (user && sameAddress(user.pending_email, link.email)) {
          await execute(this.db, 'UPDATE users SET email = pending_email, pending_email = NULL, email_verified = true, updated_at = now() WHERE id = :id', { id: link.user_id }, t);
        } else if (user && sameAddress(user.email, link.email)) {
          await execute(this.db, 'UPDATE users SET email_verified = true, updated_at = now() WHERE id = :id', { id: link.user_id }, t);
        } else {
          // The account has another address now: this link confirms nothing.
          throw invalidLink();
        }
        await this.retire('verify-email', link.user_id, t);
        return { email: link.email };
      });
    } catch (err) {
      throw isUniqueViolation(err) ? emailTaken() : err;
    }
  }

  /** "Send the link again": answers the same for any address; a link goes only to an account's unconfirmed one. */
  async requestVerification(email: string, from: RequestOrigin): Promise<void> {
    this.requireMail('Confirming an address');
    const to = address.parse(email);
    await this.throttle.beginMailRequest(from.address);
    this.inBackground('verification mail', async () => {
      const user = await selectOne<{ id: string; username: string; email: string | null; pending_email: string | null }>(
        this.db,
        `SELECT id, username, email, pending_email FROM users
         WHERE NOT disabled AND NOT guest AND ((lower(email) = lower(:e) AND email_verified IS NOT TRUE) OR lower(pending_email) = lower(:e))`,
        { e: to },
      );
      if (user) await this.sendVerification(user, sameAddress(user.pending_email, to) ? user.pending_email! : user.email!);
    });
  }

  /** "Forgot password": answers the same for any address; a link goes only to an account's. */
  async requestPasswordReset(email: string, from: RequestOrigin): Promise<void> {
    this.requireMail('Resetting a password by mail');
    const to = address.parse(email);
    await this.throttle.beginMailRequest(from.address);
    this.inBackground('password reset mail', async () => {
      const user = await selectOne<{ id: string; username: string; email: string }>(
        this.db,
        'SELECT id, username, email FROM users WHERE lower(email) = lower(:e) AND NOT disabled AND NOT guest',
        { e: to },
      );
      if (!user || !(await this.throttle.mayMail('password-reset', user.email))) return;
      const token = await this.issue('password-reset', user.id, user.email, this.auth.passwordResetLinkSeconds);
      await this.mail.queue(passwordResetMail(this.node, user.email, user.username, token, this.auth.passwordResetLinkSeconds));
    });
  }

  /**
   * Follows a reset link: the new password is set, every session of the account ends and its API
   * keys go (whoever took the account may have made some), and the address counts as confirmed
   * (the link reached it).
   */
  async resetPassword(token: string, password: string): Promise<{ username: string }> {
    const newPassword = newUserSchema.shape.password.parse(password);
    // Checked before the (deliberately slow) hash, so a wrong link costs the node nothing.
    const valid = await selectOne(this.db, `SELECT 1 FROM account_email_tokens WHERE token_hash = :h AND purpose = 'password-reset' AND used_at IS NULL AND expires_at > now()`, { h: sha256(token) });
    if (!valid) throw invalidLink();
    const hash = await hashPassword(newPassword);
    return this.db.transaction(async (t) => {
      const link = await this.consume('password-reset', token, t);
      if (!link) throw invalidLink();
      const user = await selectOne<{ username: string; email: string | null; disabled: boolean }>(this.db, 'SELECT username, email, disabled FROM users WHERE id = :id FOR UPDATE', { id: link.user_id }, t);
      if (!user || user.disabled || !sameAddress(user.email, link.email)) throw invalidLink();
      await execute(this.db, 'UPDATE users SET password_hash = :hash, email_verified = true, updated_at = now() WHERE id = :id', { id: link.user_id, hash }, t);
      await execute(this.db, 'DELETE FROM auth_tokens WHERE user_id = :id', { id: link.user_id }, t);
      await execute(this.db, 'DELETE FROM api_keys WHERE user_id = :id', { id: link.user_id }, t);
      await this.retire('password-reset', link.user_id, t);
      this.log.info({ userId: link.user_id }, 'password reset by mail; sessions ended, API keys revoked');
      return { username: user.username };
    });
  }

  /**
   * A new address for a signed-in account (its password again). Mail on: a link goes to the new
   * address; when verification is required the old address stays until the link is followed.
   * Mail off: the address changes at once, unconfirmed. Counted per account and per client
   * address (as mail requests are) before the "taken" answer, which would otherwise tell who
   * has an account, and before any mail.
   */
  async changeEmail(user: User, input: { email: string; password: string }, from: RequestOrigin): Promise<{ user: User; emailVerification: EmailVerification }> {
    const email = address.parse(input.email);
    await this.accounts.confirmPassword(user.id, input.password, from);
    const answer = async (emailVerification: EmailVerification) => ({ user: (await this.accounts.byId(user.id))!, emailVerification });
    if (sameAddress(user.email, email)) {
      // Keeping the address one has: a change waiting for its link is dropped.
      await execute(this.db, 'UPDATE users SET pending_email = NULL WHERE id = :id', { id: user.id });
      return answer({ state: 'not_sent', required: false });
    }
    await this.throttle.beginEmailChange(user.id, from.address);
    const taken = await selectOne(this.db, 'SELECT 1 FROM users WHERE id <> :id AND lower(email) = lower(:e)', { id: user.id, e: email });
    if (taken) throw emailTaken();
    const mailOn = this.mail.enabled();
    const required = this.accounts.verificationRequired();
    try {
      if (mailOn && required) await execute(this.db, 'UPDATE users SET pending_email = :e, updated_at = now() WHERE id = :id', { id: user.id, e: email });
      // At once, unconfirmed but not asked to be (null): a later switch to required locks nobody out.
      else await execute(this.db, 'UPDATE users SET email = :e, email_verified = NULL, pending_email = NULL, updated_at = now() WHERE id = :id', { id: user.id, e: email });
    } catch (err) {
      throw isUniqueViolation(err) ? emailTaken() : err;
    }
    if (!mailOn) return answer({ state: 'mail_disabled', required: false });
    this.inBackground('verification mail', async () => {
      await this.sendVerification(user, email);
      if (user.email) await this.mail.queue(addressChangedMail(this.node, user.email, user.username, email));
    });
    return answer({ state: 'sent', required });
  }

  private async sendVerification(user: { id: string; username: string }, to: string): Promise<void> {
    if (!(await this.throttle.mayMail('verify-email', to))) {
      this.log.info({ userId: user.id }, 'verification mail not sent: enough went to this address lately');
      return;
    }
    const token = await this.issue('verify-email', user.id, to, this.auth.verificationLinkSeconds);
    await this.mail.queue(verificationMail(this.node, to, user.username, token, this.auth.verificationLinkSeconds));
  }

  /** A new link's token (only its hash is kept). */
  private async issue(purpose: Purpose, userId: string, email: string, lifetimeSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await execute(
      this.db,
      `INSERT INTO account_email_tokens (token_hash, purpose, user_id, email, expires_at)
       VALUES (:h, :purpose, :userId, :email, now() + make_interval(secs => :lifetime))`,
      { h: sha256(token), purpose, userId, email, lifetime: lifetimeSeconds },
    );
    return token;
  }

  /** Uses a link up: its account and address, or undefined when it is unknown, used or expired. */
  private async consume(purpose: Purpose, token: string, t: Transaction): Promise<{ user_id: string; email: string } | undefined> {
    return selectOne(
      this.db,
      `UPDATE account_email_tokens SET used_at = now()
       WHERE token_hash = :h AND purpose = :purpose AND used_at IS NULL AND expires_at > now()
       RETURNING user_id, email`,
      { h: sha256(token), purpose },
      t,
    );
  }

  /** The account's other open links of this purpose stop working (one was just followed). */
  private async retire(purpose: Purpose, userId: string, t: Transaction): Promise<void> {
    await execute(this.db, 'UPDATE account_email_tokens SET used_at = now() WHERE user_id = :userId AND purpose = :purpose AND used_at IS NULL', { userId, purpose }, t);
  }

  /** Work the answer does not wait for; a failure is logged (the requester was told nothing either way). */
  private inBackground(what: string, work: () => Promise<void>): void {
    void work().catch((err) => this.log.error({ err }, `${what} failed`));
  }
}
