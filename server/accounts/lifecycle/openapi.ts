import { bearer, dateTime, fields, int, json, jsonBody, nullable, pathParam, problem, ref, uuid, type OpenApiFragment } from '../../api/openapi-types.js';
import { accountsOpenApi, passwordThrottled } from '../openapi.js';

// accounts' index puts this fragment beside its own one path at a time: a path both describe
// (another method of it) carries accounts' methods along here.
const withAccountsMethods = (path: string, methods: Record<string, unknown>) => ({ ...(accountsOpenApi.paths[path] ?? {}), ...methods });

const archive = {
  description: 'A .tar.gz archive (Content-Disposition: attachment): README.txt, profile.json, playlists.json, channels.json, tracks.json, listening-history.json, wallet-statement.csv, follows.json, live.json, notifications.json',
  headers: { 'Content-Disposition': { schema: { type: 'string' } } },
  content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
};

const tooSoon = {
  ...problem('export_too_soon: one export of an account per 10 minutes (per asker); export_busy: the node builds 2 exports at once, try again shortly'),
  headers: { 'Retry-After': { description: 'Seconds until the next export can be made', schema: { type: 'integer', minimum: 1 } } },
};

const accepted = json('The deletion, queued: the account is closed already (signed out everywhere, disabled); its data goes in the background', ref('AccountDeletion'));

export const lifecycleOpenApi: OpenApiFragment = {
  tags: [{ name: 'account lifecycle', description: 'Deleting an account and exporting its data (docs/accounts.md)' }],
  schemas: {
    AccountDeletion: fields(
      {
        userId: uuid,
        requestedBy: { ...uuid, description: 'The user, or the admin who deleted the account' },
        requestedAt: dateTime,
        state: { type: 'string', enum: ['queued', 'running', 'done', 'failed'], description: 'failed: a step failed; it is tried again (and again when the deletion is asked for again)' },
        stepsDone: int,
        stepsTotal: { ...int, description: "Each capability's part, then the tombstone of the account" },
        attempts: int,
        lastError: nullable('string'),
        startedAt: nullable('string', { format: 'date-time' }),
        finishedAt: nullable('string', { format: 'date-time' }),
      },
      [],
      'The deletion of an account and how far it got',
    ),
    OwnAccountDeletion: {
      type: 'object',
      additionalProperties: false,
      required: ['password', 'confirm'],
      properties: {
        password: { type: 'string', minLength: 1, maxLength: 200, description: "The account's password, entered again" },
        confirm: { type: 'string', minLength: 1, maxLength: 100, description: "The account's username, typed to confirm" },
      },
    },
  },
  paths: {
    '/api/v1/users/me': withAccountsMethods('/api/v1/users/me', {
      delete: {
        tags: ['account lifecycle'],
        summary: 'Delete your account: media and personal data removed, a Delete sent to other servers, money records kept detached (docs/accounts.md)',
        security: bearer,
        requestBody: jsonBody(ref('OwnAccountDeletion')),
        responses: {
          202: accepted,
          400: problem('Invalid input, or confirmation_mismatch (the username typed is not the account\'s)'),
          401: problem('Not signed in'),
          403: problem('wrong_password'),
          409: problem('guest_account (no password: claim it first), last_admin (make another admin first), account_deleted'),
          ...passwordThrottled,
        },
      },
    }),
    '/api/v1/users/me/export': {
      get: {
        tags: ['account lifecycle'],
        summary: 'Download your data as an archive',
        security: bearer,
        responses: { 200: archive, 401: problem('Not signed in'), 429: tooSoon },
      },
    },
    '/api/v1/admin/users/{id}': withAccountsMethods('/api/v1/admin/users/{id}', {
      delete: {
        tags: ['account lifecycle'],
        summary: "Delete a user's account (admin; not your own, not the node's last admin)",
        security: bearer,
        parameters: [pathParam('id')],
        responses: {
          202: accepted,
          401: problem('Not signed in'),
          403: problem('Not an admin'),
          404: problem('No such user'),
          409: problem('cannot_delete_self, last_admin, account_deleted'),
        },
      },
    }),
    '/api/v1/admin/users/{id}/deletion': {
      get: {
        tags: ['account lifecycle'],
        summary: "How far the deletion of a user's account got (admin)",
        security: bearer,
        parameters: [pathParam('id')],
        responses: { 200: json('The deletion', ref('AccountDeletion')), 401: problem('Not signed in'), 403: problem('Not an admin'), 404: problem('No such user, or no deletion asked for') },
      },
    },
    '/api/v1/admin/users/{id}/export': {
      get: {
        tags: ['account lifecycle'],
        summary: "Download a user's data as an archive (admin)",
        security: bearer,
        parameters: [pathParam('id')],
        responses: { 200: archive, 401: problem('Not signed in'), 403: problem('Not an admin'), 404: problem('No such user'), 429: tooSoon },
      },
    },
  },
};
