// What other capabilities may ask of accounts. The routes of accounts use the service itself.
import type { NewUser, Role, TokenPair, User } from './service.js';
import type { AppAuthentication, AppCredentials } from './api-keys.js';

export type UserCreatedHook = (user: User) => void | Promise<void>;

/** A mail for one address, queued by the notifications capability (accounts' mail port). */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** What it is, for the admin's list of mails (verify-email, password-reset, notification, ...). */
  kind: string;
}

/**
 * The kinds of mail accounts sends whose point is a single-use link, and the `auth` setting that
 * says how long the link works: a mail still unsent when its link expired is not worth sending,
 * and notifications drops its text (docs/email.md).
 */
export const linkMailLifetimes = { 'verify-email': 'verificationLinkSeconds', 'password-reset': 'passwordResetLinkSeconds' } as const;
export type LinkMailKind = keyof typeof linkMailLifetimes;

/** The last mail to an account being deleted (lifecycle/deletion.ts): its address goes with the account. */
export const farewellMailKind = 'account-deleted';

/**
 * The kinds of mail whose address and subject the outbox blanks once sent (or given up): every
 * other mail to a deleted account's address is blanked by the deletion itself (docs/accounts.md).
 */
export const forgottenOnceSentMailKinds: readonly string[] = [farewellMailKind];

/** Accounts' port for sending mail (provided by notifications, wired in node.ts). */
export interface MailPort {
  /** Whether SMTP is configured; when not, flows that would send mail say so instead of failing. */
  enabled(): boolean;
  /**
   * Queues the mail (BullMQ, retried with backoff); never waits for the SMTP server. Throws
   * MailDisabled (accounts/mail-port.ts, 503 `mail_disabled`) when mail is off.
   */
  queue(mail: OutgoingMail): Promise<void>;
}

/**
 * Runs when an account is being deleted, before accounts tombstones its row: each capability
 * removes its media and personal data and keeps what the books need, detached. A hook must be
 * safe to run again (a deletion that crashed is run again from the start).
 */
export type UserDeletingHook = (user: User) => Promise<void>;

/** One file of a user's data export, collected by the capability that holds that data. */
export interface AccountExportPart {
  /** The file's name inside the archive, e.g. `playlists.json`. */
  file: string;
  /** The file's content: JSON-serialisable (written as JSON), or a string written as is. */
  collect(user: User): Promise<unknown>;
}

/** A moderator's measures on a local account: suspended (cannot sign in) and silenced (cannot publish). */
export interface AccountStanding {
  suspended?: boolean;
  silenced?: boolean;
}

/** How many accounts the node has and how many were active lately (NodeInfo's usage). */
export interface AccountActivity {
  total: number;
  activeMonth: number;
  activeHalfyear: number;
}

export interface AccountsApi {
  byId(id: string): Promise<User | undefined>;
  byUsername(username: string): Promise<User | undefined>;
  /** Accounts, oldest first, of one role when given (the admins to tell about something). */
  list(opts?: { role?: Role; limit?: number; offset?: number }): Promise<{ total: number; data: User[] }>;
  /** The usernames of accounts by id (ids that name no account are left out). */
  usernames(ids: readonly string[]): Promise<Map<string, string>>;
  /** The account behind a bearer token, or 401. */
  authenticate(token: string): Promise<User>;
  /**
   * What a listener's app presents (Subsonic `apiKey`, `u`+`p`, `u`+`t`+`s`; a ListenBrainz
   * token): the account whose API key it is, or why not. The account password is never accepted.
   */
  authenticateApp(credentials: AppCredentials): Promise<AppAuthentication>;
  /** Makes an account without the sign-up throttle (admins, scripts). */
  create(input: NewUser): Promise<User>;
  activity(): Promise<AccountActivity>;
  /** A guest account, signed in (a watch link opened without a sign-up). */
  createGuest(): Promise<{ user: User; tokens: TokenPair }>;
  /** Event: a guest claimed their account (after commit). */
  onGuestClaimed(hook: UserCreatedHook): void;
  /** Event: an account was made (after commit). */
  onUserCreated(hook: UserCreatedHook): void;
  /** Wires the mail port (node.ts, once). */
  useMailer(port: MailPort): void;
  /** Suspends or silences an account, or lifts that (moderation); suspending ends its sessions. */
  setStanding(userId: string, standing: AccountStanding): Promise<User>;
  /** Registers a capability's part of deleting an account (see UserDeletingHook). */
  onUserDeleting(hook: UserDeletingHook): void;
  /** Registers a capability's file in a user's data export. */
  onExport(part: AccountExportPart): void;
}
