// Bearer authentication and role checks for routes.
import type { RequestHandler } from 'express';
import { AppError, forbidden, unauthorized } from '../http/errors.js';
import type { Role, User } from './service.js';
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
 * Lets the request through when the user has one of the roles (admin passes every check). A
 * silenced account (moderation) publishes nothing: a check that admits artists (uploads,
 * channels, track edits, live, campaigns: every way of publishing) refuses its writes with 403
 * `account_silenced` and still lets it read (its tracks, its earnings). Staff checks (admin,
 * moderator, auditor) ignore the measure: silencing is about publishing, and an admin's account
 * cannot be silenced at all (AccountsService.setStanding).
 */
export function requireRole(...allowed: Role[]): RequestHandler {
  const publishing = allowed.includes('artist') && !allowed.includes('listener');
  return accessCheck(`role:${allowed.join('|')}`, (req, _res, next) => {
    if (!req.user) return next(unauthorized());
    if (req.user.role !== 'admin' && !allowed.includes(req.user.role)) return next(forbidden(`This needs the role ${allowed.join(' or ')}`));
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
