import { bearer, fields, json, page, problem, ref, type OpenApiFragment, jsonBody, pathParam } from '../api/openapi-types.js';

const role = { type: 'string', enum: ['admin', 'moderator', 'artist', 'listener', 'auditor'] };

/** A refusal that says when to come back (auth.throttle; docs/operations.md, "Login and sign-up limits"). */
export const retryLater = (description: string) => ({
  ...problem(description),
  headers: { 'Retry-After': { description: 'Seconds until the next attempt can be taken', schema: { type: 'integer', minimum: 1 } } },
});

const userProperties = {
  id: { type: 'string', format: 'uuid' },
  username: { type: 'string' },
  email: { type: ['string', 'null'] },
  emailVerified: { type: 'boolean', description: 'The owner followed the link mailed to `email` (docs/email.md)' },
  pendingEmail: { type: ['string', 'null'], description: 'A new address waiting for its link to be followed (verification required); `email` stays in use till then' },
  role,
  displayName: { type: ['string', 'null'] },
  disabled: { type: 'boolean', description: 'Suspended: cannot sign in' },
  silenced: { type: 'boolean', description: 'Silenced by a moderator: signs in and listens, publishes nothing (403 account_silenced)' },
  guest: { type: 'boolean', description: 'Made by a watch link without a sign-up; claim it (POST /api/v1/users/me/claim) to keep it' },
  deleted: { type: 'boolean', description: 'Deleted, or its deletion asked for and not finished (docs/accounts.md): closed for good, nothing can enable it again' },
  createdAt: { type: 'string', format: 'date-time' },
};

/** What a route that checks a password answers when the login throttle refuses or cannot count. */
export const passwordThrottled = {
  429: retryLater('Too many wrong passwords for this account (the login limits; code too_many_attempts)'),
  503: retryLater('The rate-limit store (Redis) is unreachable: password checks are paused (code throttle_unavailable)'),
};

/** A request that names an address: answered the same whether an account has it or not. */
const mailRequest = (summary: string) => ({
  tags: ['accounts'],
  summary,
  requestBody: jsonBody({ type: 'object', additionalProperties: false, required: ['email'], properties: { email: { type: 'string', format: 'email' } } }),
  responses: {
    202: json('Accepted; the same answer for every address', ref('MailRequestAccepted')),
    400: problem('Not an e-mail address'),
    429: retryLater('Too many such requests from this address (code too_many_attempts, limit "mailRequest")'),
    503: problem('mail_disabled: this node sends no mail (ask an admin); or throttle_unavailable'),
  },
});

