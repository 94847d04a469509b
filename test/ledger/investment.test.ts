// Investment campaigns on the ledger (decision 0309), over real HTTP, PostgreSQL and the embedded
// ledger running the built chaincode: a funded campaign repaid from several incomes until its
// caps goes to InvestmentContract (settlement once, each ended day once, also after a crash
// mid-report and with two reporters at once), and the auditor's recompute from the ledger equals
// the node's books; a changed figure in the books or on the ledger is caught.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { ledgerService } from '../../server/ledger/index.js';
import { compositeKey } from '../../server/ledger/audit.js';
import { select } from '../../server/db/index.js';
import { assertBooksBalanced, credit, money } from '../money/helpers.js';
import { realChaincode } from './helpers.js';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { projectRoot } from '../../server/config/index.js';

let node: TestNode;
before(async () => {
  assert.ok(realChaincode(), 'the chaincode is built (npm run build:chaincode)');
  node = await startTestNode({ name: 'ledger-investment', overrides: { money: { tipNodeCutBasisPoints: 0, campaignNodeCutBasisPoints: 0 } } });
  await node.waitJobs(); // the node joins the ledger's registry first
});
after(async () => node?.stop());

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

async function fan(amount: number) {
  const f = await node.user('listener');
  await credit(node, f.user.id, amount);
  return f;
}

/** The deadline passes: the sweep settles what is due. */
async function settleDue() {
  money(node).campaigns.clock = () => Date.now() + 31 * 86_400_000;
  try {
    await money(node).campaigns.sweep();
  } finally {
    money(node).campaigns.clock = Date.now;
  }
}

/** Time passes for the books: the campaign settled, and its repayments so far were made, `days` days ago. */
async function backdate(campaignId: string, repaymentsDays: number, settledDays?: number) {
  await node.ctx.db.query(
    `UPDATE money_campaign_repayments SET created_at = created_at - make_interval(days => :d)
      WHERE campaign_id = :id AND seq > coalesce((SELECT max(last_seq) FROM money_campaign_ledger_reports WHERE campaign_id = :id), 0)
        AND created_at > now() - interval '12 hours'`,
    { replacements: { id: campaignId, d: repaymentsDays } },
  );
  if (settledDays) await node.ctx.db.query('UPDATE money_campaigns SET settled_at = settled_at - make_interval(days => :d) WHERE id = :id', { replacements: { id: campaignId, d: settledDays } });
}

/** Reports, then waits until every InvestmentContract write queued so far is on the ledger. */
async function reportAndWait(): Promise<void> {
  await money(node).campaignLedger.report();
  const ids = await select<{ outbox_id: string }>(node.ctx.db, 'SELECT outbox_id FROM money_campaign_ledger_reports ORDER BY outbox_id::bigint');
  for (const { outbox_id } of ids) await ledgerService(node.ctx).waitForOutbox(outbox_id, 30_000);
}

/** Fails unless a body fits the named schema of the node's OpenAPI description (ajv's 2020-12 dialect, as OpenAPI 3.1). */
async function assertFits(body: unknown, schema: string): Promise<void> {
  const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020') as new (opts?: object) => { addSchema(s: object, k: string): void; compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema((await node.api('GET', '/api/openapi.json')).body, 'api');
  const validate = ajv.compile({ $ref: `api#/components/schemas/${schema}` });
  assert.ok(validate(body), `${schema}: ${JSON.stringify(validate.errors)}`);
}

const outboxWrites = async () =>
  (await select<{ fn: string }>(node.ctx.db, "SELECT fn FROM ledger_outbox WHERE fn LIKE 'InvestmentContract:%' ORDER BY id")).map((r) => r.fn);

