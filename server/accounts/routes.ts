import express, { Router } from 'express';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { AppError, badRequest, forbidden, route } from '../http/errors.js';
import { isPublic, requireRole, requireUser } from './middleware.js';
import { roles, type AccountsService } from './service.js';

const tokenRequest = z.discriminatedUnion('grant_type', [
  z.object({ grant_type: z.literal('password'), username: z.string().min(1), password: z.string().min(1) }),
  z.object({ grant_type: z.literal('refresh_token'), refresh_token: z.string().min(1) }),
]);

const page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  role: z.enum(roles).optional(),
});

export function accountRoutes(ctx: NodeContext, accounts: AccountsService): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });

  r.post(
    '/api/v1/users',
    isPublic,
    route(async (req, res) => {
      const body = req.body ?? {};
      const wanted = body.role ?? 'listener';
      const isAdmin = req.user?.role === 'admin';
      if (!isAdmin) {
        if (!ctx.config.auth.openSignup) throw forbidden('Sign-up is closed on this node; ask an admin');
        if (!['listener', 'artist'].includes(wanted)) throw forbidden('Only an admin can create admin, moderator or auditor accounts');
      }
      // req.ip is the proxy's client address only when trustProxy says the proxy is ours.
      const user = isAdmin ? await accounts.create(body) : await accounts.signUp(body, { address: req.ip });
      res.status(201).json(user);
    }),
  );

  r.post(
    '/api/v1/oauth/token',
    isPublic,
    form,
    route(async (req, res) => {
      const parsed = tokenRequest.safeParse(req.body ?? {});
      if (!parsed.success) throw badRequest('invalid_request', 'Expected grant_type "password" with username and password, or "refresh_token"');
      const grant = parsed.data;
      // Refresh tokens are 256-bit random secrets, not guessable, so only the password grant is throttled.
      const tokens =
        grant.grant_type === 'password' ? await accounts.login(grant.username, grant.password, { address: req.ip }) : await accounts.refresh(grant.refresh_token);
      res.set('Cache-Control', 'no-store').json(tokens);
    }),
  );

  r.post(
    '/api/v1/oauth/revoke',
    requireUser,
    form,
    route(async (req, res) => {
      const token = (req.body?.token as string | undefined) ?? req.headers.authorization?.replace(/^Bearer\s+/i, '');
      if (token) await accounts.revoke(token);
      res.status(204).end();
    }),
  );

  r.get(
    '/api/v1/users/me',
    requireUser,
    route(async (req, res) => {
      res.json(req.user);
    }),
  );

  r.post(
    '/api/v1/users/me/claim',
    requireUser,
    route(async (req, res) => {
      const body = z.object({ username: z.string(), password: z.string(), email: z.string().optional() }).strict().parse(req.body ?? {});
      res.json(await accounts.claim(req.user!.id, body, { address: req.ip }));
    }),
  );

  r.get(
    '/api/v1/me/api-keys',
    requireUser,
    route(async (req, res) => {
      res.set('Cache-Control', 'no-store').json({ data: await accounts.apiKeys.list(req.user!.id) });
    }),
  );

  r.post(
    '/api/v1/me/api-keys',
    requireUser,
    route(async (req, res) => {
      res.status(201).set('Cache-Control', 'no-store').json(await accounts.apiKeys.create(req.user!.id, req.body ?? {}));
    }),
  );

  r.delete(
    '/api/v1/me/api-keys/:id',
    requireUser,
    route(async (req, res) => {
      await accounts.apiKeys.revoke(req.user!.id, req.params.id);
      res.status(204).end();
    }),
  );

  r.get(
    '/api/v1/admin/users',
    requireRole('admin'),
    route(async (req, res) => {
      const q = page.parse(req.query);
      res.json(await accounts.list(q));
    }),
  );

  r.patch(
    '/api/v1/admin/users/:id',
    requireRole('admin'),
    route(async (req, res) => {
      const patch = z
        .object({ role: z.enum(roles).optional(), disabled: z.boolean().optional(), displayName: z.string().min(1).max(100).optional() })
        .strict()
        .parse(req.body ?? {});
      if (req.params.id === req.user!.id && (patch.disabled || (patch.role && patch.role !== 'admin'))) {
        throw new AppError(409, 'last_admin_guard', 'You cannot demote or disable yourself');
      }
      res.json(await accounts.update(req.params.id, patch));
    }),
  );

  return r;
}
