// The auditors' REST API under /api/v1/ledger: the transaction log, the chain check,
// public records (nodes, statements, payouts, daily totals), and for the auditor role
// the private rows, dispute histories and payout recomputation. JSON, or CSV with
// `?format=csv`. The log is the embedded engine's table or, with the fabric engine, the
// peer's blocks.
import { monthSchema } from '../http/month.js';
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { NodeContext } from '../context.js';
import { isPublic, requireRole } from '../accounts/middleware.js';
import { AppError, notFound, route } from '../http/errors.js';
import { ledgerEngine } from './registry.js';
import { EmbeddedLedger } from './embedded.js';
import { FabricLedger } from './fabric.js';
import { recomputeMonth, toCsv, transactionLogOf } from './audit.js';
import { campaignOnLedger, recomputeCampaign } from './investment-audit.js';
import type { DefaultLedgerService } from './service.js';
import { LedgerError } from './types.js';

const format = z.enum(['json', 'csv']).default('json');
const month = monthSchema;
const day = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be YYYY-MM-DD');
const text = z.string().min(1).max(2048);

function send(res: Response, fmt: 'json' | 'csv', body: unknown, csvRows: () => Record<string, unknown>[], filename: string, columns?: string[]) {
  if (fmt === 'csv') {
    res.type('text/csv; charset=utf-8').setHeader('content-disposition', `attachment; filename="${filename}.csv"`);
    res.send(toCsv(csvRows(), columns));
  } else {
    res.json(body);
  }
}

/** The engine behind the node, when it is one whose log auditors can read (both built-in engines are). */
function auditable(ctx: NodeContext): EmbeddedLedger | FabricLedger {
  const engine = ledgerEngine(ctx);
  if (engine instanceof EmbeddedLedger || engine instanceof FabricLedger) return engine;
  throw new AppError(501, 'not_available', `The ${engine.engine} engine of this node does not serve the transaction log`);
}

/** Ledger errors as HTTP errors: a chaincode refusal is the caller's 400, anything else the ledger's 503. */
async function fromLedger<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof LedgerError) {
      if (err.code === 'chaincode') throw new AppError(400, 'ledger_refused', err.message);
      throw new AppError(503, 'ledger_unavailable', err.message);
    }
    throw err;
  }
}

const evaluate = (ctx: NodeContext, fn: string, args: string[]): Promise<unknown> => fromLedger(ledgerEngine(ctx).evaluate(fn, args));

