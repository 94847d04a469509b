// Failed-login, sign-up, address-change and account-mail limits: sliding windows kept in Redis sorted sets (one member per
// attempt, scored by Redis's own clock). An attempt is checked and recorded in one script, before
// any password is hashed, so parallel guesses cannot slip past a limit and a locked account
// cannot be probed. Redis unreachable: logins and sign-ups are refused (503), see ThrottleUnavailable.
import { createHash, randomBytes } from 'node:crypto';
import { clientNetwork } from '../http/client-address.js';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { RetryLaterError } from '../http/errors.js';
import { metricOnce } from '../http/metrics.js';
import type { Logger } from '../logger.js';
import type { AuthThrottleConfig } from './config.js';

/**
 * Each limit and the `auth.throttle` setting it counts by. `accountAddress` (one name from one
 * client network) is the strict one; `account` (one name from everywhere) is a far higher
 * ceiling, so that guesses from elsewhere cannot lock the owner out, yet a guess spread over
 * many addresses still stops.
 */
const settings = {
  accountAddress: 'loginFailuresPerAccount',
  account: 'loginFailuresPerAccountAnyAddress',
  address: 'loginFailuresPerAddress',
  signup: 'signupsPerAddress',
  mailRequest: 'mailRequestsPerAddress',
  mailRecipient: 'mailsPerRecipient',
  emailChange: 'emailChangesPerAccount',
} as const satisfies Record<string, keyof AuthThrottleConfig>;

export type ThrottleLimit = keyof typeof settings;