test('a funded campaign repaid until its caps: on the ledger once per settlement and day, and the recompute equals the books', async () => {
  const ledger = ledgerService(node.ctx);
  const a = await makeArtist(node);
  const made = await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, {
    token: a.token, body: { title: 'Tour van', goal: 1000, minPledge: 100, deadline: inDays(30), shareBasisPoints: 1000, capMultiple: 1.5 },
  });
  assert.equal(made.status, 201, made.text);
  const id = made.body.id;
  // Two equal stakes: a share's odd cent goes by the tie-break, which the replay must follow.
  const investors = [await fan(300), await fan(300), await fan(400)];
  for (const [i, f] of investors.entries()) {
    const p = await node.api('POST', `/api/v1/campaigns/${id}/pledges`, { token: f.token, body: { amount: [300, 300, 400][i] } });
    assert.equal(p.status, 201, p.text);
  }
  await settleDue();
  assert.equal((await node.api('GET', `/api/v1/campaigns/${id}`)).body.status, 'funded');

  const tipper = await fan(100_000);
  const tip = async (amount: number) => {
    const res = await node.api('POST', '/api/v1/tips', { token: tipper.token, body: { channel: a.channel.name, amount } });
    assert.equal(res.status, 201, res.text);
  };
  // Three days ago: 102 and 101; two days ago: 205 and 333. Today the rest.
  await tip(1020);
  await tip(1010);
  await backdate(id, 3, 4);
  await tip(2050);
  await tip(3330);
  await backdate(id, 2);
  await tip(250);

  // The process dies after queuing the settlement, before the days: nothing of it was kept.
  const service = ledgerService(node.ctx);
  const enqueue = service.enqueueSubmit.bind(service);
  let calls = 0;
  service.enqueueSubmit = async (...args: Parameters<typeof enqueue>) => {
    if (++calls === 2) throw new Error('killed');
    return enqueue(...args);
  };
  try {
    await assert.rejects(money(node).campaignLedger.report(), /killed/);
  } finally {
    service.enqueueSubmit = enqueue;
  }
  assert.deepEqual(await outboxWrites(), [], 'the crashed report left nothing');
  // Two workers at once, then a third run: each write queued once.
  const [x, y] = await Promise.all([money(node).campaignLedger.report(), money(node).campaignLedger.report()]);
  assert.equal(x + y, 3);
  assert.equal(await money(node).campaignLedger.report(), 0);
  assert.deepEqual(await outboxWrites(), ['InvestmentContract:recordCampaign', 'InvestmentContract:recordRepayments', 'InvestmentContract:recordRepayments']);
  await reportAndWait();

  const onLedger = (await ledger.evaluate('InvestmentContract:getCampaign', [ledger.nodeId, id])) as Record<string, any>;
  assert.deepEqual([onLedger.status, onLedger.raised, onLedger.investors, onLedger.capTotal, onLedger.repaid], ['funded', 1000, 3, 1500, 102 + 101 + 205 + 333]);
  for (const f of investors) assert.ok(!JSON.stringify(onLedger).includes(f.user.id), 'no account id on the public record');
  const rows = (await ledger.evaluate('InvestmentContract:getInvestors', [ledger.nodeId, id])) as { investor: string }[];
  assert.equal(rows.length, 3);
  for (const f of investors) assert.ok(!JSON.stringify(rows).includes(f.user.id), 'investors by pseudonym only');

  const auditor = await node.user('auditor');
  const recompute = async () => {
    const res = await node.api('GET', `/api/v1/ledger/campaigns/recompute?node=${encodeURIComponent(ledger.nodeId)}&campaign=${id}`, { token: auditor.token });
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const partial = await recompute();
  assert.equal(partial.matches, true, JSON.stringify(partial));
  assert.equal(partial.repaid.node, 741, "the books as they stood after the ledger's last repayment (today's 25 not yet)");
  assert.equal(partial.repayments.count, 4);
  // 102, 101, 205 and 333 split 3:3:4 with largest remainders: the equal stakes differ by the tie-breaks.
  assert.deepEqual(partial.investors.map((i: { replayed: number; node: number }) => [i.replayed, i.node]).sort(), [[221, 221], [223, 223], [297, 297]]);

  // Today's income and the rest until the caps, reported the next day.
  await tip(40_000);
  await backdate(id, 1);
  await reportAndWait();
  assert.equal((await node.api('GET', `/api/v1/campaigns/${id}`)).body.repaid, 1500);
  const full = await recompute();
  assert.equal(full.matches, true, JSON.stringify(full));
  assert.deepEqual([full.repaid.recorded, full.repaid.replayed, full.repaid.node], [1500, 1500, 1500]);
  assert.deepEqual(full.investors.map((i: { replayed: number; node: number }) => [i.replayed, i.node]).sort(), [[450, 450], [450, 450], [600, 600]]);
  assert.equal((await ledger.evaluate('InvestmentContract:getCampaign', [ledger.nodeId, id]) as { repaidDay: string | null }).repaidDay !== null, true);
  // The auditors' CLI replays the same from the ledger database alone.
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ledger-cli.ts', 'recompute-campaign', ledger.nodeId, id, '--ledger-db', node.databaseUrl, '--msp', ledger.mspId], {
    cwd: projectRoot, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  assert.equal(cli.status, 0, cli.stderr);
  const fromCli = JSON.parse(cli.stdout);
  assert.deepEqual([fromCli.matches, fromCli.repaid.replayed, fromCli.repaid.node], [true, 1500, null]);

  // Anyone reads the record and the repayments; a fan does not get the recompute.
  const fanView = await node.api('GET', `/api/v1/ledger/campaigns/repayments?node=${encodeURIComponent(ledger.nodeId)}&campaign=${id}`);
  assert.equal(fanView.status, 200, fanView.text);
  assert.deepEqual(fanView.body.data.map((d: { repayments: unknown[] }) => d.repayments.length), [2, 2, 2]);
  await assertFits(fanView.body, 'LedgerCampaignRepayments');
  await assertFits(full, 'LedgerInvestmentRecompute');
  const csv = await node.api('GET', `/api/v1/ledger/campaigns/repayments?node=${encodeURIComponent(ledger.nodeId)}&campaign=${id}&format=csv`);
  assert.equal(csv.text.trim().split('\r\n').length, 7, 'a header and a line per repayment');
  const listed = (await node.api('GET', `/api/v1/ledger/campaigns?node=${encodeURIComponent(ledger.nodeId)}`)).body;
  assert.equal(listed.data.length, 1);
  await assertFits(listed, 'LedgerCampaignList');
  assert.equal((await node.api('GET', `/api/v1/ledger/campaigns/recompute?node=${encodeURIComponent(ledger.nodeId)}&campaign=${id}`, { token: investors[0].token })).status, 403);

  // A changed figure in the books is caught, on that investor.
  await node.ctx.db.query('UPDATE money_campaign_investors SET received = received - 1 WHERE campaign_id = :id AND investor_id = :u', { replacements: { id, u: investors[2].user.id } });
  try {
    const wrong = await recompute();
    assert.equal(wrong.matches, false);
    assert.deepEqual(wrong.investors.filter((i: { matches: boolean }) => !i.matches).map((i: { replayed: number; node: number }) => [i.replayed, i.node]), [[600, 599]]);
  } finally {
    await node.ctx.db.query('UPDATE money_campaign_investors SET received = received + 1 WHERE campaign_id = :id AND investor_id = :u', { replacements: { id, u: investors[2].user.id } });
  }
  // And a changed repayment on the ledger: the replay pays otherwise.
  const key = Buffer.from(compositeKey('campaignRepayments', [ledger.nodeId, id, fanView.body.data[0].day]), 'utf8');
  const [{ value }] = await select<{ value: Buffer }>(node.ctx.db, "SELECT value FROM ledger_state WHERE collection = '' AND key = :key", { key });
  const altered = JSON.parse(value.toString('utf8'));
  altered.repayments[0].paid -= 1;
  await node.ctx.db.query("UPDATE ledger_state SET value = :v WHERE collection = '' AND key = :key", { replacements: { v: Buffer.from(JSON.stringify(altered)), key } });
  try {
    const wrong = await recompute();
    assert.equal(wrong.matches, false);
    assert.deepEqual(wrong.repayments.mismatched.map((m: { paid: number; replayedPaid: number }) => [m.paid, m.replayedPaid]), [[101, 102]]);
  } finally {
    await node.ctx.db.query("UPDATE ledger_state SET value = :v WHERE collection = '' AND key = :key", { replacements: { v: value, key } });
  }
  assert.equal((await recompute()).matches, true);
  await assertBooksBalanced(node);
});

