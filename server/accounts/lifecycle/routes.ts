// The routes of deleting and exporting an account: by its user, and by an admin for a user.
import { Router } from 'express';
import { z } from 'zod';
import { AppError, badRequest, notFound, route } from '../../http/errors.js';
import { requireRole, requireUser } from '../middleware.js';
import type { AccountsService, User } from '../service.js';
import { AccountDeletions } from './deletion.js';
import type { AccountExports } from './export.js';

const ownDeletion = z.object({ password: z.string().min(1).max(200), confirm: z.string().min(1).max(100) }).strict();

/**
 * The password entered again, checked by accounts' one door for passwords (its throttle
 * included) without signing in: an account kept from logging in (its address not confirmed
 * yet) may still delete itself.
 */
async function checkPassword(accounts: AccountsService, user: User, password: string, address: string | undefined): Promise<void> {
  if (user.guest) throw new AppError(409, 'guest_account', 'A guest account has no password: claim it first, or ask an admin to delete it');
  try {
    await accounts.confirmPassword(user.id, password, { address });
  } catch (err) {
    if (err instanceof AppError && err.code === 'wrong_password') throw new AppError(403, 'wrong_password', 'That is not the password of this account');
    throw err;
  }
}

export function lifecycleRouter(accounts: AccountsService, deletions: AccountDeletions, exports: AccountExports): Router {
  const r = Router();
  const userParam = async (id: string) => {
    const user = await accounts.byId(id);
    if (!user) throw notFound('User');
    return user;
  };

  r.delete(
    '/api/v1/users/me',
    requireUser,
    route(async (req, res) => {
      const body = ownDeletion.parse(req.body ?? {});
      const me = req.user!;
      if (body.confirm.trim().toLowerCase() !== me.username.toLowerCase()) {
        throw badRequest('confirmation_mismatch', 'Type your username to confirm that the account is to be deleted');
      }
      await checkPassword(accounts, me, body.password, req.ip);
      res.status(202).json(await deletions.request(me, me));
    }),
  );

  r.delete(
    '/api/v1/admin/users/:id',
    requireRole('admin'),
    route(async (req, res) => {
      const target = AccountDeletions.checkAdminTarget(req.user!, await accounts.byId(req.params.id));
      res.status(202).json(await deletions.request(target, req.user!));
    }),
  );

  r.get(
    '/api/v1/admin/users/:id/deletion',
    requireRole('admin'),
    route(async (req, res) => {
      const deletion = await deletions.get((await userParam(req.params.id)).id);
      if (!deletion) throw notFound('Deletion of this account');
      res.json(deletion);
    }),
  );

  r.get(
    '/api/v1/users/me/export',
    requireUser,
    route(async (req, res) => {
      await exports.send(res, req.user!, req.user!);
    }),
  );

  r.get(
    '/api/v1/admin/users/:id/export',
    requireRole('admin'),
    route(async (req, res) => {
      await exports.send(res, await userParam(req.params.id), req.user!);
    }),
  );

  return r;
}
