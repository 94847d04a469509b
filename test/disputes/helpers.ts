// Shared setup for the dispute tests: real nodes on loopback sharing one embedded ledger
// database (as nodes share a Fabric channel), each with its own organisation (MSP id) and
// cluster; held listening made through listening's real entry points; month close.
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { createDatabase } from '../ledger/helpers.js';
import { capabilities } from '../../server/capabilities.js';
import { createLedgerCapability, ledgerService } from '../../server/ledger/index.js';
import type { LedgerConfig } from '../../server/ledger/config.js';
import { moneyService } from '../../server/money/index.js';
import { listeningService } from '../../server/listening/index.js';
import { disputesService } from '../../server/disputes/index.js';
import { createSession, serve, progress, setListening, lenientRules } from '../listening/helpers.js';
import { waitFor as waitUntil } from '../helpers/wait.js';

export interface Net {
  nodes: TestNode[];
  ledgerDb: { url: string; drop(): Promise<void> };
  stop(): Promise<void>;
}

export interface NodeSpec {
  name: string;
  cluster: string;
  organisation: string;
}

/**
 * Starts the nodes against one shared ledger and waits until each has joined the registry:
 * an embedded ledger database they share, or what `ledgerFor` gives each (a Fabric network's
 * profile of the node's organisation).
 */
export async function startNet(specs: NodeSpec[], ledgerFor?: (spec: NodeSpec) => Partial<LedgerConfig>): Promise<Net> {
  const ledgerDb = await createDatabase('disputes_ledger');
  const nodes: TestNode[] = [];
  // One at a time: the machine is small and the ledger schema is created by the first.
  for (const s of specs) {
    const ledger = ledgerFor ? ledgerFor(s) : { databaseUrl: ledgerDb.url, mspId: s.organisation };
    const caps = capabilities.map((c) => (c.name === 'ledger' ? createLedgerCapability({ config: ledger }) : c));
    const node = await startTestNode({
      name: s.name,
      capabilities: caps,
      overrides: { federation: { cluster: s.cluster, organisation: s.organisation }, auth: { tokenTtlSeconds: 90 * 86_400 } },
    });
    recordFlags(node);
    nodes.push(node);
  }
  for (const n of nodes) await n.waitJobs();
  const registered = (await ledgerService(nodes[0].ctx).evaluate('NodeRegistryContract:list', [])) as { nodeId: string }[];
  for (const n of nodes) assert.ok(registered.some((r) => r.nodeId === nodeId(n)), `${n.name} joined the registry`);
  return {
    nodes,
    ledgerDb,
    async stop() {
      for (const n of nodes) await n.stop().catch(() => {});
      await ledgerDb.drop();
    },
  };
}

export const nodeId = (n: TestNode) => `${n.url}/ap/actor`;
export const disputes = (n: TestNode) => disputesService(n.ctx);

export const thisMonth = () => new Date().toISOString().slice(0, 7);

/**
 * Makes held listening on `node` for `artistUserId`'s channel: each listener subscribes,
 * plays one track fully twice in a day (the second play is held by the plays-per-track
 * rule) and another track once (counted). Then the month is closed.
 */
export async function heldListening(node: TestNode, opts: { channelName: string; artistUserId: string; listeners: { id: string; token: string }[] }): Promise<void> {
  setListening(node, lenientRules({ maxPlaysPerTrackPerDay: 1 }));
  const money = moneyService(node.ctx);
  const trackA = `track-a-${opts.channelName}`;
  const trackB = `track-b-${opts.channelName}`;
  for (const l of opts.listeners) {
    await money.adminCredit.topUp({ userId: l.id, amount: 1000, idempotencyKey: `disputes-test:${l.id}` });
    await money.subscriptions.subscribe(l.id);
    const plays = [trackA, trackA, trackB];
    for (const [i, trackId] of plays.entries()) {
      const { sessionId } = await createSession(node, { userId: l.id, trackId, channelName: opts.channelName, channelId: opts.channelName, ownerId: opts.artistUserId, startedSecondsAgo: 300 - i * 60 });
      serve(node, sessionId, trackId, 0, 10);
      const r = await progress(node, l.token, sessionId, 40, 40, 'ended');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.qualified, true);
      assert.equal(r.body.listen.status, i === 1 ? 'held' : 'counted', `play ${i}`);
    }
  }
}

