// The local network as an operator runs it (npm run fabric -- up|down|status|upgrade): what
// runs, the chaincode's definition with its private data collections, a stop and start that
// keeps the ledger, and an upgrade of the chaincode to the next sequence that keeps it too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { client, testNetwork, unique } from './helpers.js';
import { projectRoot } from '../server/config/index.js';
import type { FabricNetwork } from '../scripts/fabric/network.js';
import type { FabricLedger } from '../server/ledger/fabric.js';

let network: FabricNetwork;
let org1: FabricLedger | undefined;

before(async () => {
  network = await testNetwork();
});
after(async () => {
  await org1?.close();
});

function fabricCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const layoutArgs = ['--name', network.layout.name, '--base-port', String(network.layout.orderer.port)];
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'scripts/fabric/cli.ts'), ...args, ...layoutArgs], { cwd: projectRoot, timeout: 180_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('status names what runs; both peers hold the channel; the chaincode is defined with its collections, approved by both peer organisations', async () => {
  const status = await fabricCli(['status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /processes: 5 of 5 running/);
  assert.match(status.stdout, /chaincode nineten sequence 1/);
  const json = JSON.parse((await fabricCli(['status', '--json'])).stdout) as { heights: Record<string, number> };
  const heights = Object.values(json.heights);
  assert.equal(heights.length, 2);
  assert.ok(heights.every((h) => typeof h === 'number' && h >= 1), JSON.stringify(json.heights));

  const committed = JSON.parse(await network.peerAdmin(network.layout.binDir, network.layout.orgs[1], ['lifecycle', 'chaincode', 'querycommitted', '-C', 'nineten', '-n', 'nineten', '-O', 'json'])) as {
    sequence: number;
    collections: { config: { Payload: { StaticCollectionConfig: { name: string; member_only_read: boolean; member_only_write: boolean } } }[] };
    approvals: Record<string, boolean>;
  };
  assert.equal(committed.sequence, 1);
  const collections = committed.collections.config.map((c) => c.Payload.StaticCollectionConfig);
  assert.deepEqual(collections.map((c) => c.name), ['reportRows_Org1MSP', 'reportRows_Org2MSP']);
  assert.ok(collections.every((c) => c.member_only_read && c.member_only_write));
  assert.deepEqual(committed.approvals, { Org1MSP: true, Org2MSP: true, Org3MSP: false });
});

test('down and up again keep the ledger; an upgrade to the next sequence keeps it too', async () => {
  const nodeId = `https://${unique('kept')}.test/ap/actor`;
  org1 = await client('Org1MSP');
  await org1.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId, actorUrl: nodeId, cluster: 'c', organisation: 'Org1MSP' })]);
  const height = (await org1.blocks.chainInfo()).height;
  await org1.close();
  org1 = undefined;

  const down = await fabricCli(['down']);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /stopped .*orderer/);
  assert.equal((await fabricCli(['status'])).code, 1, 'status fails while stopped');

  const up = await fabricCli(['up']);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.match(up.stdout, /restarted/);
  org1 = await client('Org1MSP');
  assert.equal((await org1.blocks.chainInfo()).height, height, 'the same blocks');
  assert.equal(((await org1.evaluate('NodeRegistryContract:get', [nodeId])) as { nodeId: string }).nodeId, nodeId);

  const upgrade = await fabricCli(['upgrade']);
  assert.equal(upgrade.code, 0, upgrade.stdout + upgrade.stderr);
  assert.match(upgrade.stdout, /upgraded to sequence 2/);
  assert.equal(network.state()?.sequence, 2);
  assert.equal(((await org1.evaluate('NodeRegistryContract:get', [nodeId])) as { nodeId: string }).nodeId, nodeId, 'state survives the upgrade');
  const again = `https://${unique('after-upgrade')}.test/ap/actor`;
  const r = await org1.submit('NodeRegistryContract:join', [JSON.stringify({ nodeId: again, actorUrl: again, cluster: 'c', organisation: 'Org1MSP' })]);
  assert.ok(r.blockNumber! >= height);
});