test('a failed campaign goes to the ledger once, with no investor rows; without InvestmentContract nothing is sent', async () => {
  const ledger = ledgerService(node.ctx);
  const a = await makeArtist(node);
  const made = await node.api('POST', `/api/v1/channels/${a.channel.name}/campaigns`, {
    token: a.token, body: { title: 'Too big', goal: 5000, minPledge: 100, deadline: inDays(30), shareBasisPoints: 500, capMultiple: 2 },
  });
  const id = made.body.id;
  const f = await fan(200);
  assert.equal((await node.api('POST', `/api/v1/campaigns/${id}/pledges`, { token: f.token, body: { amount: 200 } })).status, 201);
  await settleDue();
  assert.equal((await node.api('GET', `/api/v1/campaigns/${id}`)).body.status, 'failed');

  const asked = ledger as { has: (fn: string) => boolean };
  const has = asked.has;
  asked.has = () => false;
  try {
    assert.equal(await money(node).campaignLedger.report(), 0, 'a chaincode without the contract: nothing');
  } finally {
    asked.has = has;
  }
  await reportAndWait();
  const record = (await ledger.evaluate('InvestmentContract:getCampaign', [ledger.nodeId, id])) as Record<string, unknown>;
  assert.deepEqual([record.status, record.raised, record.pledges, record.investors, record.capTotal], ['failed', 200, 1, 1, 0]);
  assert.deepEqual(await ledger.evaluate('InvestmentContract:getInvestors', [ledger.nodeId, id]), []);
  assert.equal(await money(node).campaignLedger.report(), 0, 'recorded once');
  const auditor = await node.user('auditor');
  const r = await node.api('GET', `/api/v1/ledger/campaigns/recompute?node=${encodeURIComponent(ledger.nodeId)}&campaign=${id}`, { token: auditor.token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.matches, true, JSON.stringify(r.body));
  assert.equal((await node.api('GET', `/api/v1/ledger/campaigns/recompute?node=${encodeURIComponent(ledger.nodeId)}&campaign=nope`, { token: auditor.token })).status, 404);
});
