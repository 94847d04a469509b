// The chaincode on a real Fabric network (scripts/fabric: one Raft orderer, peers of Org1 and
// Org2 with TLS, Org3 without a peer, the chaincode as a service): registration, daily
// reports whose per-listener rows stay with the reporting organisation, month closes with
// payouts equal to the embedded engine's for the same inputs, investment campaigns with private
// investor rows, and every kind of transaction endorsed by both organisations' peers (a
// contract reading the clock or randomness would make their endorsements differ, and the
// gateway would refuse the transaction).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { client, endorseTwiceAndCommit, testNetwork, unique } from './helpers.js';
import { createDatabase, daysExcept, reportArgs } from '../test/ledger/helpers.js';
import { EmbeddedLedger, ledgerPool } from '../server/ledger/embedded.js';
import { defaultContractsPath, loadContracts } from '../server/ledger/contracts.js';
import { LedgerError, type Ledger, type SubmitOptions } from '../server/ledger/types.js';
import type { FabricLedger } from '../server/ledger/fabric.js';
import type { FabricNetwork } from '../scripts/fabric/network.js';
import { canonicalJson, investorRowsHash, type ReportRow } from '../shared/money/index.js';

let network: FabricNetwork;
let org1: FabricLedger;
let org2: FabricLedger;
let org3: FabricLedger;

before(async () => {
  network = await testNetwork();
  [org1, org2, org3] = await Promise.all([client('Org1MSP'), client('Org2MSP'), client('Org3MSP')]);
});
after(async () => {
  await Promise.all([org1?.close(), org2?.close(), org3?.close()]);
});

const ADA = 'https://x.test/ap/artists/ada';
const BO = 'https://y.test/ap/artists/bo';

interface Statement {
  hash: string;
  payouts: { artist: string; amount: number }[];
  grossTotal: number;
  creditsIn: number;
  nodeFeeTotal: number;
  payoutTotal: number;
  rolledOver: number;
  toNodeTotal: number;
  refundedTotal: number;
  heldTotal: number;
  txId: string;
}

/** What a close must agree on across engines (not its time or transaction id). */
const figures = (s: Statement) => {
  const { txId: _t, ...rest } = s as Statement & { closedAt?: string };
  delete (rest as { closedAt?: string }).closedAt;
  return rest;
};

/**
 * Two months of one node through a ledger: March (p1 listens, p3 does not and rolls over to
 * April's q3), April (q3 listens, part of it held). Returns the two statements and the tx ids.
 */
async function twoMonths(ledger: Ledger, nodeId: string, cluster: string, pseudonyms: { p1: string; p3: string; q3: string }, opts: SubmitOptions = {}) {
  const txIds: Record<string, string> = {};
  const submit = async (name: string, fn: string, args: string[], transient?: Record<string, string>) => {
    const r = await ledger.submit(fn, args, { ...opts, transient });
    txIds[name] = r.txId;
    return r.result;
  };
  await submit('join', 'NodeRegistryContract:join', [JSON.stringify({ nodeId, actorUrl: nodeId, cluster, organisation: 'Org1MSP' })]);
  const march = '2026-03';
  const marchRows: ReportRow[] = [
    { pseudonym: pseudonyms.p1, artist: ADA, seconds: 300, plays: 3 },
    { pseudonym: pseudonyms.p1, artist: BO, seconds: 100, plays: 1 },
  ];
  for (const p of [pseudonyms.p1, pseudonyms.p3]) {
    await submit(`record ${p}`, 'SubscriptionContract:record', [JSON.stringify({ nodeId, month: march, pseudonym: p, amount: 1000, currency: 'USD', kind: 'new' })]);
  }
  await submit('report', 'ReportContract:submit', reportArgs(nodeId, `${march}-01`, marchRows), { rows: JSON.stringify(marchRows) });
  const marchStatement = (await submit(
    'close march',
    'MonthCloseContract:close',
    [JSON.stringify({ nodeId, month: march, nodeFee: 100, policy: 'rollover', missingDays: daysExcept(march, 31, 1) })],
    { nextPseudonyms: JSON.stringify({ [pseudonyms.p3]: pseudonyms.q3 }) },
  )) as Statement;

  const april = '2026-04';
  const aprilRows: ReportRow[] = [{ pseudonym: pseudonyms.q3, artist: ADA, seconds: 120, plays: 2 }];
  await submit('record april', 'SubscriptionContract:record', [JSON.stringify({ nodeId, month: april, pseudonym: pseudonyms.q3, amount: 1000, currency: 'USD', kind: 'renewal' })]);
  await submit('report april', 'ReportContract:submit', reportArgs(nodeId, `${april}-02`, aprilRows), { rows: JSON.stringify(aprilRows) });
  const aprilStatement = (await submit('close april', 'MonthCloseContract:close', [
    JSON.stringify({ nodeId, month: april, nodeFee: 100, policy: 'rollover', missingDays: daysExcept(april, 30, 2), held: [{ pseudonym: pseudonyms.q3, artist: ADA, seconds: 30 }] }),
  ])) as Statement;
  return { marchStatement, aprilStatement, txIds };
}

