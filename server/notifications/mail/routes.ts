// The admin's view of outgoing mail: whether it is on and where it goes, the mails (failed ones
// first) with why they failed, a retry, and a test mail to check the setup.
import { Router } from 'express';
import { z } from 'zod';
import type { NodeContext } from '../../context.js';
import { requireRole } from '../../accounts/middleware.js';
import { badRequest, route } from '../../http/errors.js';
import { mailStates, mailSummary } from './outbox.js';
import type { Mailer } from './index.js';

const listQuery = z.object({
  state: z.enum(mailStates).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** How the connection is protected, in words an admin checks against the provider's instructions. */
function security(smtp: NodeContext['config']['mail']['smtp']): 'tls' | 'starttls' | 'starttls-if-offered' | 'none' {
  if (smtp.secure) return 'tls';
  if (smtp.requireTLS) return 'starttls';
  return smtp.ignoreTLS ? 'none' : 'starttls-if-offered';
}

export function mailRoutes(ctx: NodeContext, mailer: Mailer): Router {
  const r = Router();
  const { mail } = ctx.config;

  r.get(
    '/api/v1/admin/mail',
    requireRole('admin'),
    route(async (_req, res) => {
      res.json({
        enabled: mail.enabled,
        host: mail.smtp.host,
        port: mail.smtp.port,
        security: security(mail.smtp),
        from: mail.from,
        retry: mail.retry,
        counts: await mailer.outbox.counts(),
      });
    }),
  );

  r.get(
    '/api/v1/admin/mail/messages',
    requireRole('admin'),
    route(async (req, res) => {
      const page = await mailer.outbox.list(listQuery.parse(req.query));
      res.json({ total: page.total, data: page.data.map(mailSummary) });
    }),
  );

  r.post(
    '/api/v1/admin/mail/messages/:id/retry',
    requireRole('admin'),
    route(async (req, res) => {
      mailer.requireEnabled();
      res.status(202).json(mailSummary(await mailer.outbox.retry(req.params.id)));
    }),
  );

  r.post(
    '/api/v1/admin/mail/test',
    requireRole('admin'),
    route(async (req, res) => {
      const body = z.object({ to: z.email().max(320).optional() }).strict().parse(req.body ?? {});
      const to = body.to ?? req.user!.email;
      if (!to) throw badRequest('no_address', 'Your account has no e-mail address: say where the test mail goes ({"to": "…"})');
      const sent = await mailer.queue({
        to,
        kind: 'test',
        subject: `Test mail from ${ctx.config.nodeName}`,
        text: `This is a test mail from ${ctx.config.nodeName} (${ctx.config.publicUrl}), sent by ${req.user!.username} from the admin pages.\n\nIf you read this, the node's mail works.\n`,
      });
      res.status(202).json(mailSummary(sent));
    }),
  );

  return r;
}
