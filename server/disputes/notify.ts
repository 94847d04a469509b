// What disputes tell this node's users (the `user.notify` event, after commit): a dispute opened
// here (once the ledger accepted it) reaches its parties (the listeners and artists whose held
// shares it covers; not who opened it) and the admins; its outcome reaches the parties, opener
// included, and the admins; a ledger's refusal reaches who opened it and the admins; a review
// another node asks of this one reaches the admins, who vote.
import { select } from '../db/index.js';
import type { UserNotification } from '../events.js';
import type { DisputesDeps } from './deps.js';
import type { Decision, DisputeRow } from './types.js';

/** Telling users is never why a dispute step fails: a failure is logged. `except`: who is not told (who did it). */
async function tell(d: DisputesDeps, disputeId: string, userIds: string[], n: Omit<UserNotification, 'userIds' | 'kind'>, except: string | null = null): Promise<void> {
  try {
    const admins = (await d.ctx.services.accounts.list({ role: 'admin', limit: 200 })).data.filter((u) => !u.disabled).map((u) => u.id);
    const everyone = [...new Set([...userIds, ...admins])].filter((u) => u !== except);
    if (everyone.length) d.ctx.events.emit('user.notify', { ...n, userIds: everyone, kind: 'dispute' });
  } catch (err) {
    d.log.warn({ err, disputeId }, 'dispute: users not told');
  }
}

/** The users a dispute of this node concerns (dispute_parties). */
async function partiesOf(d: DisputesDeps, disputeId: string): Promise<string[]> {
  const rows = await select<{ user_id: string }>(d.ctx.db, 'SELECT DISTINCT user_id FROM dispute_parties WHERE dispute_id = :id', { id: disputeId });
  return rows.map((r) => r.user_id);
}

/** The ledger accepted the dispute: who it concerns hears of it (who opened it knows). */
export async function notifyDisputeOpened(d: DisputesDeps, row: Pick<DisputeRow, 'id' | 'month' | 'opened_by_user'>): Promise<void> {
  await tell(d, row.id, await partiesOf(d, row.id).catch(() => []), {
    title: `A dispute about ${row.month} was opened`,
    body: 'The held money stays held while reviewers on three nodes look at the evidence; you will be told the outcome.',
    url: `/disputes/${row.id}`,
    key: `dispute-opened:${row.id}`,
  }, row.opened_by_user);
}

/** The ledger refused to open the dispute: who opened it and the admins hear why (each opening once). */
export async function notifyDisputeRefused(d: DisputesDeps, row: Pick<DisputeRow, 'id' | 'month' | 'opened_by_user' | 'open_outbox_id'>, reason: string): Promise<void> {
  await tell(d, row.id, row.opened_by_user ? [row.opened_by_user] : [], {
    title: `The dispute about ${row.month} could not be opened`,
    body: `The ledger refused it: ${reason}. The held money is free again; the same dispute can be opened again later.`,
    url: `/disputes/${row.id}`,
    key: `dispute-refused:${row.id}:${row.open_outbox_id ?? ''}`,
  });
}

export async function notifyDisputeDecided(d: DisputesDeps, disputeId: string, decision: Decision): Promise<void> {
  const row = await d.store.row(disputeId).catch(() => undefined);
  await tell(d, disputeId, await partiesOf(d, disputeId).catch(() => []), {
    title: `The dispute about ${row?.month ?? 'a month'} was decided: ${decision === 'release' ? 'released' : 'voided'}`,
    body: decision === 'release' ? 'The held money was paid to the artists as listened.' : 'The held listening does not count; the held money went back.',
    url: `/disputes/${disputeId}`,
    key: `dispute-decided:${disputeId}`,
  });
}

/** Another node asks this node to review one of its disputes: the admins vote. */
export async function notifyReviewRequested(d: DisputesDeps, disputeId: string, month: string, from: string): Promise<void> {
  await tell(d, disputeId, [], {
    title: `A review is asked of this node: a dispute about ${month}`,
    body: `${new URL(from).host} opened it; vote before its deadline in the review queue.`,
    url: '/admin/disputes',
    key: `dispute-review:${disputeId}`,
  });
}
