import express, { Router } from 'express';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { AppError, badRequest, forbidden, route } from '../http/errors.js';
import { isPublic, requireRole, requireUser } from './middleware.js';
import { roles, type AccountsService, type RequestOrigin } from './service.js';
import type { AccountEmail } from './email.js';

const tokenRequest = z.discriminatedUnion('grant_type', [
  z.object({ grant_type: z.literal('password'), username: z.string().min(1), password: z.string().min(1) }),
  z.object({ grant_type: z.literal('refresh_token'), refresh_token: z.string().min(1) }),
]);

const page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  role: z.enum(roles).optional(),
});

const tokenBody = z.object({ token: z.string().min(1).max(200) }).strict();
const addressBody = z.object({ email: z.string().max(320) }).strict();

export function accountRoutes(ctx: NodeContext, accounts: AccountsService, email: AccountEmail): Router {
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
        email.checkSignUp(body.email);
      }
      // req.ip is the proxy's client address only when trustProxy says the proxy is ours.
      const user = isAdmin ? await accounts.create(body) : await accounts.signUp(body, { address: req.ip });
      // An admin vouches for the address of an account they make: no link is sent.
      const emailVerification = isAdmin ? ({ state: 'not_sent', required: false } as const) : await email.afterSignUp(user);
      res.status(201).json({ ...user, emailVerification });
    }),
  );

  // What a sign-up (or a guest's claim) will ask, before the form is sent (PeerTube's config tells it too).
  r.get(
    '/api/v1/users/sign-up-rules',
    isPublic,
    route(async (_req, res) => {
      res.set('Cache-Control', 'no-cache').json({ open: ctx.config.auth.openSignup, emailVerification: accounts.verificationRequired() ? 'required' : 'optional' });
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
      // A claim is a sign-up: the same address rule.
      email.checkSignUp(body.email);
      const user = await accounts.claim(req.user!.id, body, { address: req.ip });
      res.json({ ...user, emailVerification: await email.afterSignUp(user) });
    }),
  );

  r.put(
    '/api/v1/users/me/email',
    requireUser,
    route(async (req, res) => {
      const body = z.object({ email: z.string(), password: z.string().max(200) }).strict().parse(req.body ?? {});
      const changed = await email.changeEmail(req.user!, body, { address: req.ip });
      res.json({ ...changed.user, emailVerification: changed.emailVerification });
    }),
  );

  r.post(
    '/api/v1/users/verify-email',
    isPublic,
    route(async (req, res) => {
      res.json(await email.verify(tokenBody.parse(req.body ?? {}).token));
    }),
  );

  // Asking for a mail to an address: the same answer whether an account has the address or not.
  const accepted = { message: 'If an account has this address, a mail is on its way. It can take a few minutes; look in the spam folder too.' };
  const mailRequests: Record<string, (address: string, from: RequestOrigin) => Promise<void>> = {
    '/api/v1/users/verify-email/resend': (address, from) => email.requestVerification(address, from),
    '/api/v1/users/password-reset': (address, from) => email.requestPasswordReset(address, from),
  };
  for (const [path, request] of Object.entries(mailRequests)) {
    r.post(
      path,
      isPublic,
      route(async (req, res) => {
        await request(addressBody.parse(req.body ?? {}).email, { address: req.ip });
        res.status(202).json(accepted);
      }),
    );
  }

  r.post(
    '/api/v1/users/password-reset/confirm',
    isPublic,
    route(async (req, res) => {
      const body = z.object({ token: z.string().min(1).max(200), password: z.string() }).strict().parse(req.body ?? {});
      res.set('Cache-Control', 'no-store').json(await email.resetPassword(body.token, body.password));
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
        .object({
          role: z.enum(roles).optional(),
          disabled: z.boolean().optional(),
          displayName: z.string().min(1).max(100).optional(),
          password: z.string().optional(),
          // An admin confirms an address (the user reached them another way); undoing that is not offered.
          emailVerified: z.literal(true).optional(),
        })
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
