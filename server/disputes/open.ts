// Opening a dispute about this node's figures: which held shares it covers (by who opens
// it), the anonymized evidence, this node's records and the ledger's `open` after commit.
// Automatic openings look for held money over the threshold not yet under review.
import type { Transaction } from 'sequelize';
import { AppError, badRequest, conflict, forbidden } from '../http/errors.js';
import { assertMonth } from '../http/month.js';
import type { Hold } from '../money/contract.js';
import { disputeIdOf } from '../../shared/money/dispute-id.js';
import type { DisputesDeps } from './deps.js';
import { allocationEvidence, evidenceHash, evidenceRows, EVIDENCE_VERSION, type Evidence } from './evidence.js';
import type { OpenedBy, OpenInput, Subject } from './types.js';

/** What a dispute is about: the held shares it covers and how the ledger names it. */
interface Scope {
  holds: Hold[];
  subject: Subject;
  artist: string | null;
  /** A listener's question: where the month's subscription went. */
  allocation?: Evidence['allocation'];
}

/** A dispute ready to record: its id (the ledger's derivation), holds, evidence and hash. */
interface Opening {
  id: string;
  by: OpenedBy;
  userId: string | null;
  scope: Scope;
  evidence: Evidence;
  hash: string;
  listenIds: Map<string, string[]>;
}

type Party = { userId: string; party: 'opener' | 'listener' | 'artist' };

/** Opens a dispute and records it on the ledger (after commit; its parties are told once the ledger accepts it: tick.ts); returns its id. */
export async function openDispute(d: DisputesDeps, input: OpenInput): Promise<string> {
  const month = assertMonth(input.month);
  const reason = (input.reason ?? '').trim().slice(0, d.settings.maxReasonLength);
  const found = await scopeOf(d, input);
  const scope = { ...found, holds: await withoutTaken(d, found.holds, input.by) };
  if (input.by === 'auto' && !scope.holds.length) throw conflict('nothing_held', 'Nothing held');
  const amount = scope.holds.reduce((a, h) => a + h.amount, 0);
  const { rows, listenIds } = await evidenceRows(d.listening, scope.holds);
  const evidence: Evidence = {
    version: EVIDENCE_VERSION, node: d.nodeId, month, subject: scope.subject, artist: scope.artist, currency: d.money.currency,
    amount, openedBy: input.by, reason, rows, ...(scope.allocation ? { allocation: scope.allocation } : {}),
  };
  const hash = evidenceHash(evidence);
  // The ledger derives the id from these inputs; the same here. It is passed along so that the
  // contract refuses the open if the two copies of disputeIdOf ever disagree (the dispute then
  // shows as refused, with the reason) instead of landing under an id this node never looks up.
  const id = disputeIdOf({ nodeId: d.nodeId, month, subject: scope.subject, evidenceHash: hash });
  const opening: Opening = { id, by: input.by, userId: input.user?.id ?? null, scope, evidence, hash, listenIds };
  await d.ctx.db.transaction((t) => record(d, opening, t));
  d.log.info({ disputeId: id, by: input.by, month, amount, holds: scope.holds.length }, 'dispute opened');
  return id;
}

/** Opens a dispute for each artist and month whose held money exceeds the threshold. */
export async function autoOpen(d: DisputesDeps): Promise<string[]> {
  if (!d.settings.autoOpen) return [];
  const opened: string[] = [];
  for (const c of await heldOver(d, d.settings.autoOpenAmount)) {
    try {
      opened.push(await openDispute(d, { by: 'auto', month: c.month, artist: c.artist }));
    } catch (err) {
      if (err instanceof AppError && (err.code === 'already_disputed' || err.code === 'nothing_held')) continue;
      throw err;
    }
  }
  return opened;
}

/** Artist and month pairs whose held shares, not yet in a dispute, exceed `amount` (by month, then artist). */
async function heldOver(d: DisputesDeps, amount: number): Promise<{ month: string; artist: string; amount: number }[]> {
  // heldShares comes ordered by month and artist, and a Map keeps that order.
  const groups = new Map<string, { month: string; artist: string; holds: Hold[] }>();
  for (const h of await d.money.heldShares()) {
    const key = `${h.month}\u0000${h.artist}`;
    const group = groups.get(key) ?? groups.set(key, { month: h.month, artist: h.artist, holds: [] }).get(key)!;
    group.holds.push(h);
  }
  const sum = (holds: Hold[]) => holds.reduce((a, h) => a + h.amount, 0);
  // Only a group over the amount in all can be over it without its disputed holds.
  const candidates = [...groups.values()].filter((g) => sum(g.holds) > amount);
  if (!candidates.length) return [];
  const taken = new Set((await d.store.takenHolds(candidates.flatMap((g) => g.holds.map((h) => h.id)))).map((x) => x.hold_id));
  return candidates
    .map((g) => ({ month: g.month, artist: g.artist, amount: sum(g.holds.filter((h) => !taken.has(h.id))) }))
    .filter((g) => g.amount > amount);
}

function scopeOf(d: DisputesDeps, input: OpenInput): Promise<Scope> {
  switch (input.by) {
    case 'auto':
    case 'admin':
      return input.by === 'admin' && input.listenerId ? adminListenerScope(d, input, input.listenerId) : artistMonthScope(d, input);
    case 'artist':
      return artistScope(d, input);
    case 'listener':
      return listenerScope(d, input);
  }
}

