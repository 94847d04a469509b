// InvestmentContract: a settled campaign once (investor rows private, their hash public), its
// repayments per day in order, each checked against the campaign's share and caps; the same
// figures again return the stored record, other figures are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chaincode, ORG1, ORG2, World } from './world.js';

const N1 = 'https://one.example/actor';
const ADA = 'https://one.example/ap/channels/ada';
const C1 = '5a1c1d3e-0000-4000-8000-000000000001';
const hash = (s: string) => s.repeat(64).slice(0, 64);

async function setup(): Promise<World> {
  const w = new World();
  await w.submit(ORG1, 'NodeRegistryContract:join', { nodeId: N1, actorUrl: N1, cluster: 'eu', organisation: ORG1 });
  return w;
}

// Two investors, 600 and 400 of a 1000 goal, capped at 1.5×: 900 and 600, 1500 in all.
const rows = [
  { investor: 'p-big', invested: 600, cap: 900 },
  { investor: 'p-small', invested: 400, cap: 600 },
];
const settlement = (extra: Record<string, unknown> = {}, investorRows: unknown[] = rows) => ({
  nodeId: N1, campaignId: C1, artist: ADA, currency: 'USD', goal: 1000, shareBasisPoints: 1000, capBasisPoints: 15_000,
  raised: 1000, pledges: 3, investors: 2, status: 'funded', settledDay: '2026-11-02', investorsHash: chaincode.investorRowsHash(investorRows), ...extra,
});
const record = (w: World, s: unknown, investorRows: unknown[] = rows, msp = ORG1) => w.submit(msp, 'InvestmentContract:recordCampaign', s, { investors: JSON.stringify(investorRows) });
const repayment = (seq: number, incomeAmount: number, paid?: number, share = Math.floor(incomeAmount / 10)) => ({ seq, incomeHash: hash(String(seq % 10)), incomeKind: 'tip', incomeAmount, share, paid: paid ?? share });
const repay = (w: World, day: string, repayments: unknown[], msp = ORG1) => w.submit(msp, 'InvestmentContract:recordRepayments', { nodeId: N1, campaignId: C1, day, repayments });

test('a funded campaign is recorded once: public terms and the rows\' hash, the rows private to the node\'s organisation', async () => {
  const w = await setup();
  const first = await record(w, settlement());
  assert.deepEqual([first.capTotal, first.repaid, first.lastSeq, first.collection, first.status], [1500, 0, 0, 'reportRows_Org1MSP', 'funded']);
  assert.ok(!JSON.stringify(first).includes('p-big'), 'no investor on the public record');
  const writes = w.writes.length;
  const again = await record(w, settlement());
  assert.equal(again.txId, first.txId, 'the same settlement again: the stored record');
  assert.equal(w.writes.length, writes, 'nothing written');
  await assert.rejects(record(w, settlement({ pledges: 4 })), /already recorded, with other figures/);
  assert.deepEqual(await w.invoke(ORG1, 'InvestmentContract:getInvestors', [N1, C1]), rows);
  await assert.rejects(w.invoke(ORG2, 'InvestmentContract:getInvestors', [N1, C1]), /does not match node/, 'another organisation cannot read the rows');
  assert.equal((await w.invoke(ORG2, 'InvestmentContract:getCampaign', [N1, C1])).raised, 1000, 'the record is public');
  assert.equal((await w.invoke(ORG2, 'InvestmentContract:listCampaigns', [N1])).length, 1);
  assert.deepEqual(w.events.at(-1)?.name, 'CampaignRecorded');
});

test('a bad settlement is refused: other organisation, caps, sums, hash, status, duplicates', async () => {
  const w = await setup();
  await assert.rejects(record(w, settlement(), rows, ORG2), /does not match node/);
  const badCap = [{ ...rows[0], cap: 901 }, rows[1]];
  await assert.rejects(record(w, settlement({}, badCap), badCap), /cap must be floor\(invested × capBasisPoints \/ 10000\) = 900/);
  const short = [rows[0], { ...rows[1], invested: 300, cap: 450 }];
  await assert.rejects(record(w, settlement({}, short), short), /sum to 900, the campaign raised 1000/);
  await assert.rejects(record(w, settlement({ investorsHash: hash('a') })), /hash mismatch/);
  await assert.rejects(record(w, settlement({ investors: 3 })), /2 investor rows for 3 investors/);
  await assert.rejects(record(w, settlement({ raised: 900 }), rows), /a funded campaign raised its goal/);
  await assert.rejects(record(w, settlement({ status: 'paused' })), /"status" must be one of funded, failed, cancelled/);
  await assert.rejects(record(w, settlement({ shareBasisPoints: 10_001 })), /at most 10000/);
  await assert.rejects(record(w, settlement({ capBasisPoints: 9000 })), /"capBasisPoints" must be an integer >= 10000/);
  await assert.rejects(record(w, settlement({ settledDay: '2026-02-30' })), /calendar date/);
  const twice = [rows[0], { ...rows[0] }];
  await assert.rejects(record(w, settlement({ raised: 1200, goal: 1000 }, twice), twice), /two rows for investor "p-big"/);
  const failedWithRows = settlement({ status: 'failed', raised: 500 });
  await assert.rejects(record(w, failedWithRows), /a failed campaign has no investor rows/);
  assert.deepEqual(await w.invoke(ORG1, 'InvestmentContract:listCampaigns', [N1]), [], 'nothing recorded');
  // A failed campaign: public figures only, no rows; it takes no repayments.
  const failed = await record(w, settlement({ status: 'failed', raised: 500, investors: 2, investorsHash: chaincode.investorRowsHash([]) }, []), []);
  assert.deepEqual([failed.status, failed.capTotal], ['failed', 0]);
  assert.deepEqual(await w.invoke(ORG1, 'InvestmentContract:getInvestors', [N1, C1]), []);
  await assert.rejects(repay(w, '2026-11-03', [repayment(1, 1000)]), /is failed: it repays nothing/);
});