/** Closes the current month on `node` with listening's figures (channel owners as artists). */
export async function closeMonth(node: TestNode, owners: Record<string, string>): Promise<void> {
  const money = moneyService(node.ctx);
  const listening = listeningService(node.ctx);
  // Listening's rows carry the channel; money wants the artist's local user id.
  money.setQualifiedSecondsSource({
    async qualifiedSeconds(month) {
      return (await listening.qualifiedSeconds(month)).map((r) => ({ userId: r.userId, artist: r.artist, artistUserId: owners[r.artist] ?? null, seconds: r.seconds, held: r.held }));
    },
  });
  const state = await money.closeMonth(thisMonth(), { allowCurrentMonth: true });
  assert.equal(state.status, 'closed', JSON.stringify(state));
}

/** The books of a node sum to zero. */
export async function assertBalanced(node: TestNode): Promise<void> {
  const h = await moneyService(node.ctx).health();
  assert.equal(h.sum, 0, `${node.name}: all accounts sum to zero`);
  assert.equal(h.balanced, true, `${node.name}: books balanced`);
}

export async function walletOf(node: TestNode, userId: string): Promise<number> {
  return moneyService(node.ctx).books.balance(`wallet:${userId}`);
}

/** Waits as test/helpers/wait.ts does, with the longer default the dispute steps need. */
export function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  return waitUntil(what, fn, timeoutMs, 150);
}

/** A Flag a node's disputes handed to federation to send from its instance actor. */
export interface SentFlag {
  to: string;
  /** The instance actor it goes out from (and is signed by). */
  actor: string;
  /** The activity as sent: with its id and actor. */
  body: Record<string, any>;
}

const sentFlags = new WeakMap<TestNode, SentFlag[]>();

/** Records the Flags `node` sends through federation's contract, once committed with an inbox to go to. */
function recordFlags(node: TestNode): void {
  const federation = node.ctx.services.federation;
  const send = federation.sendFromInstance.bind(federation);
  const sent: SentFlag[] = [];
  sentFlags.set(node, sent);
  federation.sendFromInstance = async (t, to, activity) => {
    const queued = await send(t, to, activity);
    if (activity.type === 'Flag' && queued.inboxes > 0) {
      const actor = federation.instanceActorUri();
      t.afterCommit(() => void sent.push({ to, actor, body: { ...activity, id: queued.uri, actor } }));
    }
    return queued;
  };
}

/** The Flags `node` has sent, in order. */
export const flagsSent = (node: TestNode): SentFlag[] => sentFlags.get(node) ?? [];

/**
 * Waits until `reviewer` knows the dispute from the Flag `reporting` sent. Should the
 * delivery not get through, the Flag `reporting` sent is handed to `reviewer`'s receiveFlag
 * with the reporting node's actor, as federation's inbox would.
 */
export async function flagArrives(reporting: TestNode, reviewer: TestNode, disputeId: string): Promise<{ viaInbox: boolean }> {
  const known = () => disputes(reviewer).detail(disputeId, { full: false });
  const sent = await waitFor('the Flag to be sent', async () => flagsSent(reporting).find((f) => f.to === nodeId(reviewer) && f.body.disputeRef?.disputeId === disputeId));
  const arrived = await waitFor('the reviewer to record the Flag', known, 20_000).catch(() => undefined);
  if (arrived) return { viaInbox: true };
  await disputes(reviewer).receiveFlag(sent.body, nodeId(reporting));
  assert.ok(await known());
  return { viaInbox: false };
}
