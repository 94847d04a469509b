// The investment campaigns' part of money's OpenAPI description (server/money/campaigns.ts).
import { bearer, fields, json, jsonBody, nullable, pathParam, problem, ref, type OpenApiFragment } from '../api/openapi-types.js';

const tags = ['money'];
const idem = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 }, description: 'A retry with the same key answers the same result' };

export const campaignsOpenApi: OpenApiFragment = {
  schemas: {
    Campaign: fields({
      id: { type: 'string', format: 'uuid' },
      channel: fields({ id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, displayName: { type: 'string' } }),
      artistUserId: { type: 'string', format: 'uuid' },
      title: { type: 'string' },
      description: { type: 'string' },
      currency: { type: 'string' },
      goal: { type: 'integer', description: 'Minor units to raise by the deadline' },
      minPledge: { type: 'integer' },
      deadline: { type: 'string', format: 'date-time' },
      shareBasisPoints: { type: 'integer', description: "The share of the artist's future income that repays investors (100 = 1 %)" },
      capMultiple: { type: 'number', description: 'What each investor gets back at most, as a multiple of what they put in' },
      nodeCutBasisPoints: { type: 'integer', description: "The node's cut of a funded campaign, fixed when it opened" },
      status: { type: 'string', enum: ['open', 'funded', 'failed', 'cancelled'], description: 'funded: the goal was reached by the deadline and the artist was paid; failed: it was not, every pledge refunded; cancelled: by the artist before the deadline, every pledge refunded' },
      raised: { type: 'integer' },
      pledges: { type: 'integer' },
      investors: { type: 'integer' },
      createdAt: { type: 'string', format: 'date-time' },
      settledAt: nullable('string', { format: 'date-time' }),
      repaid: { type: 'integer', description: 'Paid back to investors so far (the public repayment record)' },
      repaidAt: nullable('string', { format: 'date-time', description: 'When every investor reached the cap' }),
      owed: { type: 'integer', description: 'Still owed to investors at most (the caps less what was repaid); 0 until funded' },
    }),
    Repayment: fields({
      campaignId: { type: 'string', format: 'uuid' },
      at: { type: 'string', format: 'date-time' },
      amount: { type: 'integer', description: 'What this investor received from one income of the artist' },
      incomeKind: { type: 'string', description: 'The income it came from: payout, hold.release, tip, metered or stream.withdraw' },
    }),
    Investment: fields({
      campaignId: { type: 'string', format: 'uuid' },
      title: { type: 'string' },
      invested: { type: 'integer' },
      cap: { type: 'integer', description: 'The most this investment pays back' },
      received: { type: 'integer' },
      remaining: { type: 'integer', description: 'Still to come at most (cap - received)' },
      done: { type: 'boolean' },
    }),
    Pledge: fields({
      id: { type: 'string', format: 'uuid' },
      campaignId: { type: 'string', format: 'uuid' },
      amount: { type: 'integer' },
      refunded: { type: 'boolean' },
      createdAt: { type: 'string', format: 'date-time' },
    }),
    NewCampaign: {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'goal', 'minPledge', 'deadline', 'shareBasisPoints', 'capMultiple'],
      properties: {
        title: { type: 'string', minLength: 1, maxLength: 200 },
        description: { type: 'string', maxLength: 5000 },
        goal: { type: 'integer', minimum: 1 },
        minPledge: { type: 'integer', minimum: 1 },
        deadline: { type: 'string', format: 'date-time', description: 'At least a minute and at most 365 days away' },
        shareBasisPoints: { type: 'integer', minimum: 1, maximum: 10000 },
        capMultiple: { type: 'number', minimum: 1, maximum: 10 },
        currency: { type: 'string' },
      },
    },
  },
  paths: {
    '/api/v1/channels/{channel}/campaigns': {
      post: {
        tags, security: bearer, summary: "Open an investment campaign on your channel (one open at a time; all your campaigns' shares at most 100 %)",
        parameters: [pathParam('channel', { type: 'string' }, 'The channel id or name'), idem],
        requestBody: jsonBody(ref('NewCampaign')),
        responses: {
          201: json('Opened', ref('Campaign')), 200: json('The same Idempotency-Key: the same campaign', ref('Campaign')), 400: problem('invalid_campaign, invalid_amount, unknown_currency'),
          401: problem('Not signed in'), 403: problem("Not the channel's artist"), 404: problem('No such channel'), 409: problem('campaign_open, share_over_100'),
        },
      },
      get: { tags, summary: "A channel's campaigns, newest first (its repayment record is public)", parameters: [pathParam('channel', { type: 'string' })], responses: { 200: json('Campaigns', { type: 'array', items: ref('Campaign') }), 404: problem('No such channel') } },
    },
    '/api/v1/campaigns/{id}': {
      get: { tags, summary: 'A campaign', parameters: [pathParam('id')], responses: { 200: json('The campaign', ref('Campaign')), 404: problem('No such campaign') } },
    },
    '/api/v1/campaigns/{id}/pledges': {
      post: {
        tags, security: bearer, summary: "Pledge to an open campaign from your wallet (held in the campaign's escrow until the deadline)",
        parameters: [pathParam('id'), idem],
        requestBody: jsonBody({ type: 'object', required: ['amount'], additionalProperties: false, properties: { amount: { type: 'integer', minimum: 1 } } }),
        responses: {
          201: json('Pledged', ref('Pledge')), 200: json('The same Idempotency-Key: the same pledge', ref('Pledge')), 400: problem('pledge_too_small, invalid_amount, invalid_recipient (your own campaign)'),
          401: problem('Not signed in'), 402: problem('insufficient_funds'), 404: problem('No such campaign'), 409: problem('campaign_closed, idempotency_key_reused'),
        },
      },
    },
    '/api/v1/campaigns/{id}/cancel': {
      post: {
        tags, security: bearer, summary: 'Cancel an open campaign before its deadline (its artist or an admin): every pledge is refunded',
        parameters: [pathParam('id')],
        responses: { 200: json('Cancelled', ref('Campaign')), 401: problem('Not signed in'), 403: problem('Not its artist'), 404: problem('No such campaign'), 409: problem('campaign_closed') },
      },
    },
    '/api/v1/me/investments': {
      get: { tags, security: bearer, summary: 'My stakes in funded campaigns: invested, received, left to the cap', responses: { 200: json('Investments', { type: 'array', items: ref('Investment') }), 401: problem('Not signed in') } },
    },
    '/api/v1/me/investments/history': {
      get: {
        tags, security: bearer, summary: 'Every repayment I received, oldest first (the chart over time)',
        parameters: [{ name: 'campaign', in: 'query', required: false, schema: { type: 'string', format: 'uuid' }, description: 'Only this campaign' }],
        responses: { 200: json('Repayments', { type: 'array', items: ref('Repayment') }), 400: problem('Not a campaign id'), 401: problem('Not signed in') },
      },
    },
    '/api/v1/me/pledges': {
      get: { tags, security: bearer, summary: 'My pledges, newest first', responses: { 200: json('Pledges', { type: 'array', items: ref('Pledge') }), 401: problem('Not signed in') } },
    },
  },
};
