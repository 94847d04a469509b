import { monthOpenApi } from '../http/month.js';
import { bearer, fields, json, orNull, page, problem, ref, type OpenApiFragment, jsonBody, pathParam, str, int, uuid, dateTime, nullable } from '../api/openapi-types.js';

const tags = ['money'];
const idemHeader = {
  name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\w:.-]{1,200}$' },
  description: 'The same key twice moves money once; the second call returns the first result',
};
const monthParam = (where: 'path' | 'query') => ({ name: 'month', in: where, required: where === 'path', schema: monthOpenApi });
const amountProp = { type: 'integer', minimum: 1, description: 'Minor units (cents): 1000 = $10.00' };
const bad = problem('Invalid input (invalid_amount, unknown_currency, invalid_input)');
const auth = problem('Not signed in');
const role = problem('Missing role');
const strOrNull = nullable('string');
const time = dateTime;
const timeOrNull = nullable('string', { format: 'date-time' });
const qr = fields({ svg: str, png: { type: 'string', description: 'data: URL' } });
/** What POST .../close and .../payout answer: the month and the queued job's id. */
const queued = fields({ month: str, jobId: str }, ['jobId']);

export const moneyOpenApi: OpenApiFragment = {
  tags: [{ name: 'money', description: 'Wallets, top-ups, gift links, tips, payment streams, subscriptions, month close, payouts and withdrawals' }],
  schemas: {
    MoneyTransaction: fields({
      id: uuid, idempotencyKey: str, kind: str, provider: strOrNull,
      currency: str, amount: int, fee: int, rate: str, reference: strOrNull, memo: { type: 'object' },
      entries: { type: 'array', items: fields({ account: str, amount: { type: 'integer', description: 'Signed: positive into the account' } }) },
      replayed: { type: 'boolean', description: 'The key had been used before: nothing moved this time' }, createdAt: time,
    }),
    BooksHealth: fields({
      balanced: { type: 'boolean' }, sum: int, accounts: int,
      drifted: { type: 'integer', description: 'Accounts whose stored balance disagrees with the sum of their entries (should be none)' },
      unbalancedTransactions: int,
    }),
    WalletEntry: fields({ id: int, transactionId: uuid, kind: str, amount: { type: 'integer', description: 'Signed: positive into the wallet' }, provider: strOrNull, reference: strOrNull, memo: { type: 'object' }, createdAt: time }),
    Wallet: fields({ userId: uuid, currency: str, balance: int, entries: page(ref('WalletEntry')) }),
    WalletCredit: fields({ transaction: ref('MoneyTransaction'), balance: { type: 'integer', description: "The user's balance after the credit" } }),
    TopUpIntent: fields({ id: uuid, userId: uuid, provider: str, amount: int, currency: str, status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] }, createdAt: time }),
    GiftLink: fields({
      code: str, amount: int, currency: str, message: strOrNull,
      status: { type: 'string', enum: ['open', 'redeemed'] }, fundedFrom: { type: 'string', enum: ['wallet', 'node'] },
      createdAt: time, redeemedAt: timeOrNull, url: str,
    }),
    GiftLinkWithQr: { allOf: [ref('GiftLink'), fields({ qr })] },
    PaymentStream: fields({
      id: uuid,
      kind: { type: 'string', enum: ['linear', 'rate'], description: 'linear: a deposit streamed from start to end; rate: an amount per period, topped up from the wallet' },
      sender: fields({ id: uuid, username: strOrNull }),
      recipient: fields({ id: uuid, username: strOrNull }),
      currency: str,
      deposited: { type: 'integer', description: 'Moved into the stream\'s escrow so far (linear: the whole deposit)' },
      startAt: time, cliffAt: timeOrNull, endAt: timeOrNull,
      rate: orNull(fields({ amount: int, periodSeconds: int })),
      chunk: { type: ['integer', 'null'], description: 'Rate streams: what each top-up moves from the wallet' },
      cancelable: { type: 'boolean' },
      streamed: { type: 'integer', description: 'Streamed so far: floor(deposit × (now − start) / (end − start)) after the cliff; frozen once stopped' },
      withdrawn: int,
      withdrawable: { type: 'integer', description: 'streamed − withdrawn' },
      refunded: { type: 'integer', description: 'Returned to the sender by a cancel' },
      status: { type: 'string', enum: ['pending', 'streaming', 'settled', 'canceled', 'depleted'] },
      stoppedAt: timeOrNull,
      stopReason: { type: ['string', 'null'], enum: ['canceled', 'wallet_empty', 'closed', null], description: 'closed: the node closed it (pay as you watch: the viewer left or the live stream ended) and paid the recipient what had streamed' },
      runsDryAt: { ...timeOrNull, description: 'Rate streams: when the escrow runs out unless topped up' },
      createdAt: time,
    }),
    Tip: fields({
      id: uuid,
      direction: { type: 'string', enum: ['local', 'out', 'in'], description: 'local: artist on this node; out: to an artist on another node (owed by this node); in: from another node\'s listener' },
      tipperUri: { type: 'string', description: 'The tipper\'s actor URI' },
      artistUri: { type: 'string', description: 'The artist\'s channel actor URI' },
      trackUri: strOrNull, trackTitle: strOrNull,
      amount: int, nodeCut: { type: 'integer', description: 'What the tipper\'s node kept (money.tipNodeCutBasisPoints)' },
      toArtist: { type: 'integer', description: 'amount − nodeCut' },
      currency: str, message: strOrNull, transactionId: nullable('string', { format: 'uuid' }), createdAt: time,
    }),
    MeteredOffer: fields({
      invoice: { type: 'string', description: 'Pay it with POST /api/v1/metered/pay (from the wallet); it says its own terms' },
      macaroon: { type: 'string', description: 'Base64 (v2 binary): send it with the preimage as `Authorization: L402 <macaroon>:<preimage>`' },
      paymentHash: { type: 'string', description: 'sha256(preimage), hex' },
      trackId: uuid,
      renditions: { type: 'array', items: str, description: 'The rendition asked for and every cheaper one' },
      segments: fields({ from: int, to: int }, [], 'Segment indices covered, inclusive'),
      amount: int, currency: str,
      payBy: { ...time, description: 'The invoice can be paid until then' },
      expiresAt: { ...time, description: 'The credential works until then' },
    }),
    MeteredReceipt: fields({
      type: { enum: ['9ten-metered-receipt'] }, version: { type: 'integer', enum: [1] }, node: str, keyId: str, invoice: str, paymentHash: str,
      payer: uuid, artist: str, track: str, renditions: { type: 'array', items: str },
      segments: fields({ from: int, to: int }),
      segmentHashes: { type: 'object', additionalProperties: { type: 'array', items: str }, description: 'Per rendition: the SHA-256 of each segment covered, in order (as in its segment-hashes.json)' },
      amount: int, currency: str, transactionKey: { type: 'string', description: 'The books transaction\'s idempotency key: metered:<invoice>' }, paidAt: time,
    }, [], 'Signed with Ed25519 over its canonical JSON (keys sorted, no spaces): see docs/money.md'),
    MeteredReceiptKey: fields({ algorithm: { enum: ['Ed25519'] }, keyId: str, publicKeyPem: str }),
    MeteredPurchase: fields({
      invoice: str, trackId: uuid, trackTitle: str, artistUri: str, renditions: { type: 'array', items: str }, segments: fields({ from: int, to: int }),
      amount: int, nodeCut: int, currency: str,
      preimage: { type: 'string', description: 'Hex: proves the payment' }, macaroon: str,
      authorization: { type: 'string', description: 'The header value to send with each segment: `L402 <macaroon>:<preimage>`' },
      expiresAt: time, paidAt: time, transactionKey: str,
      receipt: ref('MeteredReceipt'), signature: { type: 'string', description: 'Ed25519, base64url' },
    }),
    MeteredPaid: fields({ purchase: ref('MeteredPurchase'), transaction: ref('MoneyTransaction'), replayed: { type: 'boolean' } }),
    MeteredEarnings: fields({
      currency: str, total: { ...int, description: 'After the node\'s cut (money.meteredNodeCutBasisPoints)' }, count: int,
      byDay: { type: 'array', items: fields({ day: { type: 'string', format: 'date' }, amount: int, count: int }) },
      byTrack: { type: 'array', items: fields({ trackId: uuid, title: str, amount: int, count: int }) },
    }),
    TipSent: fields({ tip: ref('Tip'), transaction: ref('MoneyTransaction'), replayed: { type: 'boolean' } }),
    TipEarnings: fields({
      currency: str, total: { type: 'integer', description: 'Credited to the artist here (after the node\'s cut)' }, count: int,
      byDay: { type: 'array', items: fields({ day: str, amount: int, count: int }) },
      byTrack: { type: 'array', items: fields({ trackUri: { ...strOrNull, description: 'null: tips to the channel' }, title: strOrNull, amount: int, count: int }) },
      recent: { type: 'array', items: ref('Tip'), description: 'The latest 50, credited here and from other nodes' },
      fromOtherNodes: fields(
        { total: int, count: int, byNode: { type: 'array', items: fields({ node: { type: 'string', description: 'The sending node\'s host' }, amount: int, count: int }) } },
        [],
        'Tips listeners on other nodes sent: owed by those nodes (as they announced them), not in total',
      ),
    }),
    PaymentStreamCreated: { allOf: [ref('PaymentStream'), fields({ replayed: { type: 'boolean', description: 'The Idempotency-Key had been used: this is the first stream' } })] },
    PaymentStreamMoved: fields({ stream: ref('PaymentStream'), transaction: orNull(ref('MoneyTransaction'), 'The movement (null: a cancel with nothing left to return)') }),
    GiftLinkCreated: { allOf: [ref('GiftLinkWithQr'), fields({ replayed: { type: 'boolean', description: 'The Idempotency-Key had been used: this is the first link' } })] },
    GiftLinkRedeemed: fields({ link: ref('GiftLink'), transaction: ref('MoneyTransaction'), balance: { type: 'integer', description: "The redeemer's balance after" } }),
    Subscription: fields({
      id: uuid, userId: uuid, status: { type: 'string', enum: ['active', 'past_due', 'lapsed', 'canceled'] },
      cancelAtPeriodEnd: { type: 'boolean' }, amount: int, nodeFee: int, currency: str,
      currentMonth: { type: ['string', 'null'], description: 'The last month paid for' }, pastDueMonth: { type: ['string', 'null'], description: 'The month that could not be paid' },
      pastDueSince: timeOrNull, graceEndsAt: { ...timeOrNull, description: 'When a past_due subscription lapses unless paid' }, createdAt: time, updatedAt: time,
    }),
    SubscriptionWithCharges: {
      allOf: [ref('Subscription'), fields({ charges: { type: 'array', description: 'Newest first, at most 36', items: fields({ month: str, amount: int, nodeFee: int, transactionId: uuid, createdAt: time }) } })],
    },
    Withdrawal: fields(
      {
        id: uuid, userId: uuid, amount: int, currency: str, destination: strOrNull,
        status: { type: 'string', enum: ['requested', 'settled'] }, reference: strOrNull, createdAt: time, settledAt: timeOrNull,
        replayed: { type: 'boolean', description: 'POST /api/v1/me/withdrawals only: the Idempotency-Key had been used' },
      },
      ['replayed'],
    ),
    WithdrawalPage: page(ref('Withdrawal')),
    Allocation: fields({
      month: str, status: { type: 'string', enum: ['closed', 'provisional', 'none'] }, currency: str, charged: int, nodeFee: int,
      carriedIn: int, unallocated: int,
      outcome: { type: ['string', 'null'], description: "What happened to an unallocated pool: the policy applied ('rollover', 'node', 'refund'), or 'split'" },
      artists: { type: 'array', items: fields({ artist: str, artistUserId: { type: ['string', 'null'], format: 'uuid' }, rank: int, seconds: int, amount: int, held: int }) },
    }),
    Earnings: fields({
      artistUserId: uuid, currency: str, balance: int, total: int,
      months: {
        type: 'array',
        description: 'Closed months, newest first',
        items: fields({ month: str, amount: int, held: int, seconds: int, listeners: int, payout: orNull(fields({ status: str, paidAt: timeOrNull }), 'Null until the month is paid out') }),
      },
      tracks: { type: 'array', items: fields({ month: str, trackId: str, seconds: int, amount: int, listeners: int }) },
    }),
    MonthClose: fields({
      month: str, status: { type: 'string', enum: ['running', 'closed', 'refused'] }, policy: { type: 'string', enum: ['rollover', 'node', 'refund'] },
      steps: { type: 'object', description: 'Each step done, with when', additionalProperties: { type: 'object' } },
      unitsTotal: int, unitsDone: int, error: strOrNull, startedAt: time, closedAt: timeOrNull, paidAt: timeOrNull,
    }),
    Payout: fields({
      month: str, artist: str, artistUserId: { type: ['string', 'null'], format: 'uuid' }, amount: int, listeners: int,
      status: { type: 'string', enum: ['due', 'paid', 'obligation'] }, paidAt: timeOrNull,
    }),
    MoneyStatement: fields({
      month: str, currency: str, close: orNull(ref('MonthClose'), 'Null until the close starts'),
      subscriptions: fields({ count: int, amount: int }), carriedIn: int, nodeFee: int,
      artists: fields({ total: int, payouts: { type: 'array', items: ref('Payout') } }), held: int,
      noListening: fields({ rolledOver: int, toNode: int, refunded: int }), balances: fields({ pool: int, payoutDue: int }),
    }),
  },
  paths: {
    '/api/v1/admin/money/health': {
      get: {
        tags, security: bearer, summary: 'Whether the books balance: every account sums to zero',
        responses: { 200: json('Books health', ref('BooksHealth')), 401: auth, 403: role },
      },
    },
    '/api/v1/me/wallet': {
      get: {
        tags, security: bearer, summary: 'My wallet: balance and entries (newest first, paged)',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: json('Wallet', ref('Wallet')), 401: auth },
      },
    },
    '/api/v1/admin/wallets/{userId}/credit': {
      post: {
        tags, security: bearer, summary: "Credit a user's wallet (admin top-up)",
        parameters: [pathParam('userId'), idemHeader],
        requestBody: jsonBody({ type: 'object', required: ['amount'], properties: { amount: amountProp, currency: { type: 'string' }, reference: { type: 'string' }, fee: { type: 'integer' }, rate: { type: 'string' } } }),
        responses: { 201: json('Credited', ref('WalletCredit')), 200: json('Replayed (same Idempotency-Key)', ref('WalletCredit')), 400: bad, 401: auth, 403: role, 404: problem('No such user') },
      },
    },
    '/api/v1/me/top-ups': {
      post: {
        tags, security: bearer, summary: 'Open a top-up to pay at the external processor (confirmed by its webhook)',
        requestBody: jsonBody({ type: 'object', required: ['amount'], properties: { amount: amountProp, currency: { type: 'string' } } }),
        responses: { 201: json('Pending top-up', ref('TopUpIntent')), 400: bad, 401: auth },
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
    '/api/v1/tips': {
      post: {
        tags, security: bearer, summary: 'Tip an artist from my wallet: a track or a channel, here or on another node',
        parameters: [idemHeader],
        requestBody: jsonBody({
          type: 'object', required: ['amount'],
          properties: {
            track: { type: 'string', description: 'A local track id, or a track URI (local or a remote track this node knows)' },
            channel: { type: 'string', description: 'A local channel name, or a channel actor URI (local or remote)' },
            amount: amountProp, currency: str, message: { type: 'string', maxLength: 280 },
          },
        }),
        responses: {
          201: json('Tipped', ref('TipSent')), 200: json('Replayed (same Idempotency-Key)', ref('TipSent')),
          400: problem('invalid_amount, invalid_tip_target, invalid_message, invalid_recipient, unknown_currency'), 401: auth, 402: problem('insufficient_funds'), 404: problem('No such track or channel'),
        },
      },
    },
    '/api/v1/metered/offers': {
      post: {
        tags, summary: 'An offer for a span of a metered track (what a 402 carries, asked for ahead of the playhead)',
        description: 'The span starts at the minute of the track holding `fromSegment` and covers `minutes` minutes of the rendition and of every cheaper one. Nothing is stored until the invoice is paid.',
        requestBody: jsonBody({
          type: 'object', required: ['track', 'rendition'], additionalProperties: false,
          properties: { track: uuid, rendition: str, fromSegment: { type: 'integer', minimum: 0, default: 0 }, minutes: { type: 'integer', minimum: 1, maximum: 60, default: 1 } },
        }),
        responses: { 200: json('The offer', ref('MeteredOffer')), 400: problem('invalid_rendition, invalid_span'), 404: problem('No such metered track') },
      },
    },
    '/api/v1/metered/pay': {
      post: {
        tags, security: bearer, summary: 'Pay an invoice of this node from my wallet: the preimage, the credential and a signed receipt',
        parameters: [idemHeader],
        requestBody: jsonBody({ type: 'object', required: ['invoice'], additionalProperties: false, properties: { invoice: str } }),
        responses: {
          201: json('Paid', ref('MeteredPaid')), 200: json('Replayed (same Idempotency-Key)', ref('MeteredPaid')),
          400: problem('invalid_invoice, invalid_recipient'), 401: auth, 402: problem('insufficient_funds'), 403: problem("invoice_not_yours (a subscriber's discounted live minutes)"),
          404: problem('The track is no longer metered here (or the live stream ended)'),
          409: problem('invoice_already_paid, invoice_expired, idempotency_key_reused, subscriber_plays_free'),
        },
      },
    },
    '/api/v1/metered/purchases': {
      get: {
        tags, security: bearer, summary: 'My metered purchases, newest first, with their credentials and receipts',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } }, { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } }],
        responses: { 200: json('Purchases', fields({ total: int, spent: { ...int, description: 'All I spent on metered tracks' }, data: { type: 'array', items: ref('MeteredPurchase') } })), 401: auth },
      },
    },
    '/api/v1/metered/purchases/{invoice}': {
      get: {
        tags, security: bearer, summary: 'One of my purchases: its credential again (after a crash) and its receipt',
        parameters: [pathParam('invoice', { type: 'string', pattern: '^[0-9a-f]{64}$' }, 'The invoice id (the receipt\'s `invoice`)')],
        responses: { 200: json('The purchase', ref('MeteredPurchase')), 401: auth, 404: problem('Not a purchase of mine') },
      },
    },
    '/api/v1/metered/receipt-key': {
      get: { tags, summary: 'The public key that signs metered receipts', responses: { 200: json('The key', ref('MeteredReceiptKey')) } },
    },
    '/api/v1/me/earnings/metered': {
      get: { tags, security: bearer, summary: 'Artist: metered sales, per day and per track', responses: { 200: json('Metered sales', ref('MeteredEarnings')), 401: auth, 403: role } },
    },
    '/api/v1/me/tips': {
      get: { tags, security: bearer, summary: 'Tips I sent, newest first', parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } }, { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } }], responses: { 200: json('Tips', page(ref('Tip'))), 401: auth } },
    },
    '/api/v1/me/earnings/tips': {
      get: {
        tags, security: bearer, summary: 'Artist: tips received (here and from other nodes), per day and per track',
        parameters: [{ name: 'from', in: 'query', schema: { type: 'string', format: 'date' } }, { name: 'to', in: 'query', schema: { type: 'string', format: 'date' } }],
        responses: { 200: json('Tips received', ref('TipEarnings')), 400: bad, 401: auth, 403: role },
      },
    },
    '/api/v1/streams': {
      post: {
        tags, security: bearer, summary: 'Start a payment stream to another user from my wallet (linear with an optional cliff, or an open-ended rate)',
        parameters: [idemHeader],
        requestBody: jsonBody({
          oneOf: [
            {
              type: 'object', required: ['recipient', 'amount'],
              properties: {
                recipient: { type: 'string', description: 'User id or username' }, amount: amountProp, currency: str,
                startAt: { ...time, description: 'Default: now' }, endAt: time, durationSeconds: { type: 'integer', minimum: 1 },
                cliffAt: time, cliffSeconds: { type: 'integer', minimum: 0, description: 'Seconds after the start' },
                cancelable: { type: 'boolean', default: true },
              },
            },
            {
              type: 'object', required: ['recipient', 'rate'],
              properties: {
                recipient: str, currency: str, startAt: time,
                rate: fields({ amount: amountProp, periodSeconds: { type: 'integer', minimum: 1, maximum: 2678400 } }),
                chunk: { ...amountProp, description: 'Moved from the wallet at each top-up (default: ten minutes of the rate)' },
              },
            },
          ],
        }),
        responses: {
          201: json('The stream', ref('PaymentStreamCreated')), 200: json('Replayed (same Idempotency-Key)', ref('PaymentStreamCreated')),
          400: problem('invalid_amount, invalid_stream_times, invalid_rate, invalid_recipient, unknown_currency'), 401: auth, 402: problem('insufficient_funds'), 404: problem('No such recipient'),
        },
      },
      get: {
        tags, security: bearer, summary: 'Streams I send or receive (newest first, at most 200)',
        parameters: [{ name: 'role', in: 'query', required: false, schema: { type: 'string', enum: ['sent', 'received', 'all'], default: 'all' } }],
        responses: { 200: json('Streams', fields({ data: { type: 'array', items: ref('PaymentStream') } })), 401: auth },
      },
    },
    '/api/v1/streams/{id}': {
      get: {
        tags, security: bearer, summary: 'A stream I send or receive, with what has streamed now',
        parameters: [pathParam('id')],
        responses: { 200: json('The stream', ref('PaymentStream')), 401: auth, 404: problem('No such stream (or not mine)') },
      },
    },
    '/api/v1/streams/{id}/withdraw': {
      post: {
        tags, security: bearer, summary: 'Recipient: withdraw what has streamed into my wallet (all of it, or `amount`)',
        parameters: [pathParam('id'), idemHeader],
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { amount: amountProp } } } } },
        responses: {
          200: json('Withdrawn', ref('PaymentStreamMoved')), 400: bad, 401: auth, 403: problem('Not the recipient'), 404: problem('No such stream'),
          409: problem('nothing_to_withdraw, exceeds_withdrawable (details.withdrawable), idempotency_key_reused'),
        },
      },
    },
    '/api/v1/streams/{id}/cancel': {
      post: {
        tags, security: bearer, summary: 'Sender: stop the stream; what streamed stays the recipient\'s, the rest returns to my wallet',
        parameters: [pathParam('id')],
        responses: {
          200: json('Cancelled', ref('PaymentStreamMoved')), 401: auth, 403: problem('Not the sender'), 404: problem('No such stream'),
          409: problem('not_cancelable, stream_canceled, stream_settled'),
        },
      },
    },
    '/api/v1/gift-links': {
      post: {
        tags, security: bearer, summary: 'Create a pre-funded gift link (funded from my wallet; admins may fund from the node)',
        parameters: [idemHeader],
        requestBody: jsonBody({ type: 'object', required: ['amount'], properties: { amount: amountProp, currency: { type: 'string' }, message: { type: 'string' }, fundFrom: { type: 'string', enum: ['wallet', 'node'] } } }),
        responses: { 201: json('Gift link with URL and QR code', ref('GiftLinkCreated')), 200: json('Replayed (same Idempotency-Key)', ref('GiftLinkCreated')), 400: bad, 401: auth, 402: problem('insufficient_funds'), 403: role },
      },
    },
    '/api/v1/gift-links/{code}': {
      get: {
        tags, summary: 'Preview a gift link (public)',
        parameters: [pathParam('code', { type: 'string' })],
        responses: { 200: json('Gift link', ref('GiftLinkWithQr')), 404: problem('No such gift link') },
      },
    },
    '/api/v1/gift-links/{code}/redeem': {
      post: {
        tags, security: bearer, summary: 'Redeem a gift link into my wallet (once)',
        parameters: [pathParam('code', { type: 'string' })],
        responses: { 200: json('Redeemed', ref('GiftLinkRedeemed')), 401: auth, 404: problem('No such gift link'), 410: problem('gift_link_redeemed') },
      },
    },
    '/api/v1/me/withdrawals': {
      post: {
        tags, security: bearer, summary: 'Request a withdrawal from my artist wallet (an admin settles it)',
        parameters: [idemHeader],
        requestBody: jsonBody({ type: 'object', required: ['amount'], properties: { amount: amountProp, currency: { type: 'string' }, destination: { type: 'string' } } }),
        responses: { 201: json('Requested', ref('Withdrawal')), 200: json('Replayed (same Idempotency-Key)', ref('Withdrawal')), 400: bad, 401: auth, 402: problem('insufficient_funds'), 403: role },
      },
    },
    '/api/v1/admin/withdrawals': {
      get: {
        tags, security: bearer, summary: 'Withdrawals to settle',
        parameters: [{ name: 'status', in: 'query', schema: { type: 'string', enum: ['requested', 'settled'] } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: json('Withdrawals', ref('WithdrawalPage')), 401: auth, 403: role },
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
      get: { tags, security: bearer, summary: 'My subscription and its charges', responses: { 200: json('Subscription', ref('SubscriptionWithCharges')), 401: auth, 404: problem('not_subscribed') } },
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
      get: { tags, security: bearer, summary: 'My earnings as an artist per month, with listener counts and payout state', responses: { 200: json('Earnings', ref('Earnings')), 401: auth, 403: role } },
    },
    '/api/v1/admin/money/statements/{month}': {
      get: { tags, security: bearer, summary: "The month's statement", parameters: [monthParam('path')], responses: { 200: json('Statement', ref('MoneyStatement')), 400: problem('invalid_month'), 401: auth, 403: role } },
    },
    '/api/v1/admin/money/months/{month}/close': {
      post: { tags, security: bearer, summary: 'Queue the close of a past month (idempotent)', parameters: [monthParam('path')], responses: { 202: json('Queued', queued), 401: auth, 403: role, 409: problem('month_not_over') } },
    },
    '/api/v1/admin/money/months/{month}/payout': {
      post: { tags, security: bearer, summary: "Queue a closed month's payouts (idempotent)", parameters: [monthParam('path')], responses: { 202: json('Queued', queued), 401: auth, 403: role, 409: problem('month_not_closed') } },
    },
  },
};