export function ledgerRoutes(ctx: NodeContext, service: DefaultLedgerService): Router {
  const r = Router();
  const auditor = requireRole('auditor');

  r.get(
    '/api/v1/ledger/transactions',
    auditor,
    route(async (req, res) => {
      const q = z
        .object({
          fn: z.string().min(1).max(200).optional(),
          creator: text.optional(),
          fromBlock: z.coerce.number().int().min(0).optional(),
          page: z.coerce.number().int().min(1).default(1),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          format,
        })
        .parse(req.query);
      const engine = auditable(ctx);
      const out = await fromLedger(transactionLogOf(engine).list({ fn: q.fn, creator: q.creator, fromBlock: q.fromBlock, limit: q.limit, offset: (q.page - 1) * q.limit }));
      const columns = ['blockNumber', 'txId', 'fn', 'creatorMsp', 'creatorId', 'timestamp', 'args', 'hash', 'prevHash'];
      send(res, q.format, { total: out.total, page: q.page, limit: q.limit, data: out.data }, () => out.data as unknown as Record<string, unknown>[], 'ledger-transactions', engine.engine === 'fabric' ? [...columns, 'validationCode'] : columns);
    }),
  );

  r.get(
    '/api/v1/ledger/transactions/:txId',
    auditor,
    route(async (req, res) => {
      const txId = z.string().regex(/^[0-9a-f]{64}$/, 'must be a 64-character hex transaction id').parse(req.params.txId);
      const tx = await fromLedger(transactionLogOf(auditable(ctx)).get(txId));
      if (!tx) throw notFound('Transaction');
      res.json(tx);
    }),
  );

  r.get(
    '/api/v1/ledger/verify',
    auditor,
    route(async (_req, res) => {
      res.json(await fromLedger(transactionLogOf(auditable(ctx)).verify()));
    }),
  );

  r.get(
    '/api/v1/ledger/nodes',
    isPublic,
    route(async (req, res) => {
      const fmt = format.parse(req.query.format);
      const nodes = ((await evaluate(ctx, 'NodeRegistryContract:list', [])) ?? []) as Record<string, unknown>[];
      send(res, fmt, { data: nodes }, () => nodes, 'ledger-nodes', ['nodeId', 'actorUrl', 'cluster', 'organisation', 'joinedAt', 'updatedAt', 'txId']);
    }),
  );

  r.get(
    '/api/v1/ledger/statements',
    isPublic,
    route(async (req, res) => {
      const q = z.object({ node: text, month, format }).parse(req.query);
      const statement = (await evaluate(ctx, 'MonthCloseContract:getStatement', [q.node, q.month])) as { payouts?: { artist: string; amount: number }[]; currency?: string } | null;
      if (!statement) throw notFound('Statement');
      send(res, q.format, statement, () => (statement.payouts ?? []).map((p) => ({ nodeId: q.node, month: q.month, artist: p.artist, amount: p.amount, currency: statement.currency })), `statement-${q.month}`);
    }),
  );

  r.get(
    '/api/v1/ledger/payouts',
    isPublic,
    route(async (req, res) => {
      const q = z.object({ artist: text, format }).parse(req.query);
      const payouts = ((await evaluate(ctx, 'MonthCloseContract:payoutsForArtist', [q.artist])) ?? []) as Record<string, unknown>[];
      const total = payouts.reduce((acc, p) => acc + Number(p.amount ?? 0), 0);
      send(res, q.format, { artist: q.artist, total, data: payouts }, () => payouts, 'payouts', ['artist', 'nodeId', 'month', 'amount', 'currency', 'dueBy', 'closedAt', 'txId']);
    }),
  );

  r.get(
    '/api/v1/ledger/reports',
    isPublic,
    route(async (req, res) => {
      const q = z.object({ node: text, day, format }).parse(req.query);
      const report = (await evaluate(ctx, 'ReportContract:get', [q.node, q.day])) as { artistTotals?: Record<string, unknown>[] } | null;
      if (!report) throw notFound('Report');
      send(res, q.format, report, () => report.artistTotals ?? [], `report-${q.day}`);
    }),
  );

  r.get(
    '/api/v1/ledger/reports/rows',
    auditor,
    route(async (req, res) => {
      const q = z.object({ node: text, day, format }).parse(req.query);
      const rows = (await evaluate(ctx, 'ReportContract:getRows', [q.node, q.day])) as Record<string, unknown>[] | null;
      if (!rows) throw notFound('Report rows');
      send(res, q.format, { node: q.node, day: q.day, data: rows }, () => rows, `report-rows-${q.day}`, ['pseudonym', 'artist', 'seconds', 'plays']);
    }),
  );

  r.get(
    '/api/v1/ledger/disputes/:disputeId',
    auditor,
    route(async (req, res) => {
      const id = text.parse(req.params.disputeId);
      const fmt = format.parse(req.query.format);
      const dispute = await evaluate(ctx, 'DisputeContract:get', [id]);
      if (!dispute) throw notFound('Dispute');
      const history = ((await evaluate(ctx, 'DisputeContract:history', [id])) ?? []) as Record<string, unknown>[];
      send(res, fmt, { dispute, history }, () => history, `dispute-${id}`);
    }),
  );

  r.get(
    '/api/v1/ledger/recompute',
    auditor,
    route(async (req, res) => {
      const q = z.object({ node: text, month, format }).parse(req.query);
      const report = await fromLedger(recomputeMonth(auditable(ctx), q.node, q.month));
      if (!report) throw notFound('Statement');
      send(res, q.format, report, () => report.artists, `recompute-${q.month}`, ['artist', 'recorded', 'payoutRecord', 'recomputed', 'matches']);
    }),
  );

  r.get(
    '/api/v1/ledger/campaigns',
    isPublic,
    route(async (req, res) => {
      const q = z.object({ node: text, format }).parse(req.query);
      const campaigns = ((await evaluate(ctx, 'InvestmentContract:listCampaigns', [q.node])) ?? []) as Record<string, unknown>[];
      send(res, q.format, { data: campaigns }, () => campaigns, 'campaigns', [
        'campaignId', 'artist', 'currency', 'goal', 'raised', 'pledges', 'investors', 'status', 'settledDay', 'shareBasisPoints', 'capBasisPoints', 'capTotal', 'repaid', 'repaidDay', 'txId',
      ]);
    }),
  );

  r.get(
    '/api/v1/ledger/campaigns/repayments',
    isPublic,
    route(async (req, res) => {
      const q = z.object({ node: text, campaign: text, format }).parse(req.query);
      const found = await fromLedger(campaignOnLedger(ledgerEngine(ctx), q.node, q.campaign));
      if (!found) throw notFound('Campaign');
      const lines = () => found.days.flatMap((d) => d.repayments.map((r) => ({ campaignId: q.campaign, day: d.day, ...r, txId: d.txId })));
      send(res, q.format, { campaign: found.campaign, data: found.days }, lines, `campaign-repayments-${q.campaign}`, ['campaignId', 'day', 'seq', 'incomeKind', 'incomeHash', 'incomeAmount', 'share', 'paid', 'txId']);
    }),
  );

  r.get(
    '/api/v1/ledger/campaigns/recompute',
    auditor,
    route(async (req, res) => {
      const q = z.object({ node: text, campaign: text, format }).parse(req.query);
      // Only this node's books are here to compare with.
      const books = q.node === service.nodeId ? service.investmentFigures : undefined;
      const report = await fromLedger(recomputeCampaign(ledgerEngine(ctx), q.node, q.campaign, books));
      if (!report) throw notFound('Campaign');
      send(res, q.format, report, () => report.investors, `campaign-recompute-${q.campaign}`, ['investor', 'invested', 'cap', 'replayed', 'node', 'matches']);
    }),
  );

  return r;
}
