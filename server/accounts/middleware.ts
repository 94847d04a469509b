// Bearer authentication and role checks for routes.
import type { RequestHandler } from 'express';
import { AppError, forbidden, unauthorized } from '../http/errors.js';
import { roles, type Role, type User } from './service.js';
import type { AccountsApi } from './contract.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: User;
    }
  }
}

/** Reads a bearer token when present; a present but invalid token is an error. */
export function authenticate(accounts: Pick<AccountsApi, 'authenticate'>): RequestHandler {
  return (req, _res, next) => {
    const header = req.headers.authorization;
    // Other schemes (e.g. an HTTP-signature "Signature") belong to federation.
    if (!header || !/^Bearer\b/i.test(header)) return next();
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return next(unauthorized('Authorization must be "Bearer <token>"'));
    accounts
      .authenticate(m[1])
      .then((user) => {
        req.user = user;
        next();
      })
      .catch(next);
  };
}

/** Marks a middleware as a route's access check; a test requires one first on every route. */
export function accessCheck(description: string, fn: RequestHandler): RequestHandler {
  return Object.assign(fn, { accessCheck: description });
}

const reads = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The roles an account of each role holds: a moderator keeps an artist's rights (as PeerTube's
 * moderators keep a user's), an artist a listener's. An admin passes every check.
 */
const held: Record<Role, readonly Role[]> = {
  admin: roles,
  moderator: ['moderator', 'artist', 'listener'],
  artist: ['artist', 'listener'],
  listener: ['listener'],
  auditor: ['auditor'],
};

/** Whether the user's role holds `role` (see `held`): the one way the server compares roles for rights. */
export const hasRole = (user: Pick<User, 'role'>, role: Role): boolean => held[user.role]?.includes(role) ?? false;

export interface RoleCheckOptions {
  /**
   * Whether the route's writes publish: a silenced account is refused them. By default a check
   * that admits artists and not listeners publishes; `false` for an artist's writes that put
   * nothing before the public (withdrawing money, cancelling an upload, stopping a stream,
   * revoking a stream key): silence stops publishing only.
   */
  publishing?: boolean;
}

/**
 * Lets the request through when the user holds one of the roles (`hasRole`). A silenced account
 * (moderation) publishes nothing: a publishing check (see RoleCheckOptions) refuses its writes
 * with 403 `account_silenced` and still lets it read (its tracks, its earnings). Staff checks
 * (admin, moderator, auditor) ignore the measure: silencing is about publishing, and an admin's
 * account cannot be silenced at all (AccountsService.setStanding).
 */
export function requireRole(...args: Role[] | [...Role[], RoleCheckOptions]): RequestHandler {
  const list: readonly (Role | RoleCheckOptions)[] = args;
  const allowed = list.filter((a): a is Role => typeof a === 'string');
  const options = list.find((a): a is RoleCheckOptions => typeof a === 'object') ?? {};
  const publishing = options.publishing ?? (allowed.includes('artist') && !allowed.includes('listener'));
  const description = `role:${allowed.join('|')}${options.publishing === false ? ' (not publishing)' : ''}`;
  return accessCheck(description, (req, _res, next) => {
    if (!req.user) return next(unauthorized());
    if (!allowed.some((role) => hasRole(req.user!, role))) return next(forbidden(`This needs the role ${allowed.join(' or ')}`));
    if (publishing && req.user.silenced && !reads.has(req.method)) {
      return next(new AppError(403, 'account_silenced', 'A moderator has silenced this account: it cannot publish until that is lifted'));
    }
    next();
  });
}

/** Any signed-in user. */
export const requireUser: RequestHandler = accessCheck('user', (req, _res, next) => (req.user ? next() : next(unauthorized())));

/** Public route: deliberately open to everyone (so every route states its check). Checks
 * that depend on the resource (a private track) happen in the handler. */
export const isPublic: RequestHandler = accessCheck('public', (_req, _res, next) => next());
