// Registry lookups the other contracts use: a node must be registered, and a node-scoped write must
// come from the node's own organisation (its MSP id as recorded at join).
import { Context } from 'fabric-contract-api';

import { callerMsp, getJson, KEY, listJson } from './ledger.js';

export interface NodeRecord {
  nodeId: string;
  actorUrl: string;
  cluster: string;
  organisation: string;
  joinedAt: string;
  updatedAt: string;
  txId: string;
}

export async function findNode(ctx: Context, nodeId: string): Promise<NodeRecord | null> {
  return getJson<NodeRecord>(ctx, KEY.node, [nodeId]);
}

export async function requireNode(ctx: Context, nodeId: string, what: string): Promise<NodeRecord> {
  const node = await findNode(ctx, nodeId);
  if (!node) throw new Error(`${what}: node "${nodeId}" is not registered (NodeRegistryContract:join first)`);
  return node;
}

/** The node must be registered and the caller must belong to its organisation. */
export async function requireNodeCaller(ctx: Context, nodeId: string, what: string): Promise<NodeRecord> {
  const node = await requireNode(ctx, nodeId, what);
  const msp = callerMsp(ctx);
  if (msp !== node.organisation) {
    throw new Error(`${what}: caller organisation "${msp}" does not match node "${nodeId}" (organisation "${node.organisation}")`);
  }
  return node;
}

export async function allNodes(ctx: Context): Promise<NodeRecord[]> {
  return listJson<NodeRecord>(ctx, KEY.node, []);
}
