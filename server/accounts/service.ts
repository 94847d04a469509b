// Users, roles and bearer tokens.
import { createHash, randomBytes } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { Counter, type Registry } from 'prom-client';
import { z, ZodError } from 'zod';
import { select, selectOne, execute } from '../db/index.js';
import type { AccountActivity, AccountExportPart, AccountsApi, AccountStanding, MailPort, UserCreatedHook, UserDeletingHook } from './contract.js';
import { Port } from '../context.js';
import { AppError, badRequest, conflict, notFound, unauthorized } from '../http/errors.js';
import type { AuthConfig } from './config.js';
import { metricOnce } from '../http/metrics.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { AuthThrottle, LoginOutcome } from './throttle.js';
import type { ApiKeys, AppAuthentication, AppCredentials } from './api-keys.js';
import type * as api from '../../shared/api/index.js';
import { isUuid } from '../../shared/ids.js';

export const roles = ['admin', 'moderator', 'artist', 'listener', 'auditor'] as const;
export type Role = (typeof roles)[number];

export type User = api.User;

export type TokenPair = api.TokenPair;

export const usernameSchema = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9_]+$/i, 'letters, digits and underscores only');

export const newUserSchema = z.object({
  username: usernameSchema,
  password: z.string().min(8, 'at least 8 characters').max(200),
  email: z.string().email().max(320).optional(),
  displayName: z.string().min(1).max(100).optional(),
  role: z.enum(roles).default('listener'),
});
export type NewUser = z.input<typeof newUserSchema>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Whether the account `alias` is closed for good: deleted (a tombstone), or its deletion asked
 * for and not finished (lifecycle/deletion.ts closes it at once; nothing opens it again).
 */
export const closedAccount = (alias: string) => `(${alias}.deleted_at IS NOT NULL OR EXISTS (SELECT 1 FROM accounts_deletions d WHERE d.user_id = ${alias}.id))`;

/** A user as the service reads it: the row of `users u`, and whether it is closed for good. */
const userColumns = `u.*, ${closedAccount('u')} AS closed`;

export const accountDeleted = () => conflict('account_deleted', 'This account is deleted, or being deleted: it cannot be changed, enabled or used again');

const lastAdmin = () => conflict('last_admin', "This is the node's last enabled admin account: make another admin first");

const adminNotSilenced = (detail = "An admin's account cannot be silenced (moderation never acts on admins): change its role first") => conflict('admin_not_silenced', detail);

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  role: Role;
  display_name: string | null;
  disabled: boolean;
  created_at: Date;
  password_hash: string;
  guest: boolean;
  silenced: boolean;
  /**
   * null: never asked to confirm (made by an admin, while verification was optional or mail off,
   * or before migration 0007); false: made while verification was required, link not followed
   * yet (kept from logging in); true: a link was followed.
   */
  email_verified: boolean | null;
  pending_email: string | null;
  deleted_at: Date | null;
  /** Read with `userColumns` only (a row just inserted or claimed is never closed). */
  closed?: boolean;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  email: r.email,
  role: r.role,
  displayName: r.display_name,
  disabled: r.disabled,
  silenced: r.silenced,
  guest: r.guest,
  emailVerified: r.email_verified === true,
  pendingEmail: r.pending_email,
  deleted: r.closed === true,
  createdAt: new Date(r.created_at).toISOString(),
});


/** Where a login or sign-up comes from: the client address as the node sees it (req.ip). */
export interface RequestOrigin {
  address?: string;
}

export class AccountsService implements AccountsApi {
  private createdHooks: UserCreatedHook[] = [];
  private claimedHooks: UserCreatedHook[] = [];
  /**
   * What a name without an account is checked against, so that it costs one scrypt verify with
   * the same parameters as a real account: the time of an answer does not tell who exists.
   */
  private readonly dummyHash = hashPassword(randomBytes(18).toString('base64'));
  private readonly verifications: Counter;

