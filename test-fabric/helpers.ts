// The Fabric suite's setup: the local Fabric network the runner started (npm run test:fabric:
// FABRIC_TEST_NETWORK and FABRIC_TEST_BASE_PORT name it), clients of its organisations, and
// test nodes whose ledger is that network. Run alone, a file starts (or reuses) the network.
import { randomBytes } from 'node:crypto';
import protos from '@hyperledger/fabric-protos';
import { FabricLedger, connectGateway } from '../server/ledger/fabric.js';
import { projectRoot } from '../server/config/index.js';
import { networkLayout } from '../scripts/fabric/layout.js';
import { FabricNetwork } from '../scripts/fabric/network.js';
import { startLedgerNode } from '../test/ledger/nodes.js';
import type { TestNode, TestNodeOptions } from '../test/helpers/node.js';

export const ORGS = ['Org1MSP', 'Org2MSP', 'Org3MSP'] as const;
export type Org = (typeof ORGS)[number];

let network: FabricNetwork | undefined;

/** The suite's network, started when this file runs on its own. */
export async function testNetwork(): Promise<FabricNetwork> {
  if (network) return network;
  const n = new FabricNetwork(
    networkLayout({ name: process.env.FABRIC_TEST_NETWORK ?? 'test', basePort: Number(process.env.FABRIC_TEST_BASE_PORT ?? 29050) }),
  );
  if (!n.running()) await n.up({ projectRoot, log: () => {} });
  network = n;
  return n;
}

/** A gateway client of an organisation (closed by the caller). */
export async function client(org: Org): Promise<FabricLedger> {
  return new FabricLedger((await testNetwork()).profile(org).ledger.fabric);
}

/** Names unique to one run: the network's ledger outlives a test file. */
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/** A test node of an organisation whose ledger is the network (its own peer's gateway, or its gateway organisation's). */
export async function startFabricNode(org: Org, cluster: string, options: TestNodeOptions = {}): Promise<TestNode> {
  const profile = (await testNetwork()).profile(org);
  return startLedgerNode(
    { config: { engine: 'fabric', mspId: org, fabric: profile.ledger.fabric } },
    { ...options, overrides: { ...options.overrides, federation: { ...(options.overrides?.federation as object), organisation: org, cluster } } },
  );
}

/**
 * Asks the organisation's peer to endorse one signed proposal twice and returns both proposal
 * response payloads (result, read/write set, event) as bytes, then commits the first. A
 * contract that read the clock or randomness would answer the same proposal differently.
 */
export async function endorseTwiceAndCommit(org: Org, fn: string, args: string[], transient?: Record<string, string>): Promise<{ first: Buffer; second: Buffer; txId: string; result: unknown }> {
  const profile = (await testNetwork()).profile(org).ledger.fabric;
  const { client: grpcClient, gateway } = connectGateway(profile);
  try {
    const contract = gateway.getNetwork(profile.channel).getContract(profile.chaincode);
    const proposal = contract.newProposal(fn, { arguments: args, transientData: transient, endorsingOrganizations: [org] });
    const one = await proposal.endorse();
    const two = await proposal.endorse();
    const payloads = [one, two].map((tx) => {
      const prepared = protos.gateway.PreparedTransaction.deserializeBinary(tx.getBytes());
      const payload = protos.common.Payload.deserializeBinary(prepared.getEnvelope()!.getPayload_asU8());
      const [action] = protos.peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList();
      return Buffer.from(protos.peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getAction()!.getProposalResponsePayload_asU8());
    });
    const status = await (await one.submit()).getStatus();
    if (!status.successful) throw new Error(`${fn} did not commit: validation code ${status.code}`);
    return { first: payloads[0], second: payloads[1], txId: one.getTransactionId(), result: JSON.parse(Buffer.from(one.getResult()).toString('utf8')) };
  } finally {
    gateway.close();
    grpcClient.close();
  }
}
