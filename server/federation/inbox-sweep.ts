// Incoming activities stored as `received` whose processing job is gone (a backup restored
// into a fresh Redis, a Redis that lost its data) are queued again when a worker starts.
// Processing a stored item twice is harmless (it runs only while the item is `received`),
// but running it twice at once is not, so each item's job is named after it.
import { select } from '../db/index.js';
import { pendingJobStates } from '../jobs/index.js';
import type { FederationRuntime } from './runtime.js';

const PAGE = 500;

/** The processing job of one stored incoming activity: one name, so it is never queued twice. */
export const inboxJobId = (inboxItemId: string): string => `inbox-${inboxItemId}`;

export async function requeueUnprocessed(rt: FederationRuntime): Promise<{ requeued: number }> {
  const q = rt.ctx.jobs.queue('federation');
  const willRun = new Set<string>(pendingJobStates);
  // Jobs queued before they were named after their item are recognised by their payload.
  const queued = new Set<string>();
  for (const job of await q.getJobs([...pendingJobStates], 0, -1)) {
    if (job?.name === 'federation.process') queued.add(String(job.data.inboxItemId));
  }
  let requeued = 0;
  for (let after: string | null = null; ; ) {
    const rows: { id: string }[] = await select<{ id: string }>(
      rt.db,
      `SELECT id FROM federation_inbox_items WHERE state = 'received' AND (CAST(:after AS uuid) IS NULL OR id > CAST(:after AS uuid)) ORDER BY id LIMIT :limit`,
      { after, limit: PAGE },
    );
    if (!rows.length) break;
    after = String(rows[rows.length - 1].id);
    for (const { id } of rows) {
      if (queued.has(String(id))) continue;
      const jobId = inboxJobId(String(id));
      const state = await q.getJobState(jobId);
      if (willRun.has(state)) continue;
      // A finished job of the same name (Redis kept it, the database is older) would swallow the new one.
      if (state !== 'unknown') await q.remove(jobId);
      await rt.ctx.jobs.enqueue('federation.process', { inboxItemId: String(id) }, { jobId });
      requeued++;
    }
  }
  if (requeued) rt.log.warn({ requeued }, 'received activities had no processing job (a restore, or Redis lost its data): queued again');
  return { requeued };
}