  constructor(
    private readonly db: Sequelize,
    private readonly auth: Pick<AuthConfig, 'tokenTtlSeconds' | 'emailVerification'>,
    private readonly throttle: AuthThrottle,
    metrics: Registry,
    /** API keys for listeners' apps (api-keys.ts). */
    readonly apiKeys: ApiKeys,
  ) {
    const name = 'nineten_auth_password_verifications_total';
    // Known and unknown names are deliberately not told apart: /metrics is public.
    this.verifications = metricOnce(metrics, name, () => new Counter({ name, help: 'Password hash verifications run for logins (known and unknown names alike)', registers: [metrics] }));
  }

  authenticateApp(credentials: AppCredentials): Promise<AppAuthentication> {
    return this.apiKeys.authenticate(credentials);
  }

  /** The mail port (notifications), wired by node.ts. */
  readonly mailer = new Port<MailPort>('mail');
  /** Capabilities' parts of deleting an account, in registration order (server/accounts/lifecycle/). */
  readonly deletingHooks: UserDeletingHook[] = [];
  /** Capabilities' files of a data export (server/accounts/lifecycle/). */
  readonly exportParts: AccountExportPart[] = [];

  useMailer(port: MailPort): void {
    this.mailer.wire(port);
  }

  onUserDeleting(hook: UserDeletingHook): void {
    this.deletingHooks.push(hook);
  }

  onExport(part: AccountExportPart): void {
    this.exportParts.push(part);
  }

  /**
   * Whether an account whose address is not confirmed yet is kept from logging in: only when the
   * node asks for it and can send the link at all.
   */
  verificationRequired(): boolean {
    return this.auth.emailVerification === 'required' && this.mailer.get().enabled();
  }

  /**
   * Whether an account is kept from signing in until its address is confirmed: it was asked to
   * (made while verification was required: email_verified false) and the node still asks.
   * Accounts made while it was optional (null) are never locked out by a switch to required.
   */
  private awaitsVerification(row: Pick<UserRow, 'email_verified'>): boolean {
    return row.email_verified === false && this.verificationRequired();
  }

  /** What a new account (a sign-up, a guest's claim) records: asked to confirm its address, or not (see UserRow.email_verified). */
  private asksToConfirm(email: string | undefined): false | null {
    return email && this.verificationRequired() ? false : null;
  }

  /**
   * Suspending ends every session at once (API keys stop working while the account is disabled).
   * An admin is never silenced: staff checks ignore the measure, and moderation does not act on admins.
   */
  async setStanding(userId: string, standing: AccountStanding): Promise<User> {
    if (!isUuid(userId)) throw notFound('User');
    await this.db.transaction(async (t) => {
      const user = await this.lockForChange(userId, t);
      if (standing.silenced && user.role === 'admin') throw adminNotSilenced();
      if (standing.suspended && user.role === 'admin' && !user.disabled) await this.refuseLastAdmin(userId, t);
      await execute(
        this.db,
        'UPDATE users SET disabled = coalesce(:suspended, disabled), silenced = coalesce(:silenced, silenced), updated_at = now() WHERE id = :id',
        { id: userId, suspended: standing.suspended ?? null, silenced: standing.silenced ?? null },
        t,
      );
    });
    if (standing.suspended) await this.endSessions(userId);
    const after = (await this.byId(userId))!;
    this.standingChanged(after);
    return after;
  }

  private standingListeners: ((e: { userId: string; suspended: boolean; silenced: boolean }) => void)[] = [];

  /** Event: an account was suspended, silenced or disabled, or that was lifted (after the change). */
  onStandingChanged(listener: (e: { userId: string; suspended: boolean; silenced: boolean }) => void): void {
    this.standingListeners.push(listener);
  }

  private standingChanged(user: User): void {
    for (const l of this.standingListeners) l({ userId: user.id, suspended: user.disabled, silenced: user.silenced });
  }

  /** Other capabilities (federation keys, wallets) set themselves up for a new user here. */
  onUserCreated(hook: UserCreatedHook): void {
    this.createdHooks.push(hook);
  }

  /**
   * A sign-up through the public door: counted per client address before any work (a password
   * hash) is done. A form error gives the try back; a taken name does not (it tells the
   * client something). Admins creating accounts call `create`.
   */
  async signUp(input: NewUser, from: RequestOrigin): Promise<User> {
    const attempt = await this.throttle.beginSignup(from.address);
    try {
      return await this.insert(input, this.asksToConfirm(input.email));
    } catch (err) {
      if (err instanceof ZodError) await attempt.cancel();
      throw err;
    }
  }

