// BullMQ queues and workers. Enqueue after commit; handlers throw to be retried.
import { Queue, Worker, UnrecoverableError, DelayedError, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Transaction } from 'sequelize';
import type { Logger } from '../logger.js';
import { queueOf, type JobKind, type JobPayloads } from './kinds.js';
import { warnAboutLegacyQueues } from './prefix.js';

export type { JobKind, JobPayloads } from './kinds.js';

export type JobHandler<K extends JobKind> = (payload: JobPayloads[K], job: Job<JobPayloads[K]>) => Promise<unknown>;

/**
 * What runs when an admin retries a failed job of a kind whose failure also left its subject in a
 * state of its own (a track `failed`, an incoming activity `failed`): it puts the subject back
 * and answers `retry` (the job runs again as it is) or `replaced` (the hook queued the work
 * itself; the failed job is removed). It throws an AppError (a 409) when the job must not run again.
 */
export type RetryHook<K extends JobKind> = (payload: JobPayloads[K], job: Job<JobPayloads[K]>) => Promise<'retry' | 'replaced'>;

/** Work a worker process runs at start (and every `everyMs` when given); `signal` aborts when the jobs close. */
export type WorkerWork = (signal: AbortSignal) => Promise<unknown>;

interface Registered {
  handler: JobHandler<JobKind>;
}

export interface JobsOptionsInit {
  redisUrl: string;
  /** The node's own Redis prefix (see prefix.ts): nodes sharing one Redis never share queues. */
  prefix: string;
  logger: Logger;
}

/** What an admin sees of the queues: counts per queue and per job kind, and the latest failed jobs. */
export interface JobsOverview {
  prefix: string;
  queues: QueueOverview[];
  failed: FailedJob[];
}

export interface QueueOverview {
  name: string;
  /** Jobs per state (BullMQ's own counts). */
  counts: Record<string, number>;
  /** The same per job kind, from the newest `KIND_SCAN_LIMIT` jobs of each state (only when asked for: it reads every job's kind). */
  kinds?: { kind: string; counts: Record<string, number> }[];
}

export interface FailedJob {
  queue: string;
  id: string;
  kind: string;
  data: unknown;
  error: string;
  attempts: number;
  failedAt: string | null;
}

/** BullMQ states in which a job will still run, or is running (the rest: completed, failed, unknown). */
export const pendingJobStates = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/** Every state an admin sees counted. */
export const jobStates = [...pendingJobStates, 'completed', 'failed'] as const;
export type JobState = (typeof jobStates)[number];

/** One job as an admin sees it (the machine page's transcodes in progress, a failed job). */
export interface JobSummary {
  queue: string;
  id: string;
  kind: string;
  data: unknown;
  attempts: number;
  /** What the handler reported (job.updateProgress), e.g. a transcode's percentage. */
  progress: unknown;
  createdAt: string | null;
  startedAt: string | null;
}

/** What came of an admin's retry or removal of a job (`unknown` too for one removed meanwhile). */
export type JobAction = { outcome: 'done' } | { outcome: 'unknown' } | { outcome: 'refused'; state: string };

/**
 * Per-kind counts read at most this many jobs of each state (newest first): the completed and
 * failed sets are trimmed near it anyway (removeOnComplete/removeOnFail), and a backlog larger
 * than this is already visible in the per-queue counts, which are exact.
 */
const KIND_SCAN_LIMIT = 5000;

/** A job id as BullMQ makes them (integers) or as this node names them: nothing else reaches Redis. */
const jobIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/** Every job's options unless its enqueue says otherwise. */
const defaultJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
};

/** How long an admin's read waits for Redis when its connection is not up. */
const READ_CONNECT_MS = 2_000;

/** Jobs read or checked per round trip by the sweeps' helpers (numberedPending, requeueNamed). */
const SWEEP_BATCH = 1000;

export class Jobs {
  private queues = new Map<string, Queue>();
  private workers: Worker[] = [];
  private handlers = new Map<JobKind, Registered>();
  private concurrency = new Map<string, number>();
  private retryHooks = new Map<JobKind, RetryHook<JobKind>>();
  private startHooks: { what: string; run: WorkerWork; everyMs?: number }[] = [];
  private running = new Set<Promise<unknown>>();
  private timers: NodeJS.Timeout[] = [];
  private readonly closing = new AbortController();
  /** The admin's and /metrics' reads: one connection that fails at once while Redis is unreachable. */
  private reader?: Redis;
  private readers = new Map<string, Queue>();

  constructor(private readonly opts: JobsOptionsInit) {}

  get prefix(): string {
    return this.opts.prefix;
  }

  /** The queues this node has handlers for (every role registers them), sorted. */
  queueNames(): string[] {
    return [...new Set([...this.handlers.keys()].map(queueOf))].sort();
  }