test('repayments: shares of each income in order, day by day, until the caps; re-submitted days return the stored record', async () => {
  const w = await setup();
  await record(w, settlement());
  await assert.rejects(repay(w, '2026-11-03', [repayment(5, 1000)], ORG2), /does not match node/);
  await assert.rejects(repay(w, '2026-11-01', [repayment(5, 1000)]), /before the campaign settled/);
  await assert.rejects(repay(w, '2026-11-03', [repayment(5, 1001, 100, 101)]), /share must be floor\(1001 × 1000 \/ 10000\) = 100, not 101/);
  await assert.rejects(repay(w, '2026-11-03', [repayment(5, 1000, 99)]), /paid must be the share or what is left under the caps, 100, not 99/);
  await assert.rejects(repay(w, '2026-11-03', [repayment(5, 1000), repayment(5, 500)]), /seq 5 must be greater than 5/);
  await assert.rejects(repay(w, '2026-11-03', []), /non-empty array/);
  await assert.rejects(repay(w, '2026-11-03', [{ ...repayment(5, 1000), incomeHash: 'tip:1' }]), /sha256 hex digest/);
  await assert.rejects(repay(w, '2026-11-03', [{ ...repayment(5, 1000), incomeAmount: -3 }]), /"incomeAmount" must be an integer >= 1/);

  const day1 = await repay(w, '2026-11-03', [repayment(5, 1000), repayment(9, 500)]);
  assert.deepEqual([day1.paid, day1.repaidAfter], [150, 150]);
  const writes = w.writes.length;
  assert.equal((await repay(w, '2026-11-03', [repayment(5, 1000), repayment(9, 500)])).txId, day1.txId, 'the same day again: the stored record');
  assert.equal(w.writes.length, writes);
  await assert.rejects(repay(w, '2026-11-03', [repayment(5, 1000)]), /already recorded, with other figures/);
  await assert.rejects(repay(w, '2026-11-04', [repayment(9, 1000)]), /seq 9 must be greater than 9/, 'seq rises across days');
  const day2 = await repay(w, '2026-11-05', [repayment(12, 10_000), repayment(13, 2000)]);
  assert.deepEqual([day2.paid, day2.repaidAfter], [1200, 1350]);
  await assert.rejects(repay(w, '2026-11-04', [repayment(20, 1000)]), /days are recorded in order/);
  // 2000 owes 200, but only 150 is left under the caps: investors take exactly that.
  await assert.rejects(repay(w, '2026-11-06', [repayment(20, 2000, 200)]), /what is left under the caps, 150, not 200/);
  const last = await repay(w, '2026-11-06', [repayment(20, 2000, 150, 200)]);
  assert.equal(last.repaidAfter, 1500);
  const campaign = await w.invoke(ORG2, 'InvestmentContract:getCampaign', [N1, C1]);
  assert.deepEqual([campaign.repaid, campaign.lastSeq, campaign.lastDay, campaign.repaidDay], [1500, 20, '2026-11-06', '2026-11-06']);
  await assert.rejects(repay(w, '2026-11-07', [repayment(21, 1000)]), /repaid its caps \(1500\) already/);
  const days = await w.invoke(ORG2, 'InvestmentContract:listRepayments', [N1, C1]);
  assert.deepEqual(days.map((d: { day: string }) => d.day), ['2026-11-03', '2026-11-05', '2026-11-06']);
  // The auditor's replay over the private rows and the public days gives every investor's figure.
  const shares = days.flatMap((d: { repayments: { share: number }[] }) => d.repayments.map((r) => r.share));
  const { replayRepayments } = await import('../../shared/money/index.js');
  const replay = replayRepayments(rows, shares);
  assert.deepEqual(replay.received, [900, 600]);
  assert.deepEqual(replay.paid, days.flatMap((d: { repayments: { paid: number }[] }) => d.repayments.map((r) => r.paid)));
});

test('a repayment needs a recorded campaign', async () => {
  const w = await setup();
  await assert.rejects(repay(w, '2026-11-03', [repayment(1, 1000)]), /is not recorded \(recordCampaign first\)/);
});
