// The `auth.throttle` config section: how many failed logins and sign-ups the node takes
// before it answers 429. The node's config schema (server/config/schema.ts) embeds it.
import { z } from 'zod';

/** At most `max` events in any `windowSeconds` (a sliding window, not fixed buckets). */
const slidingLimit = (max: number, windowSeconds: number) =>
  z
    .object({
      max: z.number().int().min(1).max(100_000).default(max),
      windowSeconds: z.number().int().min(1).max(7 * 24 * 3600).default(windowSeconds),
    })
    .prefault({});

export const authThrottleSchema = z.object({
  /**
   * Failed logins for one account name (matched case-insensitively, known or not) from one
   * client address (IPv6: one /ipv6PrefixLength). Reaching it locks the name for that address
   * only, so guessing from elsewhere cannot keep the owner out.
   */
  loginFailuresPerAccount: slidingLimit(10, 15 * 60),
  /**
   * Failed logins for one account name from all addresses together: the ceiling that stops a
   * guess spread over many addresses. Reaching it locks the name for everyone.
   */
  loginFailuresPerAccountAnyAddress: slidingLimit(100, 15 * 60),
  /** Failed logins from one client address (IPv6: one /ipv6PrefixLength), whatever the names. */
  loginFailuresPerAddress: slidingLimit(30, 15 * 60),
  /** Sign-ups from one client address (accounts an admin creates are not counted). */
  signupsPerAddress: slidingLimit(10, 60 * 60),
  /**
   * Password-reset and verification-mail requests and address changes from one client address (answered 429 past it).
   * Counted whether or not the address has an account, so the answer tells nothing.
   */
  mailRequestsPerAddress: slidingLimit(10, 60 * 60),
  /**
   * Mails of one kind (verification, password reset) to one address. Past it no mail is sent, but
   * the answer stays the same: nobody can flood someone's inbox, and nobody learns the address has an account.
   */
  mailsPerRecipient: slidingLimit(3, 60 * 60),
  /**
   * Address changes of one account (each mails the new address and the old one). Counted, with
   * the client address's mail requests, before the answer says whether another account has the
   * address, so neither can be used to flood mailboxes or to probe who has an account.
   */
  emailChangesPerAccount: slidingLimit(5, 60 * 60),
  /** IPv6 clients are counted per network of this prefix length, since one host usually holds a whole /64. */
  ipv6PrefixLength: z.number().int().min(32).max(128).default(64),
});

export type AuthThrottleConfig = z.infer<typeof authThrottleSchema>;

/** The `auth` section: token lifetime, open sign-up, e-mail verification and the throttle above. */
export const authConfigSchema = z.object({
  tokenTtlSeconds: z.number().int().positive(),
  openSignup: z.boolean(),
  /**
   * `required`: an account made through sign-up cannot log in until its owner followed the link
   * mailed to the address (as PeerTube does); `optional`: the link is sent, and following it only
   * marks the address verified. Without mail (no mail.smtp.host) nothing can be verified and
   * accounts work either way (docs/email.md). Env EMAIL_VERIFICATION.
   */
  emailVerification: z.enum(['required', 'optional']).default('optional'),
  /** How long a verification link works. */
  verificationLinkSeconds: z.number().int().min(60).max(30 * 86_400).default(2 * 86_400),
  /** How long a password-reset link works (it works once). */
  passwordResetLinkSeconds: z.number().int().min(60).max(7 * 86_400).default(3600),
  /** Failed-login and sign-up limits (server/accounts/config.ts; docs/operations.md). */
  throttle: authThrottleSchema.prefault({}),
  /** API keys for listeners' apps (server/accounts/api-keys.ts; docs/apps.md). */
  apiKeys: z
    .object({
      /**
       * The file holding the node secret that seals stored keys (Subsonic's token login needs the
       * key itself). Made on first use, mode 0600; default `<dataDir>/secrets/api-key-sealing.key`.
       * Keep it with the data folder's backup, apart from database dumps.
       */
      sealingKeyFile: z.string().min(1).optional(),
      /** The most keys one account may have. */
      maxPerUser: z.number().int().min(1).max(1000).default(25),
    })
    .prefault({}),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;
