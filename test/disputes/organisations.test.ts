// Disputes count organisations, not nodes: with only two organisations to seat, the ledger refuses
// the dispute (its holds are free, status `refused`); once a third organisation has joined, the
// same dispute opened again is tried again under the same ledger-derived id and gets three
// seats of three organisations. Real nodes on loopback sharing one embedded ledger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { capabilities } from '../../server/capabilities.js';
import { createLedgerCapability, ledgerService } from '../../server/ledger/index.js';
import { disputeIdOf } from '../../shared/money/dispute-id.js';
import { disputes, nodeId, startNet, thisMonth, waitFor, type Net } from './helpers.js';

let net: Net;
let late: TestNode | undefined;

before(async () => {
  // Cluster a: OrgA (reporting) and OrgB; cluster b: only another node of OrgA.
  net = await startNet([
    { name: 'org-a1', cluster: 'a', organisation: 'OrgA' },
    { name: 'org-a2', cluster: 'a', organisation: 'OrgB' },
    { name: 'org-b1', cluster: 'b', organisation: 'OrgA' },
  ]);
});
after(async () => {
  await late?.stop().catch(() => {});
  await net?.stop();
});

const status = async (node: TestNode, id: string) => (await disputes(node).detail(id, { full: false }))?.status;

test('too few organisations: refused by the ledger; retried under the same id once a third organisation joined', async () => {
  const [a1] = net.nodes;
  const admin = await a1.user('admin');
  const input = { by: 'admin' as const, month: thisMonth(), artist: `${a1.url}/ap/channels/nobody`, reason: 'figures look inflated', user: admin.user };
  const opened = await disputes(a1).open(input);
  assert.equal(opened.id, disputeIdOf({ nodeId: nodeId(a1), month: input.month, subject: opened.subject, evidenceHash: opened.evidenceHash }), 'the node uses the id the ledger derives');

  await waitFor('the ledger to refuse the dispute', async () => {
    await disputes(a1).tick(opened.id).catch(() => undefined);
    return (await status(a1, opened.id)) === 'refused';
  });
  const refused = await disputes(a1).detail(opened.id, { full: false });
  assert.match(refused!.error ?? '', /too few organisations: no node outside cluster "a" of an organisation other than OrgA, OrgB/);
  assert.equal(await ledgerService(a1.ctx).evaluate('DisputeContract:get', [opened.id]), null);

  // A third organisation joins cluster b.
  late = await startTestNode({
    name: 'org-c1',
    capabilities: capabilities.map((c) => (c.name === 'ledger' ? createLedgerCapability({ config: { databaseUrl: net.ledgerDb.url, mspId: 'OrgC' } }) : c)),
    overrides: { federation: { cluster: 'b', organisation: 'OrgC' } },
  });
  await late.waitJobs();

  const again = await disputes(a1).open(input);
  assert.equal(again.id, opened.id, 'the same dispute, the same id');
  await waitFor('the ledger to open the dispute', async () => {
    await disputes(a1).tick(opened.id).catch(() => undefined);
    return (await status(a1, opened.id)) === 'open';
  });
  const rec = await disputes(a1).ledgerRecord(opened.id);
  assert.deepEqual(rec!.reviewers.map((r) => [r.role, r.organisation]), [['reporting', 'OrgA'], ['cluster', 'OrgB'], ['other', 'OrgC']]);
  assert.equal(rec!.reviewers[2].nodeId, nodeId(late));

  // Now under way: the same dispute again is a conflict, not a second one.
  await assert.rejects(disputes(a1).open(input), (err: { status?: number; code?: string }) => err.status === 409 && err.code === 'already_disputed');
});
