// The auditor's recompute of an investment campaign (InvestmentContract, decision 0309): from
// the ledger alone — the public campaign record and repayment days, and the node organisation's
// private investor rows (checked against the record's hash) — replay the capped split of every
// share with the shared money code and compare what each investor and the campaign got with the
// record and, for this node's own campaigns, with the node's books (through the port money
// provides). Both engines answer through the chaincode's read functions.
import { basisPointsOf, investorRowsHash, replayRepayments, type InvestorRow } from '../../shared/money/index.js';
import type { InvestmentFiguresPort, NodeCampaignFigures } from './contract.js';
import { unlessRefused } from './fabric-recompute-source.js';
import type { Ledger } from './types.js';
import type * as api from '../../shared/api/index.js';

export type InvestmentRecompute = api.LedgerInvestmentRecompute;
export type LedgerCampaign = api.LedgerCampaign;
export type LedgerCampaignRepaymentDay = api.LedgerCampaignRepaymentDay;

/** The campaign's record and its repayment days, in day order (null: no such campaign on the ledger). */
export async function campaignOnLedger(ledger: Pick<Ledger, 'evaluate'>, nodeId: string, campaignId: string): Promise<{ campaign: LedgerCampaign; days: LedgerCampaignRepaymentDay[] } | null> {
  const campaign = (await ledger.evaluate('InvestmentContract:getCampaign', [nodeId, campaignId])) as LedgerCampaign | null;
  if (!campaign) return null;
  const days = ((await ledger.evaluate('InvestmentContract:listRepayments', [nodeId, campaignId])) ?? []) as LedgerCampaignRepaymentDay[];
  return { campaign, days };
}

/**
 * Replays a campaign from the ledger and compares. `nodeFigures` is the node's own books: pass it
 * only for a campaign of this node (another node's books are not here: `node` is then null).
 * Undefined when the ledger has no such campaign.
 */
export async function recomputeCampaign(
  ledger: Pick<Ledger, 'evaluate'>,
  nodeId: string,
  campaignId: string,
  nodeFigures?: InvestmentFiguresPort,
): Promise<InvestmentRecompute | undefined> {
  const found = await campaignOnLedger(ledger, nodeId, campaignId);
  if (!found) return undefined;
  const { campaign, days } = found;
  const problems: string[] = [];
  const rows = campaign.status === 'funded' ? await unlessRefused(ledger.evaluate('InvestmentContract:getInvestors', [nodeId, campaignId]) as Promise<InvestorRow[] | null>) : [];
  if (!rows) problems.push("the investor rows are not readable here (they are private to the node's organisation)");
  const investorRows = rows ?? [];
  const hash = investorRowsHash(investorRows);
  const hashMatches = rows !== null && hash === campaign.investorsHash;
  if (rows) {
    for (const r of investorRows) {
      if (r.cap !== basisPointsOf(r.invested, campaign.capBasisPoints)) problems.push(`investor ${r.investor}: cap ${r.cap} is not floor(${r.invested} × ${campaign.capBasisPoints} / 10000)`);
    }
    const capTotal = investorRows.reduce((a, r) => a + r.cap, 0);
    if (capTotal !== campaign.capTotal) problems.push(`the caps sum to ${capTotal}, the record says ${campaign.capTotal}`);
  }

  const repayments = days.flatMap((d) => d.repayments.map((r) => ({ ...r, day: d.day })));
  let seq = 0;
  for (const r of repayments) {
    if (r.seq <= seq) problems.push(`repayment ${r.seq} (${r.day}) is out of order after ${seq}`);
    seq = r.seq;
  }
  // The rule, not the node's word: each share from its income, split among the rows.
  const expected = repayments.map((r) => basisPointsOf(r.incomeAmount, campaign.shareBasisPoints));
  const replay = replayRepayments(investorRows, expected);
  const mismatched = repayments
    .map((r, i) => ({ seq: r.seq, day: r.day, share: r.share, paid: r.paid, expectedShare: expected[i], replayedPaid: replay.paid[i] }))
    .filter((m) => m.share !== m.expectedShare || m.paid !== m.replayedPaid);
  const replayed = replay.paid.reduce((a, p) => a + p, 0);

  const throughSeq = repayments.at(-1)?.seq ?? 0;
  let books: NodeCampaignFigures | undefined;
  if (nodeFigures) {
    books = await nodeFigures.campaignFigures(campaignId, throughSeq);
    if (!books) problems.push('this node has no such settled campaign in its books');
  }
  const received = new Map((books?.investors ?? []).map((i) => [i.investor, i.received]));
  const investors = investorRows.map((r, i) => {
    const node = books ? (received.get(r.investor) ?? null) : null;
    return { investor: r.investor, invested: r.invested, cap: r.cap, replayed: replay.received[i], node, matches: books ? node === replay.received[i] : true };
  });
  const listed = new Set(investorRows.map((r) => r.investor));
  for (const i of books?.investors ?? []) if (!listed.has(i.investor)) problems.push(`the node's books have investor ${i.investor}, the ledger's rows do not`);
  const repaidNode = books ? books.repaid : null;
  const repaidMatches = campaign.repaid === replayed && (repaidNode === null || repaidNode === replayed);
  return {
    nodeId,
    campaignId,
    status: campaign.status,
    matches: !problems.length && hashMatches && repaidMatches && !mismatched.length && investors.every((i) => i.matches),
    throughSeq,
    investorsHash: { recorded: campaign.investorsHash, recomputed: hash, matches: hashMatches },
    repaid: { recorded: campaign.repaid, replayed, node: repaidNode, matches: repaidMatches },
    investors,
    repayments: { count: repayments.length, mismatched },
    problems,
  };
}
