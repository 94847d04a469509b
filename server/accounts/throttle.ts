// Failed-login and sign-up limits: sliding windows kept in Redis sorted sets (one member per
// attempt, scored by Redis's own clock). An attempt is checked and recorded in one script, before
// any password is hashed, so parallel guesses cannot slip past a limit and a locked account
// cannot be probed. Redis unreachable: logins and sign-ups are refused (503), see ThrottleUnavailable.
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { AppError } from '../http/errors.js';
import { metricOnce } from '../http/metrics.js';
import type { Logger } from '../logger.js';
import type { AuthThrottleConfig } from './config.js';

export type ThrottleLimit = 'account' | 'address' | 'signup';

/** An error that tells the client when to come back (the route copies it to `Retry-After`). */
export class RetryLaterError extends AppError {
  constructor(status: number, code: string, message: string, readonly retryAfterSeconds: number, details: Record<string, unknown> = {}) {
    super(status, code, message, { ...details, retryAfterSeconds });
  }
}

const inWords = (s: number) => (s < 90 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`);
const refusals: Record<ThrottleLimit, (s: number) => string> = {
  account: (s) => `Too many failed logins for this account; it is locked for ${inWords(s)}`,
  address: (s) => `Too many failed logins from your address; try again in ${inWords(s)}`,
  signup: (s) => `Too many sign-ups from your address; try again in ${inWords(s)}`,
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

// KEYS: one sorted set per limit. ARGV[1]: this attempt's id, then (windowMs, max) per key.
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

export class AuthThrottle {
  private readonly throttled: Counter<'limit'>;

  constructor(
    private readonly redis: Redis,
    private readonly config: AuthThrottleConfig,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    const name = 'nineten_auth_throttled_total';
    this.throttled = metricOnce(metrics, name, () => new Counter({ name, help: 'Logins and sign-ups refused with 429, by the limit that was reached', labelNames: ['limit'], registers: [metrics] }));
  }

  /**
   * Counts a login for the account name (any address) and, when known, the client address.
   * Throws TooManyAttempts before the password is looked at when either window is full.
   */
  async beginLogin(username: string, address: string | undefined): Promise<LoginAttempt> {
    const account = this.window('account', `auth:login:account:${accountKey(username)}`);
    const windows = [account];
    const network = address === undefined ? undefined : clientNetwork(address, this.config.ipv6PrefixLength);
    if (network !== undefined) windows.push(this.window('address', `auth:login:address:${network}`));
    const id = await this.record(windows);
    return {
      settle: async (outcome) => {
        if (outcome === 'wrong_password') return;
        // A right password is not a guess: the address gets its try back (many people share
        // one address behind NAT), and the account's failures start again from zero so its
        // owner is not locked out by guesses they have just outlived. The address's own
        // failures stay, so logging into one's own account does not reset a guessing budget.
        await this.forget(outcome === 'password_accepted' ? [{ del: account.key }] : [{ zrem: account.key, id }], windows.slice(1), id);
      },
    };
  }

  /** Counts a sign-up from the client address; throws TooManyAttempts when its window is full. */
  async beginSignup(address: string | undefined): Promise<SignupAttempt> {
    const window = this.window('signup', `auth:signup:address:${clientNetwork(address, this.config.ipv6PrefixLength)}`);
    const id = await this.record([window]);
    return { cancel: () => this.forget([], [window], id) };
  }

  private window(limit: ThrottleLimit, key: string): Window {
    const setting = limit === 'account' ? this.config.loginFailuresPerAccount : limit === 'address' ? this.config.loginFailuresPerAddress : this.config.signupsPerAddress;
    return { key, limit, ...setting };
  }

  private async record(windows: Window[]): Promise<string> {
    const id = randomBytes(12).toString('base64url');
    let answer: [number, number];
    try {
      const args = windows.flatMap((w) => [String(w.windowSeconds * 1000), String(w.max)]);
      answer = (await this.redis.eval(attemptScript, windows.length, ...windows.map((w) => w.key), id, ...args)) as [number, number];
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

  private async forget(accountOps: ({ del: string } | { zrem: string; id: string })[], windows: Window[], id: string): Promise<void> {
    const tx = this.redis.multi();
    for (const op of accountOps) {
      if ('del' in op) tx.del(op.del);
      else tx.zrem(op.zrem, op.id);
    }
    for (const w of windows) tx.zrem(w.key, id);
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

/**
 * The network a client address is counted under: an IPv4 address itself (also when written
 * IPv4-mapped), an IPv6 address cut to its first `v6PrefixLength` bits.
 */
export function clientNetwork(ip: string | undefined, v6PrefixLength: number): string {
  if (!ip) return 'unknown';
  let a = ip.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1];
  const version = isIP(a);
  if (version === 4) return a;
  if (version !== 6) return `other:${createHash('sha256').update(a).digest('base64url')}`;
  const groups = ipv6Groups(a).map((g, i) => {
    const kept = Math.min(16, Math.max(0, v6PrefixLength - i * 16));
    return kept === 0 ? 0 : g & ((0xffff << (16 - kept)) & 0xffff);
  });
  return `${groups.map((g) => g.toString(16)).join(':')}/${v6PrefixLength}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` and a dotted IPv4 tail expanded). */
function ipv6Groups(a: string): number[] {
  let tail: number[] = [];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number);
    tail = [(b0 << 8) | b1, (b2 << 8) | b3];
    a = a.slice(0, v4.index);
    if (a.endsWith(':') && !a.endsWith('::')) a = a.slice(0, -1);
  }
  const [head, rest] = a.includes('::') ? a.split('::') : [a, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = [...parse(rest), ...tail];
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}
