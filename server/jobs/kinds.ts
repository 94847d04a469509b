// Every background job kind and its payload, in one place. A handler lives in the
// capability that owns the job; this list is what the queue accepts.

export interface JobPayloads {
  /** Probe and transcode an uploaded file into its HLS ladder, torrents and waveform. */
  'media.transcode': { trackId: string };
  /** Make the progressive file of ready tracks transcoded before it existed, a batch at a time (after: the last track id done). */
  'media.progressive-backfill': { after?: string; made?: number; failed?: number; total?: number };
  /** Deliver one signed activity to one inbox. */
  'federation.deliver': { activityId: string; inbox: string; actorId: string };
  /** Process one verified incoming activity. */
  'federation.process': { inboxItemId: string };
  /** Submit one pending ledger transaction (after the database commit), in order. */
  'ledger.submit': { outboxId: string };
  /** Write the daily listening report for a day (and any missed days before it). */
  'listening.daily-report': { day?: string };
  /** Flush the batched segment-serve log. */
  'listening.flush': Record<string, never>;
  /** Renew subscriptions whose period starts now, lapse the ones that cannot pay. */
  'money.renew-subscriptions': { at?: string };
  /** Close a month: node fee, artist pool split, payouts (resumable). */
  'money.month-close': { month: string };
  /** Pay out a closed month's artist shares on the payout day. */
  'money.payout': { month: string };
  /** Notify reviewers, replace the ones past their deadline, apply decided disputes. */
  'disputes.tick': { disputeId?: string };
  /** Send one queued mail through SMTP (retried with backoff; the mail row says how it went). */
  'notifications.mail': { mailId: string };
  /** Delete an account: every capability's part, then the tombstone (safe to run again). */
  'accounts.delete': { userId: string; requestedBy: string };
}

export type JobKind = keyof JobPayloads;

/** Which queue carries a job kind: one queue per capability, so each gets its own concurrency. */
export function queueOf(kind: JobKind): string {
  return kind.slice(0, kind.indexOf('.'));
}