  /** An account an admin (or a script) makes: its address is vouched for, never asked to be confirmed. */
  create(input: NewUser): Promise<User> {
    return this.insert(input, null);
  }

  /** `emailVerified` is written with the row, so no crash leaves an account that should wait for its link able to log in. */
  private async insert(input: NewUser, emailVerified: false | null): Promise<User> {
    const data = newUserSchema.parse(input);
    const taken = await selectOne(this.db, 'SELECT 1 FROM users WHERE lower(username) = lower(:u)', { u: data.username });
    if (taken) throw conflict('username_taken', `The username "${data.username}" is taken`);
    const hash = await hashPassword(data.password);
    let row: UserRow | undefined;
    try {
      row = await selectOne<UserRow>(
        this.db,
        `INSERT INTO users (username, email, password_hash, role, display_name, email_verified)
         VALUES (:username, :email, :hash, :role, :displayName, :emailVerified) RETURNING *`,
        { username: data.username, email: data.email ?? null, hash, role: data.role, displayName: data.displayName ?? null, emailVerified },
      );
    } catch (err) {
      if (/unique/i.test(String((err as Error).message))) throw conflict('username_taken', 'That username or email is taken');
      throw err;
    }
    const user = toUser(row!);
    for (const hook of this.createdHooks) await hook(user);
    return user;
  }

  /**
   * A guest account, signed in at once: no sign-up form, a password nobody knows. Only other
   * capabilities make them (a pre-funded watch link), each behind its own limits.
   */
  async createGuest(): Promise<{ user: User; tokens: TokenPair }> {
    const username = `guest_${randomBytes(9).toString('base64url').replace(/[^A-Za-z0-9]/g, '').slice(0, 10).toLowerCase()}${Date.now().toString(36).slice(-4)}`;
    const row = await selectOne<UserRow>(
      this.db,
      `INSERT INTO users (username, password_hash, role, display_name, guest) VALUES (:username, :hash, 'listener', 'Guest', true) RETURNING *`,
      { username, hash: await hashPassword(randomBytes(32).toString('base64')) },
    );
    const user = toUser(row!);
    for (const hook of this.createdHooks) await hook(user);
    return { user, tokens: await this.issueTokens(user.id, user.role) };
  }

  /**
   * A guest makes the account theirs: a username, a password, an email. When the node asks new
   * accounts to confirm their address, the claim records that (in the same statement) and, once
   * it is complete, ends the guest's sessions: the account is used after its link is followed.
   */
  async claim(userId: string, input: { username: string; password: string; email?: string }, from: RequestOrigin = {}): Promise<User> {
    const data = newUserSchema.pick({ username: true, password: true, email: true }).parse(input);
    // Guests only, and counted as sign-ups per client address, before any password hashing.
    const before = await selectOne<UserRow>(this.db, 'SELECT * FROM users WHERE id = :id AND guest', { id: userId });
    if (!before) throw conflict('not_a_guest', 'This account is not a guest account: it has its own username and password already');
    const taken = await selectOne(this.db, 'SELECT 1 FROM users WHERE lower(username) = lower(:u) AND id <> :id', { u: data.username, id: userId });
    if (taken) throw conflict('username_taken', `The username "${data.username}" is taken`);
    await this.throttle.beginSignup(from.address);
    const hash = await hashPassword(data.password);
    let row: UserRow | undefined;
    try {
      row = await selectOne<UserRow>(
        this.db,
        `UPDATE users SET username = :username, password_hash = :hash, email = :email, display_name = NULL, guest = false, email_verified = :emailVerified
         WHERE id = :id AND guest RETURNING *`,
        { id: userId, username: data.username, hash, email: data.email ?? null, emailVerified: this.asksToConfirm(data.email) },
      );
    } catch (err) {
      // A name or email taken between the check and the write (PostgreSQL's unique_violation).
      if ((err as { name?: string }).name === 'SequelizeUniqueConstraintError' || (err as { parent?: { code?: string } }).parent?.code === '23505') {
        throw conflict('username_taken', 'That username or email is taken');
      }
      throw err;
    }
    if (!row) throw conflict('not_a_guest', 'This account is not a guest account: it has its own username and password already');
    try {
      for (const hook of this.claimedHooks) await hook(toUser(row));
    } catch (err) {
      // What the claim brings (a watch link's credit) did not all arrive: the account stays a
      // guest's, so that claiming again finishes it (the hooks are safe to run twice).
      await execute(
        this.db,
        'UPDATE users SET username = :username, password_hash = :hash, email = :email, display_name = :displayName, guest = true, email_verified = :emailVerified WHERE id = :id',
        { id: userId, username: before.username, hash: before.password_hash, email: before.email, displayName: before.display_name, emailVerified: before.email_verified },
      );
      throw err;
    }
    // Not before: a claim whose hooks failed is finished by claiming again, signed in. (A crash
    // just before this leaves the guest's access token until it expires; refresh refuses it.)
    if (row.email_verified === false) await this.endSessions(userId);
    return toUser(row);
  }