/** Every file under a folder holds the bytes (LevelDB's log and tables keep short values as they are). */
function filesHolding(dir: string, needle: Buffer): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && readFileSync(p).includes(needle)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

test('a node registers, reports privately and closes two months on Fabric; the same inputs through the embedded engine give the same statement hashes and payouts', async () => {
  const nodeId = `https://${unique('fabric-ledger')}.test/ap/actor`;
  const cluster = unique('east');
  // Long, unmistakable pseudonyms: the peers' files are searched for them below.
  const pseudonyms = { p1: unique('listener-pseudonym-p1-0123456789abcdef'), p3: unique('listener-pseudonym-p3'), q3: unique('listener-pseudonym-q3') };

  const onFabric = await twoMonths(org1, nodeId, cluster, pseudonyms);
  assert.equal(onFabric.marchStatement.rolledOver, 900);
  assert.equal(onFabric.aprilStatement.creditsIn, 900);
  assert.ok(onFabric.aprilStatement.heldTotal > 0);

  // The registry as every organisation reads it.
  for (const c of [org1, org2, org3]) {
    const node = (await c.evaluate('NodeRegistryContract:get', [nodeId])) as { organisation: string; cluster: string };
    assert.equal(node.organisation, 'Org1MSP');
    assert.equal(node.cluster, cluster);
  }

  // The embedded engine, same contracts and inputs, on a fresh ledger database.
  const db = await createDatabase('fabric_compare');
  const pool = ledgerPool(db.url);
  try {
    await EmbeddedLedger.ensureSchema(pool);
    const embedded = new EmbeddedLedger({ pool, contracts: loadContracts(defaultContractsPath), identity: { mspId: 'Org1MSP', nodeId } });
    const inProcess = await twoMonths(embedded, nodeId, cluster, pseudonyms);
    assert.deepEqual(figures(onFabric.marchStatement), figures(inProcess.marchStatement));
    assert.deepEqual(figures(onFabric.aprilStatement), figures(inProcess.aprilStatement));
    assert.match(onFabric.aprilStatement.hash, /^[0-9a-f]{64}$/);
    for (const artist of [ADA, BO]) {
      const amounts = async (l: Ledger) => ((await l.evaluate('MonthCloseContract:payoutsForArtist', [artist])) as { nodeId: string; month: string; amount: number }[])
        .filter((p) => p.nodeId === nodeId)
        .map((p) => [p.month, p.amount]);
      const fabricPayouts = await amounts(org1);
      assert.ok(fabricPayouts.length > 0, `${artist} is paid`);
      assert.deepEqual(fabricPayouts, await amounts(embedded));
    }
    await embedded.close();
  } finally {
    await pool.end().catch(() => {});
    await db.drop();
  }

  // Private rows: the reporting organisation reads them; the other's client is refused, and
  // the other's peer holds none of them (its files never see a pseudonym; Org1's do).
  const day = '2026-03-01';
  const rows = (await org1.evaluate('ReportContract:getRows', [nodeId, day])) as ReportRow[];
  assert.deepEqual(rows.map((r) => r.pseudonym), [pseudonyms.p1, pseudonyms.p1]);
  await assert.rejects(org2.evaluate('ReportContract:getRows', [nodeId, day]), (e: LedgerError) => e instanceof LedgerError && /does not match node/.test(e.message));
  const atOrg2 = await org1.evaluate('ReportContract:getRows', [nodeId, day], { endorsingOrganizations: ['Org2MSP'] }).then(
    (r) => JSON.stringify(r),
    (e: Error) => e.message,
  );
  assert.ok(!atOrg2.includes(pseudonyms.p1), `Org2's peer has no rows to give: ${atOrg2}`);
  // Pseudonyms are public (subscriptions name them); a row, who listened to whom, is not.
  const needle = Buffer.from(canonicalJson(rows[0]));
  const [peer1, peer2] = network.layout.orgs.map((o) => path.join(network.paths.data, o.peerHost));
  assert.ok(filesHolding(peer1, needle).length > 0, 'Org1\'s peer stores the rows (the search can find them)');
  assert.deepEqual(filesHolding(peer2, needle), [], 'Org2\'s peer stores no row');

  // The report went to Org1's peer alone: the block names one endorser.
  const report = await org1.blocks.transaction(onFabric.txIds.report);
  assert.equal(report?.code, 0, 'VALID');
  assert.deepEqual(report?.tx.endorsers, ['Org1MSP']);
  assert.ok(!JSON.stringify(report?.tx.args).includes(pseudonyms.p1), 'rows travel in the transient map, never in the block');
});

