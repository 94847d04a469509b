// The real chaincode (chaincode/dist) through the embedded engine: two nodes with their
// own databases share one ledger database, join the registry through the outbox at
// start, report, close a month; auditors read and recompute it over the REST API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDatabase, realChaincode, reportArgs } from './helpers.js';
import { startLedgerNode } from './nodes.js';
import type { TestNode } from '../helpers/node.js';
import { ledgerService, LedgerError } from '../../server/ledger/index.js';
import type { ReportRow } from '../../shared/money/index.js';

const chaincode = realChaincode();
const skip = chaincode ? false : 'chaincode/dist is not built (the test runner builds it with tsc)';

let shared: Awaited<ReturnType<typeof createDatabase>>;
let a: TestNode;
let b: TestNode;
const month = '2026-01';

const waitJoined = async (node: TestNode, n: number) => {
  for (let i = 0; i < 100; i++) {
    const list = (await ledgerService(node.ctx).evaluate('NodeRegistryContract:list', [])) as unknown[];
    if (list.length >= n) return list;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('nodes did not join');
};

before(async () => {
  if (skip) return;
  shared = await createDatabase('chaincode');
  const ledger = { config: { databaseUrl: shared.url } };
  a = await startLedgerNode(ledger, { name: 'cc-a', overrides: { federation: { organisation: 'Org1MSP', cluster: 'east' } } });
  b = await startLedgerNode(ledger, { name: 'cc-b', overrides: { federation: { organisation: 'Org2MSP', cluster: 'west' } } });
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await shared?.drop();
});

test('nodes join the registry through the outbox at start; the registry is public', { skip }, async () => {
  await waitJoined(a, 2);
  const res = await a.api('GET', '/api/v1/ledger/nodes');
  assert.equal(res.status, 200);
  const byId = new Map(res.body.data.map((n: { nodeId: string }) => [n.nodeId, n]));
  assert.deepEqual(
    { ...(byId.get(ledgerService(a.ctx).nodeId) as object), joinedAt: undefined, updatedAt: undefined, txId: undefined },
    { nodeId: ledgerService(a.ctx).nodeId, actorUrl: ledgerService(a.ctx).nodeId, cluster: 'east', organisation: 'Org1MSP', joinedAt: undefined, updatedAt: undefined, txId: undefined },
  );
  assert.equal((byId.get(ledgerService(b.ctx).nodeId) as { cluster: string }).cluster, 'west');
  const csv = await a.api('GET', '/api/v1/ledger/nodes?format=csv');
  assert.match(csv.headers.get('content-type')!, /text\/csv/);
  assert.equal(csv.text.split('\r\n')[0], 'nodeId,actorUrl,cluster,organisation,joinedAt,updatedAt,txId');
});

const rowsA: ReportRow[] = [
  { pseudonym: 'p1', artist: 'https://x.test/ap/artists/ada', seconds: 300, plays: 3 },
  { pseudonym: 'p1', artist: 'https://y.test/ap/artists/bo', seconds: 100, plays: 1 },
  { pseudonym: 'p2', artist: 'https://y.test/ap/artists/bo', seconds: 50, plays: 1 },
];

test('a report from an unregistered node is refused by the chaincode', { skip }, async () => {
  const stranger = 'http://127.0.0.1:1/ap/actor';
  await assert.rejects(
    ledgerService(a.ctx).submit('ReportContract:submit', reportArgs(stranger, `${month}-01`, rowsA), { transient: { rows: JSON.stringify(rowsA) } }),
    (e: LedgerError) => e instanceof LedgerError && e.code === 'chaincode' && /not registered/.test(e.message),
  );
  // Nor may node b report for node a.
  await waitJoined(b, 2);
  await assert.rejects(
    ledgerService(b.ctx).submit('ReportContract:submit', reportArgs(ledgerService(a.ctx).nodeId, `${month}-01`, rowsA), { transient: { rows: JSON.stringify(rowsA) } }),
    /caller organisation/,
  );
});

test('subscriptions, a daily report and a month close through the outbox; auditors read, export and recompute', { skip }, async () => {
  const svc = ledgerService(a.ctx);
  const nodeId = svc.nodeId;
  const ids = await a.ctx.db.transaction(async (t) => [
    await svc.enqueueSubmit(t, 'SubscriptionContract:record', [JSON.stringify({ nodeId, month, pseudonym: 'p1', amount: 1000, currency: 'USD', kind: 'new' })]),
    await svc.enqueueSubmit(t, 'SubscriptionContract:record', [JSON.stringify({ nodeId, month, pseudonym: 'p2', amount: 1000, currency: 'USD', kind: 'new' })]),
    await svc.enqueueSubmit(t, 'ReportContract:submit', reportArgs(nodeId, `${month}-01`, rowsA), { rows: JSON.stringify(rowsA) }),
  ]);
  for (const id of ids) await svc.waitForOutbox(id);
  const missingDays = Array.from({ length: 30 }, (_, i) => `${month}-${String(i + 2).padStart(2, '0')}`);
  const closeId = await a.ctx.db.transaction((t) =>
    svc.enqueueSubmit(t, 'MonthCloseContract:close', [JSON.stringify({ nodeId, month, nodeFee: 100, policy: 'rollover', missingDays, held: [{ pseudonym: 'p2', artist: 'https://y.test/ap/artists/bo', seconds: 10 }] })]),
  );
  const closed = (await svc.waitForOutbox(closeId)).result as { payoutTotal: number; payouts: { artist: string; amount: number }[] };
  assert.equal(closed.payoutTotal + 200, 2000 - (closed as unknown as { heldTotal: number }).heldTotal);

  const auditor = await a.user('auditor');
  const listener = await a.user('listener');

  const statement = await b.api('GET', `/api/v1/ledger/statements?node=${encodeURIComponent(nodeId)}&month=${month}`);
  assert.equal(statement.status, 200, 'statements are public, on every node of the ledger');
  assert.deepEqual(statement.body.payouts, closed.payouts);
  const statementCsv = await b.api('GET', `/api/v1/ledger/statements?node=${encodeURIComponent(nodeId)}&month=${month}&format=csv`);
  assert.equal(statementCsv.text.split('\r\n').filter(Boolean).length, 1 + closed.payouts.length);

  const payouts = await a.api('GET', `/api/v1/ledger/payouts?artist=${encodeURIComponent('https://x.test/ap/artists/ada')}`);
  assert.equal(payouts.status, 200);
  assert.equal(payouts.body.total, closed.payouts.find((p) => p.artist.endsWith('ada'))!.amount);

  const recompute = await a.api('GET', `/api/v1/ledger/recompute?node=${encodeURIComponent(nodeId)}&month=${month}`, { token: auditor.token });
  assert.equal(recompute.status, 200);
  assert.equal(recompute.body.matches, true, JSON.stringify(recompute.body));
  assert.equal(recompute.body.detailHash.matches, true);
  assert.ok(recompute.body.artists.length >= 2);
  assert.equal((await a.api('GET', `/api/v1/ledger/recompute?node=${encodeURIComponent(nodeId)}&month=${month}`, { token: listener.token })).status, 403);

  // Private per-listener rows: auditors of the node's organisation only.
  const rowsUrl = `/api/v1/ledger/reports/rows?node=${encodeURIComponent(nodeId)}&day=${month}-01`;
  assert.equal((await a.api('GET', rowsUrl, { token: listener.token })).status, 403);
  assert.equal((await a.api('GET', rowsUrl)).status, 401);
  const rows = await a.api('GET', rowsUrl, { token: auditor.token });
  assert.equal(rows.status, 200);
  assert.equal(rows.body.data.length, 3);
  const otherOrg = await b.api('GET', rowsUrl, { token: (await b.user('auditor')).token });
  assert.equal(otherOrg.status, 400, 'another organisation cannot read the rows');

  const publicReport = await a.api('GET', `/api/v1/ledger/reports?node=${encodeURIComponent(nodeId)}&day=${month}-01`);
  assert.equal(publicReport.status, 200);
  assert.ok(!publicReport.text.includes('"p1"'), 'public totals carry no pseudonyms');

  // The log: auditors page and filter it, in JSON and CSV; listeners cannot.
  const txs = await a.api('GET', '/api/v1/ledger/transactions?fn=MonthCloseContract:close', { token: auditor.token });
  assert.equal(txs.status, 200);
  assert.equal(txs.body.total, 1);
  assert.equal(txs.body.data[0].creatorId, nodeId);
  const byContract = await a.api('GET', '/api/v1/ledger/transactions?fn=SubscriptionContract&limit=1&page=2', { token: auditor.token });
  assert.equal(byContract.body.total, 2);
  assert.equal(byContract.body.data.length, 1);
  const csv = await a.api('GET', '/api/v1/ledger/transactions?format=csv', { token: auditor.token });
  assert.match(csv.headers.get('content-type')!, /text\/csv/);
  assert.ok(!csv.text.includes('"pseudonym\\":\\"p1'), 'private rows are not in the log');
  assert.equal((await a.api('GET', '/api/v1/ledger/transactions', { token: listener.token })).status, 403);
  const one = await a.api('GET', `/api/v1/ledger/transactions/${txs.body.data[0].txId}`, { token: auditor.token });
  assert.equal(one.status, 200);
  assert.equal(one.body.events[0].name, 'MonthClosed');
  const verify = await a.api('GET', '/api/v1/ledger/verify', { token: auditor.token });
  assert.equal(verify.body.ok, true);
  assert.equal((await a.api('GET', '/api/v1/ledger/verify', { token: listener.token })).status, 403);
});