/** An admin asking about one listener's shares (of one artist, when named). */
async function adminListenerScope(d: DisputesDeps, input: OpenInput, listenerId: string): Promise<Scope> {
  const holds = await d.money.heldShares({ month: input.month, userId: listenerId, artist: input.artist });
  const subject: Subject = { type: 'reportRow', ref: `${input.month}:${await d.listening.pseudonym(listenerId, input.month)}` };
  return { holds, subject, artist: input.artist ?? null };
}

/** An artist's month: automatic openings, and admins naming the artist. */
async function artistMonthScope(d: DisputesDeps, input: OpenInput): Promise<Scope> {
  if (!input.artist) throw badRequest('artist_required', 'Name the artist (actor URI) or the listener the dispute is about');
  const holds = await d.money.heldShares({ month: input.month, artist: input.artist });
  return { holds, subject: { type: input.subject ?? 'reportRow', ref: `${input.month}:${input.artist}` }, artist: input.artist };
}

/** An artist contesting the month's payout: their held shares, under one of their artists. */
async function artistScope(d: DisputesDeps, input: OpenInput): Promise<Scope> {
  if (!input.user) throw forbidden();
  const holds = await d.money.heldShares({ month: input.month, artistUserId: input.user.id, artist: input.artist });
  const artists = [...new Set(holds.map((h) => h.artist))];
  if (artists.length > 1) throw badRequest('artist_required', `You have held shares under several artists this month; name one of: ${artists.join(', ')}`);
  const artist = input.artist ?? artists[0] ?? null;
  if (!artist) throw conflict('nothing_held', 'Nothing of yours is held for that month; there is no payout amount to contest');
  return { holds, subject: { type: 'payout', ref: `${input.month}:${artist}` }, artist };
}

/** A listener asking where their money went: their held shares and their allocation. */
async function listenerScope(d: DisputesDeps, input: OpenInput): Promise<Scope> {
  if (!input.user) throw forbidden();
  const holds = await d.money.heldShares({ month: input.month, userId: input.user.id });
  const subject: Subject = { type: 'reportRow', ref: `${input.month}:${await d.listening.pseudonym(input.user.id, input.month)}` };
  const allocation = await allocationEvidence(d.money, input.user.id, input.month);
  if (!holds.length && !allocation?.length) throw conflict('nothing_to_contest', 'No subscription share of yours was allocated that month');
  return { holds, subject, artist: null, allocation };
}

/** Holds already argued over elsewhere stay with their dispute. */
async function withoutTaken(d: DisputesDeps, holds: Hold[], by: OpenedBy): Promise<Hold[]> {
  const taken = await d.store.takenHolds(holds.map((h) => h.id));
  if (!taken.length) return holds;
  const takenIds = new Set(taken.map((x) => x.hold_id));
  const free = holds.filter((h) => !takenIds.has(h.id));
  if (!free.length && by !== 'listener') {
    throw new AppError(409, 'already_disputed', 'These held shares are already under review', { disputeId: taken[0].dispute_id });
  }
  return free;
}

/** This node's records of the dispute, and the ledger's `open` queued behind them. */
async function record(d: DisputesDeps, o: Opening, t: Transaction): Promise<void> {
  await claimId(d, o, t);
  for (const h of o.scope.holds) {
    const ok = await d.store.insertHold(o.id, h, o.listenIds.get(h.id) ?? [], t);
    if (!ok) throw conflict('already_disputed', 'A held share was put under review by another dispute meanwhile; try again');
  }
  for (const p of partiesOf(o)) await d.store.addParty(o.id, p.userId, p.party, t);
  const { month, subject, amount } = o.evidence;
  const ledgerArgs = { disputeId: o.id, nodeId: d.nodeId, month, subject, amount, evidenceHash: o.hash, deadlineDays: d.settings.reviewDeadlineDays };
  const outboxId = await d.ledger.enqueueSubmit(t, 'DisputeContract:open', [JSON.stringify(ledgerArgs)]);
  await d.store.setOpenOutbox(o.id, outboxId, t);
  d.changedAfterCommit(t, o.id);
}

/**
 * Same inputs, same id: the same dispute again. One the ledger refused (e.g. too few
 * organisations to seat) is tried again under its id; any other is already under way.
 */
async function claimId(d: DisputesDeps, o: Opening, t: Transaction): Promise<void> {
  const previous = await d.store.lockStatus(o.id, t);
  if (previous && (previous !== 'refused' || o.by === 'auto')) {
    throw new AppError(409, 'already_disputed', 'The same dispute (same figures, evidence and reason) was already opened', { disputeId: o.id });
  }
  if (previous) return d.store.reopen(o.id, o.userId, t);
  const e = o.evidence;
  const fresh = { id: o.id, node: d.nodeId, month: e.month, subject: e.subject, artist: e.artist, amount: e.amount, currency: e.currency, evidence: e, hash: o.hash, by: o.by, userId: o.userId };
  if (!(await d.store.insertReporting(fresh, t))) throw conflict('already_disputed', 'A dispute for this artist and month is already open');
}

/** The opener, and the listeners and artists whose shares the dispute covers (once each). */
function partiesOf(o: Opening): Party[] {
  const parties: Party[] = o.userId ? [{ userId: o.userId, party: 'opener' }] : [];
  for (const h of o.scope.holds) {
    parties.push({ userId: h.userId, party: 'listener' });
    if (h.artistUserId) parties.push({ userId: h.artistUserId, party: 'artist' });
  }
  const seen = new Set<string>();
  return parties.filter((p) => {
    const k = `${p.userId}:${p.party}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