export const accountsOpenApi: OpenApiFragment = {
  tags: [{ name: 'accounts', description: 'Sign-up, login (OAuth2 password grant), roles, e-mail verification and password reset' }],
  schemas: {
    User: fields(userProperties),
    UserAndVerification: fields({
      ...userProperties,
      emailVerification: fields(
        {
          state: {
            type: 'string',
            enum: ['sent', 'mail_disabled', 'not_sent'],
            description: 'sent: a link went to the address; mail_disabled: the node sends no mail, so the address stays unconfirmed and the account works without; not_sent: no address (or an admin made the account, or the address did not change)',
          },
          required: { type: 'boolean', description: 'The account cannot log in (403 email_not_verified) until the link is followed' },
        },
        [],
        'Whether the owner is asked to confirm the address',
      ),
    }),
    MailRequestAccepted: fields({ message: { type: 'string' } }),
    SignUpRules: fields(
      {
        open: { type: 'boolean', description: 'Anyone may sign up (auth.openSignup); else only admins make accounts' },
        emailVerification: {
          type: 'string',
          enum: ['required', 'optional'],
          description:
            "required: a sign-up or a guest's claim must give an address and cannot log in until the link mailed to it is followed (auth.emailVerification required, and the node sends mail); optional: an address may be left out",
        },
      },
      [],
      'What a sign-up (or a guest claiming their account) is asked for on this node',
    ),
    GuestClaim: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      properties: { username: { type: 'string', minLength: 2, maxLength: 40 }, password: { type: 'string', minLength: 8, maxLength: 200 }, email: { type: 'string', format: 'email' } },
    },
    UserPage: page(ref('User')),
    ApiKey: fields(
      {
        id: { type: 'string', format: 'uuid' },
        name: { type: 'string', description: 'What the owner called it (the app or device it is for)' },
        createdAt: { type: 'string', format: 'date-time' },
        lastUsedAt: { type: ['string', 'null'], format: 'date-time', description: 'When an app last signed in with it (to the nearest few minutes)' },
      },
      [],
      'A key for a listener\'s app (Subsonic, ListenBrainz); the key itself is shown once, when it is made',
    ),
    NewApiKey: {
      ...fields({
        id: { type: 'string', format: 'uuid' },
        name: { type: 'string' },
        key: { type: 'string', description: 'The key: enter it in the app as its password or API key. Shown only in this answer' },
        createdAt: { type: 'string', format: 'date-time' },
        lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
      }),
    },
    ApiKeyList: fields({ data: { type: 'array', items: ref('ApiKey') } }),
    NewUser: {
      type: 'object',
      required: ['username', 'password'],
      properties: {
        username: { type: 'string', pattern: '^[A-Za-z0-9_]{2,40}$' },
        password: { type: 'string', minLength: 8 },
        email: { type: 'string', format: 'email' },
        displayName: { type: 'string' },
        role: { type: 'string', enum: ['listener', 'artist', 'admin', 'moderator', 'auditor'], description: 'admin, moderator and auditor only when an admin creates the account' },
      },
    },
    TokenPair: fields({
      access_token: { type: 'string' },
      token_type: { const: 'Bearer' },
      expires_in: { type: 'integer', description: 'Seconds until the access token expires' },
      refresh_token: { type: 'string' },
      scope: { ...role, description: "The user's role" },
    }),
  },
  paths: {
    '/api/v1/users': {
      post: {
        tags: ['accounts'],
        summary: 'Sign up (listener or artist); admins may create any role',
        requestBody: jsonBody(ref('NewUser')),
        responses: {
          201: json('The new user, and whether a link to confirm the address was sent', ref('UserAndVerification')),
          400: problem('Invalid input; email_required: the node requires a confirmed address (auth.emailVerification required) and none was given'),
          403: problem('Sign-up closed or role not allowed'),
          409: problem('Username taken'),
          429: retryLater('Too many sign-ups from this address (code too_many_attempts, limit "signup"); admins are not counted'),
          503: retryLater('The rate-limit store (Redis) is unreachable: sign-ups are paused (code throttle_unavailable)'),
        },
      },
    },
    '/api/v1/users/sign-up-rules': {
      get: { tags: ['accounts'], summary: 'What a sign-up (or a guest claiming their account) is asked for on this node', responses: { 200: json('The rules', ref('SignUpRules')) } },
    },
    '/api/v1/oauth/token': {
      post: {
        tags: ['accounts'],
        summary: 'Get a bearer token (grant_type password or refresh_token)',
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': { schema: { type: 'object' } },
            'application/json': {
              schema: {
                type: 'object',
                required: ['grant_type'],
                properties: { grant_type: { enum: ['password', 'refresh_token'] }, username: { type: 'string' }, password: { type: 'string' }, refresh_token: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          200: json('Tokens', ref('TokenPair')),
          400: problem('Wrong credentials or malformed request'),
          403: problem('account_disabled (suspended); account_deleted (deleted or being deleted); email_not_verified: the address is not confirmed yet and the node requires it (ask for a new link: POST /api/v1/users/verify-email/resend)'),
          429: retryLater(
            'Password grant: too many failed logins for this account name from this address (limit "accountAddress") or from all addresses (limit "account"), both also for names without an account, or from this address (limit "address"); refused before the password is checked',
          ),
          503: retryLater('Password grant: the rate-limit store (Redis) is unreachable, logins are paused (code throttle_unavailable)'),
        },
      },
    },
    '/api/v1/oauth/revoke': {
      post: { tags: ['accounts'], summary: 'Revoke a token (defaults to the one in use)', security: bearer, responses: { 204: { description: 'Revoked' }, 401: problem('Not signed in') } },
    },
    '/api/v1/users/me/claim': {
      post: {
        tags: ['accounts'],
        summary:
          "A guest keeps their account: a username and password (and an email) of their own; what is left of their watch link moves to their wallet. When the node requires a confirmed address, the claim ends the guest's session: log in once the mailed link is followed",
        security: bearer,
        requestBody: jsonBody(ref('GuestClaim')),
        responses: { 200: json('The claimed account, and whether a link to confirm its address was sent', ref('UserAndVerification')), 400: problem('Invalid input; email_required: this node asks every new account to confirm an address'), 401: problem('Not signed in'), 409: problem('not_a_guest, username_taken') },
      },
    },
    '/api/v1/users/me/email': {
      put: {
        tags: ['accounts'],
        summary: "Change the signed-in user's e-mail address (with their password). Mail on: a link goes to the new address (verification required: the old address stays until it is followed); mail off: changed at once, unconfirmed",
        security: bearer,
        requestBody: jsonBody({
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: { email: { type: 'string', format: 'email' }, password: { type: 'string', description: 'The current password' } },
        }),
        responses: {
          200: json('The account, and whether a link was sent', ref('UserAndVerification')),
          400: problem('Invalid input; wrong_password'),
          401: problem('Not signed in'),
          409: problem('email_taken: another account has this address'),
          429: retryLater('Too many wrong passwords (the login limits), or too many address changes (limit emailChange: per account; mailRequest: per client address)'),
          503: passwordThrottled[503],
        },
      },
    },
    '/api/v1/users/verify-email': {
      post: {
        tags: ['accounts'],
        summary: 'Follow a verification link: confirms the address it was sent to (the link from the mail opens /verify-email?token=… in the web app, which posts the token here)',
        requestBody: jsonBody({ type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string' } } }),
        responses: {
          200: json('The confirmed address', fields({ email: { type: 'string' } })),
          400: problem('invalid_token: used already, expired, replaced, or for an address the account no longer has; or invalid input'),
          409: problem('email_taken: another account took this address meanwhile'),
        },
      },
    },
    '/api/v1/users/verify-email/resend': {
      post: mailRequest('Send a new verification link to an account\'s unconfirmed address (for an account that cannot log in until then, too)'),
    },
    '/api/v1/users/password-reset': {
      post: mailRequest('Forgot password: a single-use link to choose a new one goes to the address, if an account has it (docs/email.md)'),
    },
    '/api/v1/users/password-reset/confirm': {
      post: {
        tags: ['accounts'],
        summary: "Follow a reset link: sets the new password and ends all the account's sessions (the link opens /reset-password?token=… in the web app)",
        requestBody: jsonBody({
          type: 'object',
          additionalProperties: false,
          required: ['token', 'password'],
          properties: { token: { type: 'string' }, password: { type: 'string', minLength: 8, maxLength: 200 } },
        }),
        responses: {
          200: json('Done: log in with the new password', fields({ username: { type: 'string' } })),
          400: problem('invalid_token: used already, expired or replaced; or the password is too short'),
        },
      },
    },
    '/api/v1/users/me': {
      get: { tags: ['accounts'], summary: 'The signed-in user', security: bearer, responses: { 200: json('User', ref('User')), 401: problem('Not signed in') } },
    },
    '/api/v1/me/api-keys': {
      get: {
        tags: ['accounts'],
        summary: "The signed-in user's API keys for apps (without the keys themselves)",
        security: bearer,
        responses: { 200: json('API keys, oldest first', ref('ApiKeyList')), 401: problem('Not signed in') },
      },
      post: {
        tags: ['accounts'],
        summary: 'Make an API key for an app (Subsonic, ListenBrainz; docs/apps.md); the key is in this answer only',
        security: bearer,
        requestBody: jsonBody({ type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } }),
        responses: {
          201: json('The new key, shown once', ref('NewApiKey')),
          400: problem('Invalid input'),
          401: problem('Not signed in'),
          409: problem('too_many_api_keys: the account has as many keys as the node allows (auth.apiKeys.maxPerUser)'),
        },
      },
    },
    '/api/v1/me/api-keys/{id}': {
      delete: {
        tags: ['accounts'],
        summary: 'Revoke an API key: apps using it are signed out at once',
        security: bearer,
        parameters: [pathParam('id')],
        responses: { 204: { description: 'Revoked' }, 401: problem('Not signed in'), 404: problem('No such key of yours') },
      },
    },
    '/api/v1/admin/users': {
      get: {
        tags: ['accounts'],
        summary: 'List users (admin)',
        security: bearer,
        parameters: [
          { name: 'role', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
          { name: 'offset', in: 'query', schema: { type: 'integer' } },
        ],
        responses: { 200: json('Users', ref('UserPage')), 403: problem('Not an admin') },
      },
    },
    '/api/v1/admin/users/{id}': {
      patch: {
        tags: ['accounts'],
        summary:
          "Change a user's role, display name or password, confirm their address, or disable them (admin; suspending with a note in the moderation log is PUT /api/v1/admin/moderation/accounts/{id}/standing); a new password or disabling ends the user's sessions",
        security: bearer,
        parameters: [pathParam('id')],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  role,
                  disabled: { type: 'boolean' },
                  displayName: { type: 'string' },
                  password: { type: 'string', minLength: 8, maxLength: 200, description: 'A new password (when the user forgot theirs and the node sends no mail)' },
                  emailVerified: {
                    const: true,
                    description: "Confirm the account's current address (the user reached an admin another way): an account waiting for its link can log in. An address change waiting for its link stays waiting",
                  },
                },
              },
            },
          },
        },
        responses: {
          200: json('User', ref('User')),
          400: problem('Invalid input'),
          401: problem('Not signed in'),
          403: problem('Not an admin'),
          404: problem('No such user'),
          409: problem(
            'last_admin (it would leave no enabled admin), last_admin_guard (demoting or disabling yourself), account_deleted (deleted or being deleted), admin_not_silenced, no_email (emailVerified: the account has no address)',
          ),
        },
      },
    },
  },
};
