// The ledger's part of the OpenAPI description: the auditors' endpoints.
import { bearer, fields, json, problem, ref, type OpenApiFragment, pathParam, str, int } from '../api/openapi-types.js';

const formatParam = { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv'], default: 'json' }, description: 'csv for a spreadsheet-ready export' };
const q = (name: string, description: string, required = true, schema: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'query', required, schema, description });
const csvOr = (description: string, schema: unknown) => ({
  description,
  content: { 'application/json': { schema }, 'text/csv': { schema: { type: 'string' } } },
});
const tags = ['ledger'];
const anyObject = { type: 'object', additionalProperties: true };
const artistAmount = fields({ artist: { type: 'string', description: "The artist's actor URI" }, amount: int });

export const ledgerOpenApi: OpenApiFragment = {
  tags: [{ name: 'ledger', description: 'The shared ledger for auditors: transactions, chain verification, statements, payouts, disputes, recomputation' }],
  schemas: {
    LedgerTransaction: {
      type: 'object',
      required: ['blockNumber', 'txId', 'fn', 'args', 'creatorMsp', 'creatorId', 'timestamp', 'hash', 'prevHash'],
      properties: {
        blockNumber: { type: 'integer' },
        txId: { type: 'string' },
        fn: { type: 'string', description: 'Contract:function' },
        args: { type: 'array', items: { type: 'string' } },
        creatorMsp: { type: 'string' },
        creatorId: { type: 'string', description: "the submitting node's ledger identity" },
        timestamp: { type: 'string', format: 'date-time' },
        hash: { type: 'string', description: "the block's hash (fabric engine: SHA-256 of the block header's ASN.1 DER encoding)" },
        prevHash: { type: 'string', description: "the previous block's hash (fabric engine: the header's previous_hash; empty for block 0)" },
        validationCode: {
          type: 'string',
          description: "fabric engine only: Fabric's validation code (VALID, MVCC_READ_CONFLICT, DUPLICATE_TXID, ...); a peer's blocks also hold transactions that failed validation, which changed nothing",
        },
      },
    },
    LedgerTransactionPage: fields({ total: int, page: int, limit: int, data: { type: 'array', items: ref('LedgerTransaction') } }),
    LedgerVerifyReport: fields(
      {
        ok: { type: 'boolean' },
        blocks: { type: 'integer', description: 'blocks checked before the first broken one (all when ok)' },
        lastHash: str,
        brokenAt: { type: 'integer', description: 'the first block whose data or link does not match' },
        txId: str,
        reason: str,
      },
      ['brokenAt', 'txId', 'reason'],
    ),
    LedgerNode: fields({ nodeId: str, actorUrl: str, cluster: str, organisation: str, joinedAt: str, updatedAt: str, txId: str }, [], 'A node in the registry (NodeRegistryContract)'),
    LedgerNodeList: fields({ data: { type: 'array', items: ref('LedgerNode') } }),
    LedgerStatement: fields(
      {
        nodeId: str,
        month: str,
        currency: { type: ['string', 'null'] },
        policy: { type: 'string', enum: ['rollover', 'node', 'refund'], description: 'What happens to a subscription with no listening' },
        nodeFee: int,
        subscriptions: int,
        grossTotal: int,
        creditsIn: int,
        nodeFeeTotal: int,
        payouts: { type: 'array', items: artistAmount },
        payoutTotal: int,
        rolledOver: int,
        toNodeTotal: int,
        refundedTotal: int,
        heldTotal: int,
        heldByArtist: { type: 'array', items: artistAmount },
        income: {
          type: 'array', description: 'Income besides the split (IncomeContract days of the month), per artist: tips, payment-stream withdrawals and metered sales',
          items: fields({ artist: str, tips: int, streams: int, metered: int }),
        },
        incomeTotals: fields({ tips: int, streams: int, metered: int }),
        days: { type: 'array', description: 'The daily reports the close read', items: fields({ day: str, version: int, hash: str }) },
        missingDays: { type: 'array', items: str },
        collection: str,
        hash: { type: 'string', description: 'SHA-256 of the private per-subscription detail, in pseudonym order' },
        closedAt: str,
        txId: str,
      },
      ['income', 'incomeTotals'],
      "A node's monthly statement as MonthCloseContract recorded it (income and incomeTotals: closed with IncomeContract, decision 0306)",
    ),
    LedgerPayout: fields({ artist: str, nodeId: str, month: str, amount: int, currency: { type: ['string', 'null'] }, dueBy: str, closedAt: str, txId: str }),
    LedgerPayouts: fields({ artist: str, total: { type: 'integer', description: 'Sum of the amounts, across currencies' }, data: { type: 'array', items: ref('LedgerPayout') } }),
    LedgerDisputeStep: fields({ disputeId: str, seq: int, step: { type: 'string', enum: ['opened', 'assigned', 'voted', 'replaced', 'decided', 'applied'] }, at: str, txId: str, detail: { type: 'object' } }),
    LedgerDisputeHistory: fields({ dispute: { type: 'object', description: "DisputeContract's record" }, history: { type: 'array', items: ref('LedgerDisputeStep') } }),
    LedgerRecomputeReport: fields({
      nodeId: str,
      month: str,
      matches: { type: 'boolean' },
      statementTxId: str,
      artists: {
        type: 'array',
        description: 'Per artist: what the statement and the payout records say, and what the recomputation gives',
        items: fields({ artist: str, recorded: int, payoutRecord: { type: ['integer', 'null'] }, recomputed: int, matches: { type: 'boolean' } }),
      },
      detailHash: fields({ recorded: str, recomputed: str, matches: { type: 'boolean' } }),
      income: {
        type: 'array',
        description: 'Income besides the split (a statement closed with IncomeContract): per artist, the statement\'s sums against the month\'s IncomeContract days',
        items: fields({ artist: str, recorded: fields({ tips: int, streams: int, metered: int }), recomputed: fields({ tips: int, streams: int, metered: int }), matches: { type: 'boolean' } }),
      },
      problems: { type: 'array', items: str },
    }, ['income']),
    LedgerCampaign: fields(
      {
        nodeId: str,
        campaignId: str,
        artist: { type: 'string', description: "The artist's channel actor URI" },
        currency: str,
        goal: int,
        shareBasisPoints: { type: 'integer', description: 'The share of every income of the artist that repays investors' },
        capBasisPoints: { type: 'integer', description: 'What an investor gets back at most, in basis points of what they invested (15000: 1.5×)' },
        raised: int,
        pledges: int,
        investors: int,
        status: { type: 'string', enum: ['funded', 'failed', 'cancelled'] },
        settledDay: str,
        investorsHash: { type: 'string', description: 'SHA-256 of the private investor rows (pseudonym, invested, cap) in the order the node breaks ties' },
        capTotal: { type: 'integer', description: 'The sum of the caps: the most the campaign repays' },
        collection: { type: 'string', description: "The private data collection holding the investor rows (the node's organisation)" },
        repaid: { type: 'integer', description: 'The sum of the recorded repayments' },
        lastSeq: int,
        lastDay: { type: ['string', 'null'] },
        repaidDay: { type: ['string', 'null'], description: 'The day every cap was reached' },
        recordedAt: str,
        txId: str,
      },
      [],
      'A settled investment campaign as InvestmentContract recorded it (decision 0309)',
    ),
    LedgerCampaignList: fields({ data: { type: 'array', items: ref('LedgerCampaign') } }),
    LedgerCampaignRepayment: fields(
      {
        seq: { type: 'integer', description: "The repayment's place in the campaign's order on the node" },
        incomeHash: { type: 'string', description: "SHA-256 of the income's key on the node" },
        incomeKind: { type: 'string', description: 'payout, hold.release, tip, metered or stream.withdraw' },
        incomeAmount: int,
        share: { type: 'integer', description: 'floor(incomeAmount × shareBasisPoints / 10000)' },
        paid: { type: 'integer', description: 'What investors took: the share, or what was left under their caps' },
      },
    ),
    LedgerCampaignRepaymentDay: fields({
      nodeId: str, campaignId: str, day: str, repayments: { type: 'array', items: ref('LedgerCampaignRepayment') }, paid: int, repaidAfter: int, submittedAt: str, txId: str,
    }),
    LedgerCampaignRepayments: fields({ campaign: ref('LedgerCampaign'), data: { type: 'array', items: ref('LedgerCampaignRepaymentDay') } }),
    LedgerInvestmentRecompute: fields(
      {
        nodeId: str,
        campaignId: str,
        status: str,
        matches: { type: 'boolean', description: 'Every check below agrees and nothing was left unread' },
        throughSeq: { type: 'integer', description: "The last repayment on the ledger: the node's figures are taken as they stood after it" },
        investorsHash: fields({ recorded: str, recomputed: str, matches: { type: 'boolean' } }),
        repaid: fields({
          recorded: { type: 'integer', description: "The campaign record's repaid" },
          replayed: { type: 'integer', description: 'What the replay of every repayment pays out' },
          node: { type: ['integer', 'null'], description: "The node's books (null: not this node's campaign)" },
          matches: { type: 'boolean' },
        }),
        investors: {
          type: 'array',
          description: 'Per investor pseudonym, in the rows\' order: the replayed figure against the node\'s',
          items: fields({ investor: str, invested: int, cap: int, replayed: int, node: { type: ['integer', 'null'] }, matches: { type: 'boolean' } }),
        },
        repayments: fields({
          count: int,
          mismatched: {
            type: 'array', description: 'Repayments whose share or paid differ from the replay',
            items: fields({ seq: int, day: str, share: int, paid: int, expectedShare: int, replayedPaid: int }),
          },
        }),
        problems: { type: 'array', items: str },
      },
      [],
      "A campaign's repayments replayed from the ledger (public repayments, the node's private investor rows) and compared with the record and the node's books",
    ),
  },
  paths: {
    '/api/v1/ledger/transactions': {
      get: {
        tags,
        summary: 'List ledger transactions in block order (auditor)',
        description: "The embedded engine's transaction log, or with the fabric engine the chaincode's transactions in the peer's blocks (read through qscc), with their validation codes.",
        security: bearer,
        parameters: [
          q('fn', 'only this function (Contract:function) or contract (Contract)', false),
          q('creator', "only transactions submitted by this node id", false),
          q('fromBlock', 'first block number', false, { type: 'integer', minimum: 0 }),
          q('page', 'page number, from 1', false, { type: 'integer', minimum: 1, default: 1 }),
          q('limit', 'page size', false, { type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
          formatParam,
        ],
        responses: {
          200: csvOr('A page of transactions', ref('LedgerTransactionPage')),
          401: problem('Not signed in'),
          403: problem('Not an auditor'),
          503: problem('Ledger unavailable'),
        },
      },
    },
    '/api/v1/ledger/transactions/{txId}': {
      get: {
        tags,
        summary: 'One transaction with its read/write set, events and result (auditor)',
        security: bearer,
        parameters: [{ name: 'txId', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } }],
        responses: {
          200: json('The transaction: the list fields plus channel, argsHash, rwset (reads, ranges, writes; private keys and values only as hashes), events and result', anyObject),
          401: problem('Not signed in'),
          403: problem('Not an auditor'),
          404: problem('No such transaction'),
          503: problem('Ledger unavailable'),
        },
      },
    },
    '/api/v1/ledger/verify': {
      get: {
        tags,
        summary: 'Recompute the hash chain and report the first broken link (auditor)',
        description: "Fabric engine: every block from the genesis block, by Fabric's rules (data_hash over the block's envelopes, previous_hash = hash of the previous header, the last header's hash = the peer's current block hash).",
        security: bearer,
        responses: { 200: json('Verification report', ref('LedgerVerifyReport')), 401: problem('Not signed in'), 403: problem('Not an auditor'), 503: problem('Ledger unavailable') },
      },
    },
    '/api/v1/ledger/nodes': {
      get: { tags, summary: 'The node registry (public)', parameters: [formatParam], responses: { 200: csvOr('Registered nodes', ref('LedgerNodeList')), 503: problem('Ledger unavailable') } },
    },
    '/api/v1/ledger/statements': {
      get: {
        tags,
        summary: "A node's monthly statement (public)",
        parameters: [q('node', 'node id (actor URL)'), q('month', 'YYYY-MM'), formatParam],
        responses: { 200: csvOr('The statement (CSV: its payouts)', ref('LedgerStatement')), 400: problem('Invalid input'), 404: problem('Month not closed') },
      },
    },
    '/api/v1/ledger/payouts': {
      get: {
        tags,
        summary: "An artist's payout obligations across nodes (public)",
        parameters: [q('artist', "the artist's actor URI"), formatParam],
        responses: { 200: csvOr('Payouts by node then month', ref('LedgerPayouts')), 400: problem('Invalid input') },
      },
    },
    '/api/v1/ledger/reports': {
      get: {
        tags,
        summary: "A node's daily report: per-artist totals and the rows hash (public)",
        parameters: [q('node', 'node id'), q('day', 'YYYY-MM-DD'), formatParam],
        responses: { 200: csvOr('The report (CSV: artist totals)', anyObject), 400: problem('Invalid input'), 404: problem('No report') },
      },
    },
    '/api/v1/ledger/reports/rows': {
      get: {
        tags,
        summary: "A daily report's private per-listener rows (auditor; this node's organisation only)",
        security: bearer,
        parameters: [q('node', 'node id'), q('day', 'YYYY-MM-DD'), formatParam],
        responses: { 200: csvOr('Pseudonymous rows', anyObject), 400: problem('Refused by the chaincode'), 401: problem('Not signed in'), 403: problem('Not an auditor'), 404: problem('No rows') },
      },
    },
    '/api/v1/ledger/disputes/{disputeId}': {
      get: {
        tags,
        summary: 'A dispute and every step of its history (auditor)',
        security: bearer,
        parameters: [pathParam('disputeId', { type: 'string' }), formatParam],
        responses: { 200: csvOr('Dispute and history (CSV: history)', ref('LedgerDisputeHistory')), 401: problem('Not signed in'), 403: problem('Not an auditor'), 404: problem('No such dispute') },
      },
    },
    '/api/v1/ledger/recompute': {
      get: {
        tags,
        summary: "Recompute a closed month's payouts from the ledger's own data and compare (auditor)",
        security: bearer,
        parameters: [q('node', 'node id'), q('month', 'YYYY-MM'), formatParam],
        responses: { 200: csvOr('Comparison per artist', ref('LedgerRecomputeReport')), 401: problem('Not signed in'), 403: problem('Not an auditor'), 404: problem('Month not closed'), 503: problem('Ledger unavailable') },
      },
    },
    '/api/v1/ledger/campaigns': {
      get: {
        tags,
        summary: "A node's settled investment campaigns (public)",
        parameters: [q('node', 'node id'), formatParam],
        responses: { 200: csvOr('Campaign records by campaign id', ref('LedgerCampaignList')), 400: problem('Invalid input') },
      },
    },
    '/api/v1/ledger/campaigns/repayments': {
      get: {
        tags,
        summary: "A campaign's record and its repayments, day by day (public)",
        parameters: [q('node', 'node id'), q('campaign', 'campaign id'), formatParam],
        responses: { 200: csvOr('The campaign and its repayment days (CSV: one line per repayment)', ref('LedgerCampaignRepayments')), 400: problem('Invalid input'), 404: problem('No such campaign on the ledger') },
      },
    },
    '/api/v1/ledger/campaigns/recompute': {
      get: {
        tags,
        summary: "Replay a campaign's repayments from the ledger and compare with the record and the node's books (auditor; this node's organisation reads the investor rows)",
        description: "Reads the campaign record, its private investor rows (checked against the record's hash) and every repayment day, replays the capped split of each share (shared/money replayRepayments) and compares what each investor and the campaign got with the node's money_campaign_investors.received and money_campaigns.repaid as they stood after the last repayment on the ledger.",
        security: bearer,
        parameters: [q('node', 'node id'), q('campaign', 'campaign id'), formatParam],
        responses: { 200: csvOr('The comparison (CSV: per investor)', ref('LedgerInvestmentRecompute')), 401: problem('Not signed in'), 403: problem('Not an auditor'), 404: problem('No such campaign on the ledger'), 503: problem('Ledger unavailable') },
      },
    },
  },
};
