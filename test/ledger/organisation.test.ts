// A node on a shared ledger must sign as its own organisation: it refuses to start with the
// shipped default organisation when another node already uses it, and when its node id is
// registered under another organisation. Real nodes, one shared embedded ledger database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createDatabase, realChaincode } from './helpers.js';
import { startLedgerNode } from './nodes.js';
import type { TestNode } from '../helpers/node.js';
import { ledgerService } from '../../server/ledger/index.js';
import { projectRoot } from '../../server/config/index.js';

const DEFAULT_ORG = (JSON.parse(readFileSync(path.join(projectRoot, 'config/default.json'), 'utf8')) as { federation: { organisation: string } }).federation.organisation;

let shared: Awaited<ReturnType<typeof createDatabase>>;
const started: TestNode[] = [];
const databases: Awaited<ReturnType<typeof createDatabase>>[] = [];

before(async () => {
  assert.ok(realChaincode(), 'the chaincode is built (node node_modules/typescript/bin/tsc -p chaincode/tsconfig.json)');
  shared = await createDatabase('org_ledger');
});
after(async () => {
  for (const n of started) await n.stop().catch(() => {});
  for (const n of started) rmSync(n.dataDir, { recursive: true, force: true });
  for (const d of databases) await d.drop();
  await shared?.drop();
});

const ledger = () => ({ config: { databaseUrl: shared.url } });

async function start(name: string, federation: Record<string, string> = {}, extra: { port?: number; databaseName?: string; dataDir?: string } = {}): Promise<TestNode> {
  // The test names (and drops) the node's database, so a refused start leaves nothing behind.
  let databaseName = extra.databaseName;
  if (!databaseName) {
    const db = await createDatabase(name.replace(/\W/g, '_'));
    databases.push(db);
    databaseName = db.name;
  }
  const node = await startLedgerNode(ledger(), { name, keepDatabase: true, overrides: { federation: { cluster: 'eu', ...federation } }, ...extra, databaseName });
  started.push(node);
  return node;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const registry = async (node: TestNode) => (await ledgerService(node.ctx).evaluate('NodeRegistryContract:list', [])) as { nodeId: string; organisation: string }[];

test('a second node with the default organisation on a shared ledger refuses to start; its own organisation starts', async () => {
  const first = await start('org-first');
  assert.equal(ledgerService(first.ctx).mspId, DEFAULT_ORG, 'the first node left the default');
  await first.waitJobs();
  assert.ok((await registry(first)).some((n) => n.nodeId === ledgerService(first.ctx).nodeId && n.organisation === DEFAULT_ORG));

  await assert.rejects(start('org-second'), (err: Error) => {
    assert.match(err.message, new RegExp(`would sign as "${DEFAULT_ORG}", the default organisation, on a ledger shared with other nodes`));
    assert.match(err.message, /Set federation\.organisation \(env ORGANISATION\) or ledger\.mspId \(env LEDGER_MSP_ID\)/);
    return true;
  });
  assert.equal((await registry(first)).length, 1, 'the refused node did not join');

  const own = await start('org-own', { organisation: 'OrgOwnMSP' });
  await own.waitJobs();
  assert.deepEqual((await registry(first)).map((n) => n.organisation).sort(), [DEFAULT_ORG, 'OrgOwnMSP'].sort());
});

test('the default-organisation node itself restarts: its own id is not "another node"', async () => {
  const first = started.find((n) => n.name === 'org-first')!;
  const { port } = first.ctx.config;
  await first.stop();
  started.splice(started.indexOf(first), 1);
  const again = await start('org-first', {}, { port, databaseName: new URL(first.databaseUrl).pathname.slice(1), dataDir: first.dataDir });
  assert.equal(ledgerService(again.ctx).nodeId, `http://127.0.0.1:${port}/ap/actor`);
  assert.equal(ledgerService(again.ctx).mspId, DEFAULT_ORG);
});

test('a node whose id another organisation registered refuses to start', async () => {
  const squatter = await start('org-squatter', { organisation: 'OrgSquatMSP' });
  const port = await freePort();
  const victimId = `http://127.0.0.1:${port}/ap/actor`;
  // OrgSquatMSP registers the victim's node id in its own name before the victim ever starts.
  await ledgerService(squatter.ctx).submit('NodeRegistryContract:join', [JSON.stringify({ nodeId: victimId, actorUrl: victimId, cluster: 'eu', organisation: 'OrgSquatMSP' })]);
  await assert.rejects(start('org-victim', { organisation: 'OrgVictimMSP' }, { port }), /this node's id "http:\/\/127\.0\.0\.1:\d+\/ap\/actor" is registered on the shared ledger under organisation "OrgSquatMSP", but this node signs as "OrgVictimMSP"/);
});