test('both organisations\' peers endorse every kind of transaction that does not read private rows, and agree; a close answers the same twice', async () => {
  const both: SubmitOptions = { endorsingOrganizations: ['Org1MSP', 'Org2MSP'] };
  const cluster = unique('north');
  const elsewhere = unique('south');
  const id = (n: string) => `https://${unique(n)}.test/ap/actor`;
  const reporting = id('reporting');
  const second = id('second-org2');
  const third = id('third-org2');
  const outside = id('outside-org3');
  const txIds = new Map<string, string>();
  const submit = async (ledger: FabricLedger, kind: string, fn: string, input: unknown, transient?: Record<string, string>) => {
    const r = await ledger.submit(fn, [JSON.stringify(input)], { ...both, transient });
    txIds.set(kind, r.txId);
    return r.result as Record<string, any>;
  };

  await submit(org1, 'join', 'NodeRegistryContract:join', { nodeId: reporting, actorUrl: reporting, cluster, organisation: 'Org1MSP' });
  for (const n of [second, third]) await org2.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId: n, actorUrl: n, cluster, organisation: 'Org2MSP' })], both);
  // Org3 has no peer: its client writes through Org1's gateway, and both peers endorse.
  await org3.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId: outside, actorUrl: outside, cluster: elsewhere, organisation: 'Org3MSP' })], both);

  const month = '2026-05';
  const pseudonym = unique('p');
  const rows: ReportRow[] = [{ pseudonym, artist: ADA, seconds: 200, plays: 2 }];
  await submit(org1, 'record', 'SubscriptionContract:record', { nodeId: reporting, month, pseudonym, amount: 1000, currency: 'USD', kind: 'new' });
  await submit(org1, 'record (cancelled)', 'SubscriptionContract:record', { nodeId: reporting, month, pseudonym: `${pseudonym}-x`, amount: 1000, currency: 'USD', kind: 'new' });
  await submit(org1, 'cancel', 'SubscriptionContract:cancel', { nodeId: reporting, month, pseudonym: `${pseudonym}-x` });
  await submit(org1, 'report', 'ReportContract:submit', JSON.parse(reportArgs(reporting, `${month}-03`, rows)[0]), { rows: JSON.stringify(rows) });
  await submit(org1, 'income', 'IncomeContract:submit', { nodeId: reporting, day: `${month}-04`, currency: 'USD', income: [{ artist: ADA, tips: 250, streams: 0, metered: 30 }] });
  // A close reads the month's private rows, which only the reporting organisation's peer holds:
  // no other peer can endorse it. Its determinism is shown by that peer answering one signed
  // proposal twice, byte for byte the same (result, read/write set, event).
  const close = await endorseTwiceAndCommit('Org1MSP', 'MonthCloseContract:close', [JSON.stringify({ nodeId: reporting, month, nodeFee: 100, policy: 'refund', missingDays: daysExcept(month, 31, 3) })]);
  assert.ok(close.first.length > 0);
  assert.ok(close.first.equals(close.second), 'the same close proposal endorsed twice gives the same response');
  assert.ok((close.result as { payoutTotal: number }).payoutTotal > 0);
  assert.deepEqual((close.result as { incomeTotals: unknown }).incomeTotals, { tips: 250, streams: 0, metered: 30 }, 'the month\'s income, apart from the split');
  await assert.rejects(
    org1.submit('MonthCloseContract:close', [JSON.stringify({ nodeId: reporting, month: '2026-06', nodeFee: 100, policy: 'refund', missingDays: daysExcept('2026-06', 30, 0) })], { endorsingOrganizations: ['Org2MSP'] }),
    (e: LedgerError) => e instanceof LedgerError,
    'Org2\'s peer cannot endorse a close of Org1\'s node',
  );

  const opened = await submit(org1, 'open', 'DisputeContract:open', {
    nodeId: reporting, month, subject: { type: 'payout', ref: ADA }, amount: 100, evidenceHash: 'e'.repeat(64), deadlineSeconds: 2,
  });
  const seats = opened.reviewers as { nodeId: string; role: string; organisation: string }[];
  assert.deepEqual(seats.map((s) => s.organisation).sort(), ['Org1MSP', 'Org2MSP', 'Org3MSP'], 'three seats, three organisations');
  const clusterSeat = seats.find((s) => s.role === 'cluster')!;
  assert.ok([second, third].includes(clusterSeat.nodeId));

  // The cluster seat lets its deadline pass; the other Org2 node of the cluster takes it.
  await new Promise((r) => setTimeout(r, 2500));
  const replaced = await submit(org1, 'replaceReviewer', 'DisputeContract:replaceReviewer', { disputeId: opened.disputeId, reviewer: clusterSeat.nodeId });
  const newSeat = (replaced.reviewers as { nodeId: string; role: string }[]).find((s) => s.role === 'cluster')!;
  assert.equal(newSeat.nodeId, clusterSeat.nodeId === second ? third : second);

  const otherSeat = seats.find((s) => s.role === 'other')!;
  const clientOf: Record<string, FabricLedger> = { Org1MSP: org1, Org2MSP: org2, Org3MSP: org3 };
  await submit(org1, 'vote', 'DisputeContract:vote', { disputeId: opened.disputeId, reviewer: reporting, decision: 'release', reason: 'figures hold' });
  const decided = await submit(clientOf[otherSeat.organisation], 'vote (deciding)', 'DisputeContract:vote', { disputeId: opened.disputeId, reviewer: otherSeat.nodeId, decision: 'release', reason: 'agreed' });
  assert.equal(decided.status, 'decided');
  await submit(org1, 'recordApplied', 'DisputeContract:recordApplied', { disputeId: opened.disputeId, nodeId: reporting, decision: 'release', amount: 100, holds: 1 });

  // Every kind the chaincode writes, endorsed by both peers and committed as valid.
  const kinds = new Set([...txIds.keys()].map((k) => k.replace(/ \(.*\)$/, '')));
  assert.deepEqual([...kinds].sort(), ['cancel', 'income', 'join', 'open', 'record', 'recordApplied', 'replaceReviewer', 'report', 'vote']);
  for (const [kind, txId] of txIds) {
    const found = await org1.blocks.transaction(txId);
    assert.equal(found?.code, 0, `${kind} is VALID`);
    assert.deepEqual([...found!.tx.endorsers].sort(), ['Org1MSP', 'Org2MSP'], `${kind} endorsed by both peers`);
  }
  const closed = await org1.blocks.transaction(close.txId);
  assert.equal(closed?.code, 0, 'close is VALID');
  assert.deepEqual(closed?.tx.endorsers, ['Org1MSP']);

  // The other organisation's chaincode sees the same dispute.
  const seen = (await org2.evaluate('DisputeContract:get', [opened.disputeId])) as { status: string; decision: string };
  assert.deepEqual([seen.status, seen.decision], ['decided', 'release']);
});