  /** Event: a guest claimed their account (after commit). */
  onGuestClaimed(hook: UserCreatedHook): void {
    this.claimedHooks.push(hook);
  }

  async byId(id: string): Promise<User | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await selectOne<UserRow>(this.db, `SELECT ${userColumns} FROM users u WHERE u.id = :id`, { id });
    return row && toUser(row);
  }

  async byUsername(username: string): Promise<User | undefined> {
    const row = await selectOne<UserRow>(this.db, `SELECT ${userColumns} FROM users u WHERE lower(u.username) = lower(:u)`, { u: username });
    return row && toUser(row);
  }

  async usernames(ids: readonly string[]): Promise<Map<string, string>> {
    const valid = [...new Set(ids)].filter((id) => isUuid(id));
    if (!valid.length) return new Map();
    const rows = await select<{ id: string; username: string }>(this.db, 'SELECT id, username FROM users WHERE id = ANY(CAST(:ids AS uuid[]))', { ids: `{${valid.join(',')}}` });
    return new Map(rows.map((r) => [r.id, r.username]));
  }

  /** Enabled accounts, and those that signed in (got a token) in the last 30 and 180 days. */
  async activity(): Promise<AccountActivity> {
    const r = await selectOne<{ total: string; month: string; halfyear: string }>(
      this.db,
      `SELECT count(*) AS total,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM auth_tokens t WHERE t.user_id = u.id AND t.created_at > now() - interval '30 days')) AS month,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM auth_tokens t WHERE t.user_id = u.id AND t.created_at > now() - interval '180 days')) AS halfyear
       FROM users u WHERE NOT u.disabled`,
    );
    return { total: Number(r?.total ?? 0), activeMonth: Number(r?.month ?? 0), activeHalfyear: Number(r?.halfyear ?? 0) };
  }

  async list(opts: { role?: Role; limit?: number; offset?: number } = {}): Promise<{ total: number; data: User[] }> {
    const where = opts.role ? 'WHERE u.role = :role' : '';
    const rows = await select<UserRow>(this.db, `SELECT ${userColumns} FROM users u ${where} ORDER BY u.created_at LIMIT :limit OFFSET :offset`, {
      role: opts.role ?? null,
      limit: opts.limit ?? 50,
      offset: opts.offset ?? 0,
    });
    const total = await selectOne<{ n: string }>(this.db, `SELECT count(*) AS n FROM users u ${where}`, { role: opts.role ?? null });
    return { total: Number(total?.n ?? 0), data: rows.map(toUser) };
  }

  async count(): Promise<number> {
    const r = await selectOne<{ n: string }>(this.db, 'SELECT count(*) AS n FROM users');
    return Number(r?.n ?? 0);
  }

  /**
   * An admin's change; a new password (the way back in when the node sends no mail) ends the
   * account's sessions, as disabling does. `emailVerified: true` confirms the current address
   * (an account kept from logging in until its link is followed can then log in); an address
   * change waiting for its link stays waiting.
   */
  async update(id: string, patch: { role?: Role; disabled?: boolean; displayName?: string; password?: string; emailVerified?: true }): Promise<User> {
    const found = await this.byId(id);
    if (!found) throw new AppError(404, 'not_found', 'User not found');
    if (found.deleted) throw accountDeleted();
    const hash = patch.password === undefined ? null : await hashPassword(newUserSchema.shape.password.parse(patch.password));
    const user = await this.db.transaction(async (t) => {
      const before = await this.lockForChange(id, t);
      if (patch.role === 'admin' && before.role !== 'admin' && before.silenced) throw adminNotSilenced('This account is silenced, and an admin cannot be: lift the measure first');
      const role = patch.role ?? before.role;
      const disabled = patch.disabled ?? before.disabled;
      if (before.role === 'admin' && !before.disabled && (role !== 'admin' || disabled)) await this.refuseLastAdmin(id, t);
      if (patch.emailVerified && !before.email) throw conflict('no_email', 'This account has no e-mail address to confirm');
      await execute(
        this.db,
        `UPDATE users SET role = :role, disabled = :disabled, display_name = :displayName, password_hash = coalesce(:hash, password_hash),
           email_verified = CASE WHEN :verify THEN true ELSE email_verified END, updated_at = now() WHERE id = :id`,
        { id, role, disabled, displayName: patch.displayName ?? before.display_name, hash, verify: patch.emailVerified === true },
        t,
      );
      return before;
    });
    if (patch.disabled || hash) await this.endSessions(id);
    // A password an admin sets is a way back in for someone locked out: what an app was given before goes too, as with a reset.
    if (hash) await this.apiKeys.revokeAll(id);
    const after = (await this.byId(id))!;
    if (patch.disabled !== undefined && patch.disabled !== user.disabled) this.standingChanged(after);
    return after;
  }

  /**
   * Serialises every change that can leave the node without an enabled admin (a deletion asked
   * for, a demotion, disabling or suspending an admin): taken first, before any row lock, so
   * two such changes count the admins one after the other and lock rows in one order.
   */
  async lockAdmins(t: Transaction): Promise<void> {
    await execute(this.db, "SELECT pg_advisory_xact_lock(hashtext('accounts:admins'))", {}, t);
  }

  /** Refuses (409 last_admin) when no enabled admin but `userId` is left; under `lockAdmins`. */
  async refuseLastAdmin(userId: string, t: Transaction): Promise<void> {
    const others = await selectOne<{ n: string }>(
      this.db,
      "SELECT count(*) AS n FROM users WHERE role = 'admin' AND id <> :userId AND NOT disabled AND deleted_at IS NULL",
      { userId },
      t,
    );
    if (Number(others?.n ?? 0) === 0) throw lastAdmin();
  }

  /** The account's row, locked for a change (admins' lock first); 404, or 409 when it is closed for good. */
  private async lockForChange(id: string, t: Transaction): Promise<UserRow> {
    await this.lockAdmins(t);
    const row = await selectOne<UserRow>(this.db, `SELECT ${userColumns} FROM users u WHERE u.id = :id FOR UPDATE OF u`, { id }, t);
    if (!row) throw notFound('User');
    if (row.closed) throw accountDeleted();
    return row;
  }

  /** Ends every session (access and refresh tokens) of the account. */
  private async endSessions(userId: string): Promise<void> {
    await execute(this.db, 'DELETE FROM auth_tokens WHERE user_id = :id', { id: userId });
  }

  /**
   * The password grant. Failed logins are limited per account name from the client's network,
   * per account name from everywhere (a far higher ceiling) and, given `from.address`, per
   * client address; over a limit the call throws TooManyAttempts before the password is
   * checked, so a locked account cannot be probed even with the right password. Every door that
   * takes a password goes through here.
   */
  async login(username: string, password: string, from: RequestOrigin = {}): Promise<TokenPair> {
    // A name that cannot exist skips the lookup but not the hash (and is counted the same).
    const row = await this.passwordMatches(username, password, from, () =>
      usernameSchema.safeParse(username).success ? selectOne<UserRow>(this.db, `SELECT ${userColumns} FROM users u WHERE lower(u.username) = lower(:u)`, { u: username }) : Promise.resolve(undefined),
    );
    if (!row) throw new AppError(400, 'invalid_grant', 'Wrong username or password');
    if (row.closed) throw new AppError(403, 'account_deleted', 'This account is deleted');
    if (row.disabled) throw new AppError(403, 'account_disabled', 'This account is disabled');
    // Told only to whoever knows the password, as PeerTube does.
    if (this.awaitsVerification(row)) {
      throw new AppError(403, 'email_not_verified', 'Confirm your e-mail address first: open the link we mailed you. No mail? Ask for a new link (POST /api/v1/users/verify-email/resend)');
    }
    return this.issueTokens(row.id, row.role);
  }

  /** The signed-in user's password again (before changing the address), counted as a login is. */
  async confirmPassword(userId: string, password: string, from: RequestOrigin = {}): Promise<void> {
    const row = await selectOne<UserRow>(this.db, 'SELECT * FROM users WHERE id = :id', { id: userId });
    if (!row) throw unauthorized();
    if (!(await this.passwordMatches(row.username, password, from, async () => row))) throw badRequest('wrong_password', 'That is not your password');
  }

  /**
   * The row when the password is its own, else undefined. Counted per name and address by the
   * login throttle, which refuses (TooManyAttempts) before `lookup` runs or any hash is checked.
   */
  private async passwordMatches(name: string, password: string, from: RequestOrigin, lookup: () => Promise<UserRow | undefined>): Promise<UserRow | undefined> {
    const attempt = await this.throttle.beginLogin(name, from.address);
    let outcome: LoginOutcome = 'not_checked';
    try {
      const row = await lookup();
      this.verifications.inc();
      const ok = await verifyPassword(password, row?.password_hash ?? (await this.dummyHash));
      outcome = row && ok ? 'password_accepted' : 'wrong_password';
      return outcome === 'password_accepted' ? row : undefined;
    } finally {
      await attempt.settle(outcome);
    }
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const row = await selectOne<{ user_id: string }>(
      this.db,
      `DELETE FROM auth_tokens WHERE token_hash = :h AND kind = 'refresh' AND expires_at > now() RETURNING user_id`,
      { h: sha256(refreshToken) },
    );
    if (!row) throw new AppError(400, 'invalid_grant', 'Unknown or expired refresh token');
    const user = await selectOne<UserRow>(this.db, `SELECT ${userColumns} FROM users u WHERE u.id = :id`, { id: row.user_id });
    if (!user || user.disabled || user.closed || this.awaitsVerification(user)) throw new AppError(400, 'invalid_grant', 'Account unavailable');
    return this.issueTokens(user.id, user.role);
  }

  private async issueTokens(userId: string, role: Role): Promise<TokenPair> {
    const access = randomBytes(32).toString('base64url');
    const refresh = randomBytes(32).toString('base64url');
    await execute(
      this.db,
      `INSERT INTO auth_tokens (token_hash, kind, user_id, expires_at) VALUES
       (:a, 'access', :u, now() + make_interval(secs => :ttl)),
       (:r, 'refresh', :u, now() + make_interval(secs => :rttl))`,
      { a: sha256(access), r: sha256(refresh), u: userId, ttl: this.auth.tokenTtlSeconds, rttl: this.auth.tokenTtlSeconds * 30 },
    );
    return { access_token: access, token_type: 'Bearer', expires_in: this.auth.tokenTtlSeconds, refresh_token: refresh, scope: role };
  }

  async revoke(token: string): Promise<void> {
    await execute(this.db, 'DELETE FROM auth_tokens WHERE token_hash = :h', { h: sha256(token) });
  }

  /** The user behind a bearer token, or an error that says why not. */
  async authenticate(token: string): Promise<User> {
    const row = await selectOne<UserRow>(
      this.db,
      `SELECT ${userColumns} FROM auth_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = :h AND t.kind = 'access' AND t.expires_at > now()`,
      { h: sha256(token) },
    );
    if (!row) throw unauthorized('Invalid or expired access token');
    if (row.closed) throw new AppError(403, 'account_deleted', 'This account is deleted');
    if (row.disabled) throw new AppError(403, 'account_disabled', 'This account is disabled');
    return toUser(row);
  }
}
