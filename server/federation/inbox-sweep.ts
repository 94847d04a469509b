// Incoming activities stored as `received` whose processing job is gone (a backup restored
// into a fresh Redis, a Redis that lost its data) are queued again when a worker starts, and
// every 10 minutes after. Processing a stored item twice is harmless (it runs only while the
// item is `received`), but running it twice at once is not, so each item's job is named after it.
import { execute, select } from '../db/index.js';
import type { FederationRuntime } from './runtime.js';

const PAGE = 500;
/** How often a worker sweeps for received activities the queue lost (beside the start-time sweep). */
export const INBOX_SWEEP_EVERY_MS = 600_000;

/** The processing job of one stored incoming activity: one name, so it is never queued twice. */
export const inboxJobId = (inboxItemId: string): string => `inbox-${inboxItemId}`;

/** The sweep; stops between pages when `signal` aborts (the node stops). */
export async function requeueUnprocessed(rt: FederationRuntime, signal?: AbortSignal): Promise<{ requeued: number }> {
  // Jobs queued before they were named after their item are recognised by their payload.
  const queued = new Set((await rt.ctx.jobs.numberedPending('federation.process', signal)).map((p) => String(p.inboxItemId)));
  let requeued = 0;
  for (let after: string | null = null; !signal?.aborted; ) {
    const rows: { id: string }[] = await select<{ id: string }>(
      rt.db,
      `SELECT id FROM federation_inbox_items WHERE state = 'received' AND (CAST(:after AS uuid) IS NULL OR id > CAST(:after AS uuid)) ORDER BY id LIMIT :limit`,
      { after, limit: PAGE },
    );
    if (!rows.length) break;
    after = String(rows[rows.length - 1].id);
    const lost = rows.map((r) => String(r.id)).filter((id) => !queued.has(id));
    requeued += await rt.ctx.jobs.requeueNamed('federation.process', lost.map((id) => ({ jobId: inboxJobId(id), payload: { inboxItemId: id } })));
  }
  if (requeued) rt.log.warn({ requeued }, 'received activities had no processing job (a restore, or Redis lost its data): queued again');
  return { requeued };
}

/**
 * An admin retries a processing job that failed for good, which marked its item `failed`:
 * processing runs only while an item is `received`, so the item goes back to that first.
 */
export async function reopenFailedItem(rt: FederationRuntime, inboxItemId: string): Promise<void> {
  await execute(rt.db, `UPDATE federation_inbox_items SET state = 'received', error = NULL, processed_at = NULL WHERE id = :id AND state = 'failed'`, { id: inboxItemId });
}
