// SubscriptionContract: a listener's paid month at a node (pseudonymous), recorded before month close.
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { checkMonth, exists, getJson, int, KEY, listJson, listPrivateJson, oneOf, ok, parseJsonArg, PRIVATE_KEY, putJson, rowsCollection, str, txTime } from './lib/ledger.js';
import { requireNode, requireNodeCaller } from './lib/registry.js';
import type { CreditRecord } from './month-close-contract.js';

export interface SubscriptionRecord {
  nodeId: string;
  month: string;
  pseudonym: string;
  amount: number;
  currency: string;
  kind: 'new' | 'renewal';
  status: 'active' | 'cancelled';
  recordedAt: string;
  txId: string;
  cancelledAt: string | null;
  cancelTxId: string | null;
}

export async function monthClosed(ctx: Context, nodeId: string, month: string): Promise<boolean> {
  return exists(ctx, KEY.statement, [nodeId, month]);
}

@Info({ title: 'SubscriptionContract', description: 'Monthly subscriptions per node and pseudonymous listener' })
export class SubscriptionContract extends Contract {
  constructor() {
    super('SubscriptionContract');
  }

  /**
   * record({nodeId, month, pseudonym, amount, currency, kind}): one subscription per node, month and
   * pseudonym. Recording the same thing again returns the stored record (idempotent); recording a
   * cancelled one again reactivates it; a different amount/currency for an active one is refused.
   */
  @Transaction()
  @Returns('string')
  public async record(ctx: Context, subscriptionJson: string): Promise<string> {
    const what = 'record';
    const input = parseJsonArg(subscriptionJson, what);
    const nodeId = str(input, 'nodeId', what);
    const month = checkMonth(str(input, 'month', what), what);
    const pseudonym = str(input, 'pseudonym', what, 512);
    const amount = int(input, 'amount', what, 1);
    const currency = str(input, 'currency', what, 16);
    const kind = oneOf(input, 'kind', what, ['new', 'renewal'] as const);
    await requireNodeCaller(ctx, nodeId, what);
    if (await monthClosed(ctx, nodeId, month)) throw new Error(`${what}: month ${month} of node "${nodeId}" is already closed`);
    const existing = await getJson<SubscriptionRecord>(ctx, KEY.subscription, [nodeId, month, pseudonym]);
    if (existing && existing.status === 'active') {
      if (existing.amount === amount && existing.currency === currency && existing.kind === kind) return ok(existing);
      throw new Error(`${what}: pseudonym already has an active subscription for ${month} at "${nodeId}" with different terms`);
    }
    const record: SubscriptionRecord = {
      nodeId,
      month,
      pseudonym,
      amount,
      currency,
      kind,
      status: 'active',
      recordedAt: txTime(ctx).iso,
      txId: ctx.stub.getTxID(),
      cancelledAt: null,
      cancelTxId: null,
    };
    await putJson(ctx, KEY.subscription, [nodeId, month, pseudonym], record);
    ctx.stub.setEvent('SubscriptionRecorded', Buffer.from(ok({ nodeId, month, pseudonym, amount, currency, kind })));
    return ok(record);
  }

  /**
   * cancel({nodeId, month, pseudonym}): the subscription no longer takes part in the month's split
   * (what the node does with the money, e.g. a refund, is off-ledger). Refused after month close.
   */
  @Transaction()
  @Returns('string')
  public async cancel(ctx: Context, cancelJson: string): Promise<string> {
    const what = 'cancel';
    const input = parseJsonArg(cancelJson, what);
    const nodeId = str(input, 'nodeId', what);
    const month = checkMonth(str(input, 'month', what), what);
    const pseudonym = str(input, 'pseudonym', what, 512);
    await requireNodeCaller(ctx, nodeId, what);
    if (await monthClosed(ctx, nodeId, month)) throw new Error(`${what}: month ${month} of node "${nodeId}" is already closed`);
    const existing = await getJson<SubscriptionRecord>(ctx, KEY.subscription, [nodeId, month, pseudonym]);
    if (!existing) throw new Error(`${what}: no subscription for ${month} at "${nodeId}" for this pseudonym`);
    if (existing.status === 'cancelled') return ok(existing);
    const record: SubscriptionRecord = { ...existing, status: 'cancelled', cancelledAt: txTime(ctx).iso, cancelTxId: ctx.stub.getTxID() };
    await putJson(ctx, KEY.subscription, [nodeId, month, pseudonym], record);
    ctx.stub.setEvent('SubscriptionCancelled', Buffer.from(ok({ nodeId, month, pseudonym })));
    return ok(record);
  }

  /** listForMonth(nodeId, month): every subscription (active and cancelled), sorted by pseudonym. */
  @Transaction(false)
  @Returns('string')
  public async listForMonth(ctx: Context, nodeId: string, month: string): Promise<string> {
    await requireNode(ctx, nodeId, 'listForMonth');
    checkMonth(month, 'listForMonth');
    return ok(await listJson<SubscriptionRecord>(ctx, KEY.subscription, [nodeId, month]));
  }

  /**
   * listCredits(nodeId, month): the credits rolled over into the month (written by the previous
   * month's close, keyed by this month's pseudonyms), so an auditor can recompute the month.
   * Private data: the node's own organisation only.
   */
  @Transaction(false)
  @Returns('string')
  public async listCredits(ctx: Context, nodeId: string, month: string): Promise<string> {
    checkMonth(month, 'listCredits');
    const node = await requireNodeCaller(ctx, nodeId, 'listCredits');
    return ok(await listPrivateJson<CreditRecord>(ctx, rowsCollection(node.organisation), PRIVATE_KEY.credit, [nodeId, month]));
  }
}