test('InvestmentContract is installed: a settled campaign round-trips, its investor rows private to the node\'s organisation; repayments endorsed by both peers', async () => {
  const nodeId = `https://${unique('investing')}.test/ap/actor`;
  await org1.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId, actorUrl: nodeId, cluster: unique('c'), organisation: 'Org1MSP' })]);
  const investor = unique('investor-pseudonym-0123456789abcdef');
  const rows = [{ investor, invested: 1000, cap: 1500 }];
  const settlement = {
    nodeId, campaignId: unique('campaign'), artist: ADA, currency: 'USD', goal: 1000, shareBasisPoints: 1000, capBasisPoints: 15_000,
    raised: 1000, pledges: 1, investors: 1, status: 'funded', settledDay: '2026-07-01', investorsHash: investorRowsHash(rows),
  };
  const recorded = await org1.submit('InvestmentContract:recordCampaign', [JSON.stringify(settlement)], { transient: { investors: JSON.stringify(rows) } });
  const again = await org1.submit('InvestmentContract:recordCampaign', [JSON.stringify(settlement)], { transient: { investors: JSON.stringify(rows) } });
  assert.equal((again.result as { txId: string }).txId, recorded.txId, 'the same settlement again: the stored record');
  const onOrg2 = (await org2.evaluate('InvestmentContract:getCampaign', [nodeId, settlement.campaignId])) as { capTotal: number; investorsHash: string };
  assert.deepEqual([onOrg2.capTotal, onOrg2.investorsHash], [1500, settlement.investorsHash]);
  assert.deepEqual(await org1.evaluate('InvestmentContract:getInvestors', [nodeId, settlement.campaignId]), rows);
  await assert.rejects(org2.evaluate('InvestmentContract:getInvestors', [nodeId, settlement.campaignId]), (e: LedgerError) => e instanceof LedgerError && /does not match node/.test(e.message));
  const tx = await org1.blocks.transaction(recorded.txId);
  assert.equal(tx?.code, 0, 'VALID');
  assert.ok(!JSON.stringify(tx?.tx.args).includes(investor), 'the rows travel in the transient map, never in the block');

  const day = { nodeId, campaignId: settlement.campaignId, day: '2026-07-02', repayments: [{ seq: 7, incomeHash: 'a'.repeat(64), incomeKind: 'tip', incomeAmount: 1000, share: 100, paid: 100 }] };
  const both: SubmitOptions = { endorsingOrganizations: ['Org1MSP', 'Org2MSP'] };
  await assert.rejects(org1.submit('InvestmentContract:recordRepayments', [JSON.stringify({ ...day, repayments: [{ ...day.repayments[0], share: 101 }] })], both), (e: LedgerError) => e instanceof LedgerError && /share must be/.test(e.message));
  const repaid = await org1.submit('InvestmentContract:recordRepayments', [JSON.stringify(day)], both);
  const committed = await org1.blocks.transaction(repaid.txId);
  assert.deepEqual([committed?.code, [...committed!.tx.endorsers].sort()], [0, ['Org1MSP', 'Org2MSP']], 'both peers computed the same repayment record');
  const days = (await org2.evaluate('InvestmentContract:listRepayments', [nodeId, settlement.campaignId])) as { repaidAfter: number }[];
  assert.deepEqual(days.map((d) => d.repaidAfter), [100]);
});
