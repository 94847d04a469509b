import { bearer, dateTime, fields, int, json, nullable, page, pagingParams, pathParam, problem, ref, str, uuid, type OpenApiFragment } from '../../api/openapi-types.js';

const state = { type: 'string', enum: ['queued', 'sending', 'sent', 'failed'] };
const mailOff = problem('Mail is off on this node: no SMTP server is configured (code mail_disabled; docs/email.md)');

export const mailOpenApi: OpenApiFragment = {
  tags: [{ name: 'mail', description: 'Outgoing mail through SMTP: its setup, the queue, failures and retries (admin; docs/email.md)' }],
  schemas: {
    Mail: fields(
      {
        id: uuid,
        kind: { ...str, description: 'What it is: verify-email, password-reset, email-changed, test, or a notification kind' },
        to: str,
        subject: str,
        state: { ...state, description: 'queued (waiting for a worker), sending, sent, or failed (see nextAttemptAt: null when no further try comes)' },
        attempts: { ...int, description: 'Tries made so far' },
        lastError: nullable('string', { description: "Why the last try failed (nodemailer's code and the server's answer)" }),
        nextAttemptAt: nullable('string', { format: 'date-time', description: 'When the queue tries again; null when it gave up (retry it) or nothing failed' }),
        createdAt: dateTime,
        sentAt: nullable('string', { format: 'date-time' }),
      },
      [],
      "One outgoing mail, without its text (verification and reset mails carry secret links; the text is dropped once sent, or once the link expired unsent)",
    ),
    MailPage: page(ref('Mail')),
    MailStatus: fields({
      enabled: { type: 'boolean', description: 'Whether the node sends mail (an SMTP host is configured)' },
      host: nullable('string'),
      port: int,
      security: { type: 'string', enum: ['tls', 'starttls', 'starttls-if-offered', 'none'], description: 'tls: implicit TLS (secure); starttls: required (requireTLS); starttls-if-offered: upgraded when the server offers it; none: ignoreTLS' },
      from: nullable('string', { description: 'The sender address' }),
      retry: fields({ attempts: int, backoffMs: int }),
      counts: fields({ queued: int, sending: int, sent: int, failed: int }),
    }),
  },
  paths: {
    '/api/v1/admin/mail': {
      get: {
        tags: ['mail'],
        summary: 'Whether mail is on, where it goes, and how many mails are queued, sent and failed (admin)',
        security: bearer,
        responses: { 200: json('The mail setup and queue', ref('MailStatus')), 401: problem('Not signed in'), 403: problem('Not an admin') },
      },
    },
    '/api/v1/admin/mail/messages': {
      get: {
        tags: ['mail'],
        summary: 'Outgoing mails, failed ones first, then newest first (admin)',
        security: bearer,
        parameters: [{ name: 'state', in: 'query', schema: state }, ...pagingParams(50, 200)],
        responses: { 200: json('Mails', ref('MailPage')), 400: problem('Invalid query'), 401: problem('Not signed in'), 403: problem('Not an admin') },
      },
    },
    '/api/v1/admin/mail/messages/{id}/retry': {
      post: {
        tags: ['mail'],
        summary: 'Try a failed mail again now, with a fresh series of tries (admin)',
        security: bearer,
        parameters: [pathParam('id')],
        responses: {
          202: json('The mail, queued again', ref('Mail')),
          401: problem('Not signed in'),
          403: problem('Not an admin'),
          404: problem('No such mail'),
          409: problem('mail_not_failed: only a failed mail can be retried; mail_expired: the link it carried expired before it was sent, and its text is gone; mail_forgotten: it went to an account that was deleted (address and text gone)'),
          503: mailOff,
        },
      },
    },
    '/api/v1/admin/mail/test': {
      post: {
        tags: ['mail'],
        summary: "Queue a test mail to check the setup: to the given address, or to the admin's own (admin)",
        security: bearer,
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { to: { type: 'string', format: 'email' } } } } } },
        responses: {
          202: json('The test mail, queued (follow it in the list of mails)', ref('Mail')),
          400: problem('no_address: no address given and the admin has none; or invalid input'),
          401: problem('Not signed in'),
          403: problem('Not an admin'),
          503: mailOff,
        },
      },
    },
  },
};
