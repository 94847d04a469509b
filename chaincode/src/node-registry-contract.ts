// NodeRegistryContract: the consortium's nodes (instance actor URL, cluster, Fabric organisation).
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { callerMsp, KEY, key, listKeys, ok, parseJsonArg, putJson, str, txTime } from './lib/ledger.js';
import { allNodes, findNode, NodeRecord } from './lib/registry.js';

@Info({ title: 'NodeRegistryContract', description: '9ten nodes: join, update, list by cluster' })
export class NodeRegistryContract extends Contract {
  constructor() {
    super('NodeRegistryContract');
  }

  /**
   * join({nodeId, actorUrl, cluster, organisation}): registers a node, or updates its actorUrl and
   * cluster when it joins again. The caller's MSP id must be `organisation`, and a node never
   * changes organisation.
   */
  @Transaction()
  @Returns('string')
  public async join(ctx: Context, nodeJson: string): Promise<string> {
    const what = 'join';
    const input = parseJsonArg(nodeJson, what);
    const nodeId = str(input, 'nodeId', what);
    const actorUrl = str(input, 'actorUrl', what);
    const cluster = str(input, 'cluster', what, 256);
    const organisation = str(input, 'organisation', what, 256);
    const msp = callerMsp(ctx);
    if (msp !== organisation) throw new Error(`${what}: caller organisation "${msp}" cannot register a node of "${organisation}"`);
    const existing = await findNode(ctx, nodeId);
    if (existing && existing.organisation !== organisation) {
      throw new Error(`${what}: node "${nodeId}" belongs to "${existing.organisation}" and cannot move to "${organisation}"`);
    }
    const now = txTime(ctx).iso;
    const node: NodeRecord = {
      nodeId,
      actorUrl,
      cluster,
      organisation,
      joinedAt: existing?.joinedAt ?? now,
      updatedAt: now,
      txId: ctx.stub.getTxID(),
    };
    if (existing && existing.cluster !== cluster) await ctx.stub.deleteState(key(ctx, KEY.clusterIndex, [existing.cluster, nodeId]));
    await putJson(ctx, KEY.node, [nodeId], node);
    await ctx.stub.putState(key(ctx, KEY.clusterIndex, [cluster, nodeId]), Buffer.from([0]));
    ctx.stub.setEvent('NodeJoined', Buffer.from(ok({ nodeId, cluster, organisation, rejoin: Boolean(existing) })));
    return ok(node);
  }

  /** get(nodeId): the node, or null. */
  @Transaction(false)
  @Returns('string')
  public async get(ctx: Context, nodeId: string): Promise<string> {
    return ok(await findNode(ctx, nodeId));
  }

  /** list(): every node, sorted by nodeId. */
  @Transaction(false)
  @Returns('string')
  public async list(ctx: Context): Promise<string> {
    return ok(await allNodes(ctx));
  }

  /** listByCluster(cluster): the cluster's nodes, sorted by nodeId. */
  @Transaction(false)
  @Returns('string')
  public async listByCluster(ctx: Context, cluster: string): Promise<string> {
    const keys = await listKeys(ctx, KEY.clusterIndex, [cluster]);
    const nodes: NodeRecord[] = [];
    for (const [, nodeId] of keys) {
      const node = await findNode(ctx, nodeId);
      if (node && node.cluster === cluster) nodes.push(node);
    }
    return ok(nodes);
  }
}
