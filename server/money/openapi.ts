import { bearer, json, problem, ref, type OpenApiFragment, jsonBody, pathParam } from '../api/openapi-types.js';

const tags = ['money'];
const idemHeader = {
  name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\w:.-]{1,200}$' },
  description: 'The same key twice moves money once; the second call returns the first result',
};
const monthParam = (where: 'path' | 'query') => ({ name: 'month', in: where, required: where === 'path', schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' } });
const amountProp = { type: 'integer', minimum: 1, description: 'Minor units (cents): 1000 = $10.00' };
const bad = problem('Invalid input (invalid_amount, unknown_currency, invalid_input)');
const auth = problem('Not signed in');
const role = problem('Missing role');

export const moneyOpenApi: OpenApiFragment = {
  tags: [{ name: 'money', description: 'Wallets, top-ups, gift links, subscriptions, month close, payouts and withdrawals' }],
  schemas: {
    MoneyTransaction: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' }, idempotencyKey: { type: 'string' }, kind: { type: 'string' }, provider: { type: ['string', 'null'] },
        currency: { type: 'string' }, amount: { type: 'integer' }, fee: { type: 'integer' }, rate: { type: 'string' }, reference: { type: ['string', 'null'] },
        entries: { type: 'array', items: { type: 'object', properties: { account: { type: 'string' }, amount: { type: 'integer' } } } },
        replayed: { type: 'boolean' }, createdAt: { type: 'string', format: 'date-time' },
      },
    },
    GiftLink: {
      type: 'object',
      properties: {
        code: { type: 'string' }, amount: { type: 'integer' }, currency: { type: 'string' }, message: { type: ['string', 'null'] },
        status: { type: 'string', enum: ['open', 'redeemed'] }, fundedFrom: { type: 'string', enum: ['wallet', 'node'] }, url: { type: 'string' },
        qr: { type: 'object', properties: { svg: { type: 'string' }, png: { type: 'string', description: 'data: URL' } } },
      },
    },
    Subscription: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' }, status: { type: 'string', enum: ['active', 'past_due', 'lapsed', 'canceled'] },
        cancelAtPeriodEnd: { type: 'boolean' }, amount: { type: 'integer' }, nodeFee: { type: 'integer' }, currency: { type: 'string' },
        currentMonth: { type: ['string', 'null'] }, pastDueMonth: { type: ['string', 'null'] }, graceEndsAt: { type: ['string', 'null'] },
      },
    },
    Withdrawal: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' }, amount: { type: 'integer' }, currency: { type: 'string' }, destination: { type: ['string', 'null'] },
        status: { type: 'string', enum: ['requested', 'settled'] }, reference: { type: ['string', 'null'] },
      },
    },
    Allocation: {
      type: 'object',
      properties: {
        month: { type: 'string' }, status: { type: 'string', enum: ['closed', 'provisional', 'none'] }, charged: { type: 'integer' }, nodeFee: { type: 'integer' },
        carriedIn: { type: 'integer' }, unallocated: { type: 'integer' }, outcome: { type: ['string', 'null'] },
        artists: { type: 'array', items: { type: 'object', properties: { artist: { type: 'string' }, rank: { type: 'integer' }, seconds: { type: 'integer' }, amount: { type: 'integer' }, held: { type: 'integer' } } } },
      },
    },
  },
  paths: {
    '/api/v1/admin/money/health': {
      get: {
        tags, security: bearer, summary: 'Whether the books balance: every account sums to zero',
        responses: { 200: json('Books health', { type: 'object', properties: { balanced: { type: 'boolean' }, sum: { type: 'integer' }, accounts: { type: 'integer' } } }), 401: auth, 403: role },
      },
    },
    '/api/v1/me/wallet': {
      get: {
        tags, security: bearer, summary: 'My wallet: balance and entries (newest first, paged)',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: json('Wallet', { type: 'object' }), 401: auth },
      },
    },
    '/api/v1/admin/wallets/{userId}/credit': {
      post: {
        tags, security: bearer, summary: "Credit a user's wallet (admin top-up)",
        parameters: [pathParam('userId'), idemHeader],
        requestBody: jsonBody({ type: 'object', required: ['amount'], properties: { amount: amountProp, currency: { type: 'string' }, reference: { type: 'string' }, fee: { type: 'integer' }, rate: { type: 'string' } } }),
        responses: { 201: json('Credited', { type: 'object', properties: { transaction: ref('MoneyTransaction'), balance: { type: 'integer' } } }), 200: json('Replayed (same Idempotency-Key)', { type: 'object' }), 400: bad, 401: auth, 403: role, 404: problem('No such user') },
      },
    },
    '/api/v1/me/top-ups': {
      post: {
        tags, security: bearer, summary: 'Open a top-up to pay at the external processor (confirmed by its webhook)',
        requestBody: jsonBody({ type: 'object', required: ['amount'], properties: { amount: amountProp, currency: { type: 'string' } } }),
        responses: { 201: json('Pending top-up', { type: 'object' }), 400: bad, 401: auth },
      },
    },
    '/api/v1/payments/webhook': {
      post: {
        tags, summary: 'Payment processor notification (HMAC-SHA256 signed; see docs/money.md)',
        parameters: [
          { name: 'X-Payment-Timestamp', in: 'header', required: true, schema: { type: 'string' } },
          { name: 'X-Payment-Signature', in: 'header', required: true, schema: { type: 'string', description: 'v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">' } },
        ],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string' } }, 'application/webhook+json': { schema: { type: 'object' } } } },
        responses: {
          200: json('Processed', { type: 'object' }), 400: problem('Malformed, amount_mismatch or unknown_currency'), 401: problem('invalid_signature or stale_timestamp'),
          404: problem('Unknown top-up'), 409: problem('replayed_event'), 415: problem('raw_body_required'), 503: problem('webhook_not_configured'),
        },
      },
    },
    '/api/v1/gift-links': {
      post: {
        tags, security: bearer, summary: 'Create a pre-funded gift link (funded from my wallet; admins may fund from the node)',
        parameters: [idemHeader],
        requestBody: jsonBody({ type: 'object', required: ['amount'], properties: { amount: amountProp, currency: { type: 'string' }, message: { type: 'string' }, fundFrom: { type: 'string', enum: ['wallet', 'node'] } } }),
        responses: { 201: json('Gift link with URL and QR code', ref('GiftLink')), 400: bad, 401: auth, 402: problem('insufficient_funds'), 403: role },
      },
    },
    '/api/v1/gift-links/{code}': {
      get: {
        tags, summary: 'Preview a gift link (public)',
        parameters: [pathParam('code', { type: 'string' })],
        responses: { 200: json('Gift link', ref('GiftLink')), 404: problem('No such gift link') },
      },
    },
    '/api/v1/gift-links/{code}/redeem': {
      post: {
        tags, security: bearer, summary: 'Redeem a gift link into my wallet (once)',
        parameters: [pathParam('code', { type: 'string' })],
        responses: { 200: json('Redeemed', { type: 'object' }), 401: auth, 404: problem('No such gift link'), 410: problem('gift_link_redeemed') },
      },
    },
    '/api/v1/me/withdrawals': {
      post: {
        tags, security: bearer, summary: 'Request a withdrawal from my artist wallet (an admin settles it)',
        parameters: [idemHeader],
        requestBody: jsonBody({ type: 'object', required: ['amount'], properties: { amount: amountProp, currency: { type: 'string' }, destination: { type: 'string' } } }),
        responses: { 201: json('Requested', ref('Withdrawal')), 400: bad, 401: auth, 402: problem('insufficient_funds'), 403: role },
      },
    },
    '/api/v1/admin/withdrawals': {
      get: {
        tags, security: bearer, summary: 'Withdrawals to settle',
        parameters: [{ name: 'status', in: 'query', schema: { type: 'string', enum: ['requested', 'settled'] } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: json('Withdrawals', { type: 'object', properties: { total: { type: 'integer' }, data: { type: 'array', items: ref('Withdrawal') } } }), 401: auth, 403: role },
      },
    },
    '/api/v1/admin/withdrawals/{id}/settle': {
      post: {
        tags, security: bearer, summary: 'Mark a withdrawal settled with the payment reference',
        parameters: [pathParam('id')],
        requestBody: jsonBody({ type: 'object', required: ['reference'], properties: { reference: { type: 'string' } } }),
        responses: { 200: json('Settled', ref('Withdrawal')), 401: auth, 403: role, 404: problem('No such withdrawal'), 409: problem('already_settled') },
      },
    },
    '/api/v1/me/subscription': {
      get: { tags, security: bearer, summary: 'My subscription and its charges', responses: { 200: json('Subscription', ref('Subscription')), 401: auth, 404: problem('not_subscribed') } },
      post: {
        tags, security: bearer, summary: 'Subscribe (charges this month from my wallet) or resume renewal',
        responses: { 201: json('Subscribed', ref('Subscription')), 200: json('Already active', ref('Subscription')), 401: auth, 402: problem('insufficient_funds') },
      },
      delete: { tags, security: bearer, summary: 'Cancel renewal (runs to the end of the paid month)', responses: { 200: json('Subscription', ref('Subscription')), 401: auth, 409: problem('not_subscribed') } },
    },
    '/api/v1/me/subscription/allocation': {
      get: {
        tags, security: bearer, summary: 'Where my subscription went in a month (artists, seconds, cents)',
        parameters: [monthParam('query')],
        responses: { 200: json('Allocation', ref('Allocation')), 400: problem('invalid_month'), 401: auth },
      },
    },
    '/api/v1/me/earnings': {
      get: { tags, security: bearer, summary: 'My earnings as an artist per month, with listener counts and payout state', responses: { 200: json('Earnings', { type: 'object' }), 401: auth, 403: role } },
    },
    '/api/v1/admin/money/statements/{month}': {
      get: { tags, security: bearer, summary: "The month's statement", parameters: [monthParam('path')], responses: { 200: json('Statement', { type: 'object' }), 400: problem('invalid_month'), 401: auth, 403: role } },
    },
    '/api/v1/admin/money/months/{month}/close': {
      post: { tags, security: bearer, summary: 'Queue the close of a past month (idempotent)', parameters: [monthParam('path')], responses: { 202: json('Queued', { type: 'object' }), 401: auth, 403: role, 409: problem('month_not_over') } },
    },
    '/api/v1/admin/money/months/{month}/payout': {
      post: { tags, security: bearer, summary: "Queue a closed month's payouts (idempotent)", parameters: [monthParam('path')], responses: { 202: json('Queued', { type: 'object' }), 401: auth, 403: role, 409: problem('month_not_closed') } },
    },
  },
};
