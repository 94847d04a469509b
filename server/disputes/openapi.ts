import { monthOpenApi } from '../http/month.js';
import { bearer, fields, json, orNull, problem, ref, type OpenApiFragment, jsonBody, pathParam, pagingParams } from '../api/openapi-types.js';

const decision = { type: ['string', 'null'], enum: ['release', 'void', null] };
const subject = fields({ type: { type: 'string', enum: ['reportRow', 'payout'] }, ref: { type: 'string', description: '`<month>:<artist actor URI or listener pseudonym>`' } });
const id = pathParam('id');

const summary = fields({
  id: { type: 'string', format: 'uuid', description: 'The dispute id (the same on the ledger and on every node)' },
  role: { type: 'string', enum: ['reporting', 'reviewer'], description: "This node's part: its own figures, or a review for another node" },
  reportingNode: { type: 'string', format: 'uri' },
  month: { type: 'string' },
  subject,
  artist: { type: ['string', 'null'] },
  amount: { type: 'integer', description: 'Held money at stake, in minor units' },
  currency: { type: 'string' },
  openedBy: { type: 'string', enum: ['auto', 'artist', 'listener', 'admin', 'remote'] },
  status: { type: 'string', enum: ['opening', 'open', 'decided', 'applied', 'refused'] },
  decision,
  deadline: { type: ['string', 'null'], format: 'date-time', description: "This node's voting deadline (or the dispute's)" },
  reviewers: {
    type: 'array',
    items: fields({
      nodeId: { type: 'string', format: 'uri' },
      role: { type: 'string', enum: ['reporting', 'cluster', 'other'] },
      deadline: { type: 'string', format: 'date-time' },
      voted: { type: 'boolean' },
      decision,
    }),
  },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
  appliedAt: { type: ['string', 'null'], format: 'date-time' },
  error: { type: ['string', 'null'] },
});

export const disputesOpenApi: OpenApiFragment = {
  tags: [{ name: 'disputes', description: 'Three-node review ("three eyes") of held listening and contested payouts' }],
  schemas: {
    DisputeSummary: summary,
    Dispute: {
      allOf: [
        ref('DisputeSummary'),
        fields(
          {
            evidenceHash: { type: 'string', description: 'SHA-256 of the canonical JSON evidence, as recorded on the ledger' },
            evidence: { type: 'object', description: 'Anonymized evidence: per-month pseudonyms, held amounts, segment-served counts, timings, anomaly rules (admins, auditors and reviewers only)' },
            myReview: orNull(
              fields({
                reviewer: { type: 'string', format: 'uri' },
                deadline: { type: 'string', format: 'date-time' },
                vote: orNull(fields({ decision: { type: 'string', enum: ['release', 'void'] }, reason: { type: 'string' }, status: { type: 'string' } })),
              }),
              "This node's reviewer seat and vote (admins and auditors)",
            ),
            holds: { type: 'array', description: 'The reporting node only', items: fields({ amount: { type: 'integer' }, status: { type: 'string', enum: ['held', 'released', 'refunded'] } }) },
            history: { type: 'array', description: 'Every step on the ledger (opened, assigned, voted, replaced, decided, applied)', items: ref('LedgerDisputeStep') },
          },
          ['evidence', 'myReview', 'holds', 'history'],
        ),
      ],
    },
    DisputeReview: {
      allOf: [ref('DisputeSummary'), fields({ myVote: decision, evidence: { type: 'object', description: 'The anonymized evidence' } })],
      description: 'A dispute in the review queue, with this node\'s vote',
    },
    OpenDispute: {
      type: 'object',
      required: ['month'],
      properties: {
        month: monthOpenApi,
        as: { type: 'string', enum: ['artist', 'listener', 'admin'], description: 'Default: by role (artist: contest a payout; listener: where my money went)' },
        artist: { type: 'string', format: 'uri', description: "The artist's actor URI (admins; artists with several channels)" },
        listenerId: { type: 'string', format: 'uuid', description: 'Admins: a dispute about one listener\'s held shares' },
        subject: { type: 'string', enum: ['reportRow', 'payout'], description: 'Admins only' },
        reason: { type: 'string', maxLength: 4096, description: 'Shown to the reviewer nodes with the evidence: no personal data' },
      },
    },
    DisputeList: fields({ items: { type: 'array', items: ref('DisputeSummary') } }),
    ReviewQueue: fields({ total: { type: 'integer' }, items: { type: 'array', items: ref('DisputeReview') } }),
    DisputeVote: {
      type: 'object',
      required: ['decision', 'reason'],
      properties: { decision: { type: 'string', enum: ['release', 'void'] }, reason: { type: 'string', minLength: 3, maxLength: 4096 } },
    },
    VoteResult: fields({ status: { type: 'string', enum: ['recorded', 'pending'], description: 'recorded: on the ledger (200); pending: queued for it (202)' }, dispute: ref('Dispute') }),
  },
  paths: {
    '/api/v1/disputes': {
      post: {
        tags: ['disputes'],
        summary: 'Open a dispute (artist: contest a payout; listener: where my money went; admin: any held listening)',
        security: bearer,
        requestBody: jsonBody(ref('OpenDispute')),
        responses: {
          201: json('The dispute, recorded locally and queued for the ledger', ref('Dispute')),
          400: problem('Invalid input'),
          401: problem('Not signed in'),
          403: problem('The role cannot open that kind of dispute'),
          409: problem('Nothing to contest, or already under review'),
        },
      },
    },
    '/api/v1/disputes/{id}': {
      get: {
        tags: ['disputes'],
        summary: 'A dispute: status and outcome for its parties; evidence and ledger history for admins and auditors',
        security: bearer,
        parameters: [id],
        responses: { 200: json('The dispute', ref('Dispute')), 401: problem('Not signed in'), 404: problem('No such dispute, or not yours') },
      },
    },
    '/api/v1/me/disputes': {
      get: {
        tags: ['disputes'],
        summary: 'Disputes I opened or that concern my listening or payouts',
        security: bearer,
        responses: { 200: json('Disputes', ref('DisputeList')), 401: problem('Not signed in') },
      },
    },
    '/api/v1/admin/disputes/reviews': {
      get: {
        tags: ['disputes'],
        summary: "The review queue: disputes where this node is an assigned reviewer, with evidence and deadline",
        security: bearer,
        parameters: [
          { name: 'state', in: 'query', schema: { type: 'string', enum: ['pending', 'all'], default: 'pending' } },
          ...pagingParams(50, 200),
        ],
        responses: {
          200: json('Review queue', ref('ReviewQueue')),
          401: problem('Not signed in'),
          403: problem('Admins only'),
        },
      },
    },
    '/api/v1/admin/disputes/{id}/vote': {
      post: {
        tags: ['disputes'],
        summary: "Cast this node's vote (once), recorded on the ledger under the node's identity",
        security: bearer,
        parameters: [id],
        requestBody: jsonBody(ref('DisputeVote')),
        responses: {
          200: json('Vote recorded on the ledger', ref('VoteResult')),
          202: json('Vote queued; the ledger has not answered yet', ref('VoteResult')),
          400: problem('Invalid input'),
          403: problem('Not an admin, or this node is not an assigned reviewer'),
          404: problem('No such dispute here'),
          409: problem('Already voted, already decided, or refused by the ledger'),
        },
      },
    },
  },
};