const inWords = (s: number) => (s < 90 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`);
const refusals: Record<ThrottleLimit, (s: number) => string> = {
  accountAddress: (s) => `Too many failed logins for this account from your address; try again in ${inWords(s)}`,
  account: (s) => `Too many failed logins for this account; it is locked for ${inWords(s)}`,
  address: (s) => `Too many failed logins from your address; try again in ${inWords(s)}`,
  signup: (s) => `Too many sign-ups from your address; try again in ${inWords(s)}`,
  mailRequest: (s) => `Too many password-reset, verification or address-change requests from your address; try again in ${inWords(s)}`,
  mailRecipient: (s) => `Enough mails went to this address for now; try again in ${inWords(s)}`,
  emailChange: (s) => `Too many address changes for this account; try again in ${inWords(s)}`,
};

export class TooManyAttempts extends RetryLaterError {
  constructor(readonly limit: ThrottleLimit, retryAfterSeconds: number) {
    super(429, 'too_many_attempts', refusals[limit](retryAfterSeconds), retryAfterSeconds, { limit });
  }
}

/**
 * The limits cannot be counted. Failing closed is safe here: signed-in users keep their tokens
 * (those are checked in PostgreSQL), nothing is locked for longer than Redis is away, and a
 * node without Redis cannot run its jobs anyway. Failing open would lift every limit exactly
 * when an attacker manages to knock Redis over.
 */
export class ThrottleUnavailable extends RetryLaterError {
  constructor() {
    super(503, 'throttle_unavailable', 'Logins and sign-ups are paused because the node cannot reach its rate-limit store; try again shortly', 30);
  }
}

// Registered on the Redis client once (defineCommand: EVALSHA, the body goes over the wire only
// when Redis does not know the script yet). KEYS: one sorted set per limit. ARGV[1]: this
// attempt's id, then (windowMs, max) per key.
// Returns {0, 0} after recording the attempt under every key, or {waitMs, i} when key i is
// full; then nothing is recorded, so refused attempts do not extend a lock.
const attemptScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait, which = 0, 0
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i])
  local max = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local n = redis.call('ZCARD', key)
  if n >= max then
    local oldest = redis.call('ZRANGE', key, n - max, n - max, 'WITHSCORES')
    local w = tonumber(oldest[2]) + window - now
    if w > wait then wait, which = w, i end
  end
end
if wait > 0 then return {wait, which} end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i]))
end
return {0, 0}
`;

interface Window {
  key: string;
  limit: ThrottleLimit;
  max: number;
  windowSeconds: number;
}

/** How a login attempt ended: only a wrong password keeps counting against its windows. */
export type LoginOutcome = 'wrong_password' | 'password_accepted' | 'not_checked';

export interface LoginAttempt {
  settle(outcome: LoginOutcome): Promise<void>;
}

export interface SignupAttempt {
  /** The request never became a sign-up (a form error): give the address its try back. */
  cancel(): Promise<void>;
}

/** The Redis client with the attempt script registered on it. */
type ThrottleRedis = Redis & { authAttempt(numKeys: number, ...keysThenArgs: string[]): Promise<[number, number]> };

export class AuthThrottle {
  private readonly throttled: Counter<'limit'>;
  private readonly redis: ThrottleRedis;

  constructor(
    redis: Redis,
    private readonly config: AuthThrottleConfig,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    redis.defineCommand('authAttempt', { lua: attemptScript });
    this.redis = redis as ThrottleRedis;
    const name = 'nineten_auth_throttled_total';
    this.throttled = metricOnce(metrics, name, () => new Counter({ name, help: 'Logins and sign-ups refused with 429, by the limit that was reached', labelNames: ['limit'], registers: [metrics] }));
  }

  /**
   * Counts a login for the account name from the client's network, for the name from anywhere,
   * and for the network. Throws TooManyAttempts before the password is looked at when any
   * window is full.
   */
  async beginLogin(username: string, address: string | undefined): Promise<LoginAttempt> {
    const name = accountKey(username);
    const network = clientNetwork(address, this.config.ipv6PrefixLength);
    const accountWindows = [this.window('accountAddress', `auth:login:account:${name}:${network}`), this.window('account', `auth:login:account:${name}`)];
    // No address (an in-process caller): the name is counted, no network is.
    const addressWindows = address === undefined ? [] : [this.window('address', `auth:login:address:${network}`)];
    const id = await this.record([...accountWindows, ...addressWindows]);
    return {
      settle: async (outcome) => {
        if (outcome === 'wrong_password') return;
        // A right password is not a guess: the address gets its try back (many people share
        // one address behind NAT), and the account's failures start again from zero so its
        // owner is not locked out by guesses they have just outlived. The address's own
        // failures stay, so logging into one's own account does not reset a guessing budget.
        if (outcome === 'password_accepted') await this.forget(accountWindows.map((w) => w.key), addressWindows, id);
        else await this.forget([], [...accountWindows, ...addressWindows], id);
      },
    };
  }

  /** Counts a sign-up from the client address; throws TooManyAttempts when its window is full. */
  async beginSignup(address: string | undefined): Promise<SignupAttempt> {
    const window = this.window('signup', `auth:signup:address:${clientNetwork(address, this.config.ipv6PrefixLength)}`);
    const id = await this.record([window]);
    return { cancel: () => this.forget([], [window], id) };
  }

  /** Counts a request for a password-reset or verification mail from the client address; throws TooManyAttempts when its window is full. */
  async beginMailRequest(address: string | undefined): Promise<void> {
    await this.record([this.mailRequestWindow(address)]);
  }

  private mailRequestWindow(address: string | undefined): Window {
    return this.window('mailRequest', `auth:mail:address:${clientNetwork(address, this.config.ipv6PrefixLength)}`);
  }

  /**
   * Counts a change of an account's address: per account, and per client address in the window of
   * mail requests (a change mails the new address and the old one). Throws TooManyAttempts when
   * either is full, and then counts neither.
   */
  async beginEmailChange(userId: string, address: string | undefined): Promise<void> {
    await this.record([
      this.window('emailChange', `auth:mail:change:${userId}`),
      this.mailRequestWindow(address),
    ]);
  }

  /**
   * Counts one mail of a kind to an address; false when enough went there lately. The caller
   * answers the same either way, so the limit tells nobody whether the address has an account.
   */
  async mayMail(kind: string, email: string): Promise<boolean> {
    try {
      await this.record([this.window('mailRecipient', `auth:mail:to:${kind}:${accountKey(email)}`)]);
      return true;
    } catch (err) {
      if (err instanceof TooManyAttempts) return false;
      throw err;
    }
  }

  private window(limit: ThrottleLimit, key: string): Window {
    return { key, limit, ...this.config[settings[limit]] };
  }

  private async record(windows: Window[]): Promise<string> {
    const id = randomBytes(12).toString('base64url');
    let answer: [number, number];
    try {
      const args = windows.flatMap((w) => [String(w.windowSeconds * 1000), String(w.max)]);
      answer = await this.redis.authAttempt(windows.length, ...windows.map((w) => w.key), id, ...args);
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'login throttle: Redis unavailable, refusing logins and sign-ups');
      throw new ThrottleUnavailable();
    }
    const [waitMs, which] = answer;
    if (waitMs <= 0) return id;
    const full = windows[which - 1];
    this.throttled.inc({ limit: full.limit });
    throw new TooManyAttempts(full.limit, Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** Deletes the keys `clear` and takes attempt `id` back from `release`. */
  private async forget(clear: string[], release: Window[], id: string): Promise<void> {
    const tx = this.redis.multi();
    for (const key of clear) tx.del(key);
    for (const w of release) tx.zrem(w.key, id);
    try {
      await tx.exec();
    } catch (err) {
      // Only costs the client one counted attempt too many; the login itself stands.
      this.logger.warn({ err: (err as Error).message }, 'login throttle: could not release an attempt');
    }
  }
}

/** Account names are counted case-insensitively (as logins match them), hashed to bound the key. */
export function accountKey(username: string): string {
  return createHash('sha256').update(username.toLowerCase()).digest('base64url');
}