  private connection() {
    const u = new URL(this.opts.redisUrl);
    return {
      host: u.hostname,
      port: Number(u.port || 6379),
      password: u.password || undefined,
      username: u.username || undefined,
      db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
      maxRetriesPerRequest: null,
    };
  }

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection(), prefix: this.opts.prefix });
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * A queue handle for reading counts and lists (GET /api/v1/admin/machine, /metrics): the
   * workers' connections wait for Redis for ever (maxRetriesPerRequest null), so a read through
   * them would hang a scrape while Redis is down; this one fails at once instead (or after
   * READ_CONNECT_MS when it has not connected yet).
   */
  private async readQueue(name: string): Promise<Queue> {
    if (!this.reader) {
      this.reader = new Redis({ ...this.connection(), maxRetriesPerRequest: 1, enableOfflineQueue: false });
      this.reader.on('error', (err) => this.opts.logger.debug({ err: err.message }, 'redis (admin reads) error'));
    }
    const reader = this.reader;
    if (reader.status !== 'ready') {
      let onReady: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          onReady = resolve;
          reader.once('ready', onReady);
          timer = setTimeout(() => reject(new Error(`Redis is not reachable (${reader.status})`)), READ_CONNECT_MS);
        });
      } finally {
        clearTimeout(timer);
        if (onReady) reader.off('ready', onReady);
      }
    }
    let q = this.readers.get(name);
    if (!q) {
      q = new Queue(name, { connection: reader, prefix: this.opts.prefix });
      q.on('error', () => {});
      this.readers.set(name, q);
    }
    return q;
  }

  /** Registers the handler for a job kind (done by every role; only workers run them). */
  handle<K extends JobKind>(kind: K, handler: JobHandler<K>): void {
    this.handlers.set(kind, { handler: handler as unknown as JobHandler<JobKind> });
  }

  /**
   * Work a worker process does when its workers start, beside them, and then every `everyMs`
   * (never two runs of it at once): queueing again what the database says is pending but no
   * queue holds (after a restore, or a Redis that lost its data). Web-only processes never run
   * it. Failures are logged; the node starts anyway. `close()` aborts the signal and waits for it.
   */
  atWorkerStart(what: string, run: WorkerWork, options: { everyMs?: number } = {}): void {
    this.startHooks.push({ what, run, everyMs: options.everyMs });
  }

  /** What an admin's retry of a failed job of this kind does first (see RetryHook); kinds without one are simply run again. */
  onRetry<K extends JobKind>(kind: K, hook: RetryHook<K>): void {
    this.retryHooks.set(kind, hook as unknown as RetryHook<JobKind>);
  }

  setConcurrency(queueName: string, n: number): void {
    this.concurrency.set(queueName, n);
  }

  async enqueue<K extends JobKind>(kind: K, payload: JobPayloads[K], options: JobsOptions = {}): Promise<string | undefined> {
    const job = await this.queue(queueOf(kind)).add(kind, payload, { ...defaultJobOptions, ...options });
    return job.id;
  }

  /** Queues the job when the transaction commits; a rolled-back change starts nothing. */
  enqueueAfterCommit<K extends JobKind>(t: Transaction, kind: K, payload: JobPayloads[K], options: JobsOptions = {}): void {
    t.afterCommit(() => {
      this.enqueue(kind, payload, options).catch((err) => this.opts.logger.error({ err, kind }, 'enqueue after commit failed'));
    });
  }

  /** Starts one worker per queue that has handlers. */
  startWorkers(): void {
    const byQueue = new Map<string, JobKind[]>();
    for (const kind of this.handlers.keys()) {
      const q = queueOf(kind);
      byQueue.set(q, [...(byQueue.get(q) ?? []), kind]);
    }
    for (const [name] of byQueue) {
      const worker = new Worker(
        name,
        async (job) => {
          const reg = this.handlers.get(job.name as JobKind);
          if (!reg) throw new Error(`no handler for job kind ${job.name}`);
          const log = this.opts.logger.child({ job: job.name, jobId: job.id });
          log.debug({ data: job.data }, 'job started');
          const started = Date.now();
          try {
            const result = await reg.handler(job.data, job);
            log.info({ ms: Date.now() - started }, 'job done');
            return result;
          } catch (err) {
            // A job that moved itself to the delayed set (a mail held by another try) is waiting, not failing.
            if (err instanceof DelayedError) throw err;
            const attempt = job.attemptsMade + 1;
            // The last attempt is an error an operator must see (it also stays in the failed
            // set, listed by GET /api/v1/admin/jobs); earlier ones are retried.
            if (attempt >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError) log.error({ err, attempt, data: job.data }, 'job failed for good');
            else log.warn({ err, attempt }, 'job failed; will retry');
            throw err;
          }
        },
        { connection: this.connection(), prefix: this.opts.prefix, concurrency: this.concurrency.get(name) ?? 4 },
      );
      worker.on('error', (err) => this.opts.logger.error({ err, queue: name }, 'worker error'));
      this.workers.push(worker);
    }
    void warnAboutLegacyQueues({ ...this.connection(), maxRetriesPerRequest: 1 }, this.opts.prefix, this.queueNames(), this.opts.logger);
    for (const hook of this.startHooks) this.startWork(hook);
  }

  private startWork(hook: { what: string; run: WorkerWork; everyMs?: number }): void {
    const log = this.opts.logger.child({ component: 'jobs', hook: hook.what });
    const signal = this.closing.signal;
    let runs = 0;
    let busy = false;
    const once = () => {
      if (busy || signal.aborted) return;
      busy = true;
      const first = runs++ === 0;
      const run = hook
        .run(signal)
        .then((result) => (first ? log.info({ result }, 'start-time work done') : log.debug({ result }, 'periodic work done')))
        .catch((err) => log.error({ err }, first ? 'start-time work failed' : 'periodic work failed'))
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    };
    once();
    if (hook.everyMs) this.timers.push(setInterval(once, hook.everyMs).unref());
  }

  /**
   * Counts per queue (and per kind when `kinds`: that reads every kept job's kind), and the
   * latest `limit` failed jobs over all queues (or `only` one), newest first.
   */
  async overview(limit: number, only?: string, options: { kinds?: boolean } = {}): Promise<JobsOverview> {
    const queues: QueueOverview[] = [];
    const failed: FailedJob[] = [];
    for (const name of this.queueNames().filter((n) => !only || n === only)) {
      const q = await this.readQueue(name);
      queues.push({ name, counts: await this.counts(name), ...(options.kinds ? { kinds: await this.kindCounts(q) } : {}) });
      for (const job of await q.getFailed(0, limit - 1)) {
        failed.push({
          queue: name,
          id: String(job.id),
          kind: job.name,
          data: job.data,
          error: job.failedReason,
          attempts: job.attemptsMade,
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        });
      }
    }
    failed.sort((x, y) => (y.failedAt ?? '').localeCompare(x.failedAt ?? ''));
    return { prefix: this.opts.prefix, queues, failed: failed.slice(0, limit) };
  }

  /** Jobs per state of one queue (exact; what /metrics reports on every scrape). */
  async counts(queueName: string): Promise<Record<JobState, number>> {
    return (await (await this.readQueue(queueName)).getJobCounts(...jobStates)) as Record<JobState, number>;
  }

  /** Jobs per state and kind: ids from the state sets, then each job's kind (ioredis pipelines the parallel reads on its one connection). */
  private async kindCounts(q: Queue): Promise<NonNullable<QueueOverview['kinds']>> {
    const byKind = new Map<string, Record<string, number>>();
    const client = await q.getBackend().client;
    for (const state of jobStates) {
      const ids = await q.getRanges([state], 0, KIND_SCAN_LIMIT - 1);
      for (let i = 0; i < ids.length; i += 1000) {
        for (const name of await Promise.all(ids.slice(i, i + 1000).map((id) => client.hget(q.toKey(id), 'name')))) {
          if (name === null) continue;
          const counts = byKind.get(name) ?? Object.fromEntries(jobStates.map((st) => [st, 0]));
          counts[state] += 1;
          byKind.set(name, counts);
        }
      }
    }
    return [...byKind].sort(([a], [b]) => a.localeCompare(b)).map(([kind, counts]) => ({ kind, counts }));
  }

  /** The newest `limit` jobs of a queue in these states (e.g. the transcodes running now). */
  async list(queueName: string, states: JobState[], limit: number): Promise<JobSummary[]> {
    const jobs = await (await this.readQueue(queueName)).getJobs(states, 0, limit - 1);
    const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
    return jobs.map((job) => ({
      queue: queueName,
      id: String(job.id),
      kind: job.name,
      data: job.data,
      attempts: job.attemptsMade,
      progress: job.progress ?? null,
      createdAt: iso(job.timestamp),
      startedAt: iso(job.processedOn),
    }));
  }

  /** A job of one of this node's queues, or undefined (an unknown queue or id reaches no Redis key). */
  private async find(queueName: string, id: string) {
    if (!this.queueNames().includes(queueName) || !jobIdPattern.test(id)) return undefined;
    return (await this.queue(queueName).getJob(id)) ?? undefined;
  }

  /**
   * Runs a failed job again, with its full number of attempts (an admin decided the cause is
   * fixed), after its kind's retry hook put its subject back (see onRetry).
   */
  async retry(queueName: string, id: string): Promise<JobAction> {
    const job = await this.find(queueName, id);
    if (!job) return { outcome: 'unknown' };
    const state = await job.getState();
    if (state === 'unknown') return { outcome: 'unknown' };
    if (state !== 'failed') return { outcome: 'refused', state };
    const log = this.opts.logger.child({ queue: queueName, jobId: id, kind: job.name });
    const hook = this.retryHooks.get(job.name as JobKind);
    if (hook && (await hook(job.data, job)) === 'replaced') {
      await job.remove().catch((err) => log.warn({ err }, 'failed job replaced by a new one, but could not be removed'));
      log.info('failed job retried by an admin (its work queued anew)');
      return { outcome: 'done' };
    }
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch {
      // Another admin or process moved or removed it meanwhile.
      return this.movedMeanwhile(job);
    }
    log.info('failed job retried by an admin');
    return { outcome: 'done' };
  }

  /** Removes a job that is not running (a running job holds a lock: wait for it, or let it fail). */
  async remove(queueName: string, id: string): Promise<JobAction> {
    const job = await this.find(queueName, id);
    if (!job) return { outcome: 'unknown' };
    const state = await job.getState();
    if (state === 'unknown') return { outcome: 'unknown' };
    if (state === 'active') return { outcome: 'refused', state };
    try {
      await job.remove();
    } catch {
      return this.movedMeanwhile(job);
    }
    this.opts.logger.info({ queue: queueName, jobId: id, kind: job.name, state }, 'job removed by an admin');
    return { outcome: 'done' };
  }

  private async movedMeanwhile(job: Job): Promise<JobAction> {
    const state = await job.getState();
    return state === 'unknown' ? { outcome: 'unknown' } : { outcome: 'refused', state };
  }

  /**
   * The payloads of a kind's pending jobs whose ids BullMQ numbered: jobs queued before each was
   * named after its subject, which a sweep recognises by payload. Named jobs (`delivery-…`,
   * `inbox-…`) are skipped by their ids, without reading them.
   */
  async numberedPending<K extends JobKind>(kind: K, signal?: AbortSignal): Promise<JobPayloads[K][]> {
    const q = this.queue(queueOf(kind));
    const client = await q.getBackend().client;
    const found: JobPayloads[K][] = [];
    for (let start = 0; !signal?.aborted; start += SWEEP_BATCH) {
      const ids = await q.getRanges([...pendingJobStates], start, start + SWEEP_BATCH - 1);
      if (!ids.length) break;
      const numbered = ids.filter((id) => /^\d+$/.test(id));
      const jobs = await Promise.all(numbered.map((id) => client.hmget(q.toKey(id), 'name', 'data')));
      for (const [name, data] of jobs) if (name === kind && data) found.push(JSON.parse(data) as JobPayloads[K]);
    }
    return found;
  }

  /**
   * Queues jobs each named after its subject (`jobId`), checking a batch in one round trip: a job
   * of that name that will still run (or runs) is left alone; a finished one (completed or
   * failed) is removed first, so it cannot swallow the new one. Returns how many were queued.
   */
  async requeueNamed<K extends JobKind>(kind: K, jobs: { jobId: string; payload: JobPayloads[K] }[], options: JobsOptions = {}): Promise<number> {
    const q = this.queue(queueOf(kind));
    const client = await q.getBackend().client;
    let queued = 0;
    for (let i = 0; i < jobs.length; i += SWEEP_BATCH) {
      const batch = jobs.slice(i, i + SWEEP_BATCH);
      const seen = await Promise.all(
        batch.map(({ jobId }) => Promise.all([client.hexists(q.toKey(jobId), 'name'), client.zscore(q.keys.completed, jobId), client.zscore(q.keys.failed, jobId)])),
      );
      const fresh = batch.filter((_, j) => {
        const [exists, completed, failed] = seen[j];
        return !exists || completed !== null || failed !== null;
      });
      for (const [j, { jobId }] of batch.entries()) if (seen[j][1] !== null || seen[j][2] !== null) await q.remove(jobId);
      if (!fresh.length) continue;
      await q.addBulk(fresh.map(({ jobId, payload }) => ({ name: kind, data: payload, opts: { ...defaultJobOptions, ...options, jobId } })));
      queued += fresh.length;
    }
    return queued;
  }

  /** Counts of waiting, active and delayed jobs over every queue (tests wait for zero). */
  async pending(): Promise<number> {
    let n = 0;
    for (const kind of this.handlers.keys()) this.queue(queueOf(kind));
    for (const q of this.queues.values()) {
      const c = await q.getJobCounts(...pendingJobStates);
      n += Object.values(c).reduce((a, b) => a + b, 0);
    }
    return n;
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled(this.running);
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values(), ...this.readers.values()].map((q) => q.close().catch(() => {})));
    this.reader?.disconnect();
    this.reader = undefined;
    this.workers = [];
    this.queues.clear();
    this.readers.clear();
  }
}
