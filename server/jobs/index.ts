// BullMQ queues and workers. Enqueue after commit; handlers throw to be retried.
import { Queue, Worker, UnrecoverableError, type Job, type JobsOptions } from 'bullmq';
import type { Transaction } from 'sequelize';
import type { Logger } from '../logger.js';
import { queueOf, type JobKind, type JobPayloads } from './kinds.js';
import { warnAboutLegacyQueues } from './prefix.js';

export type { JobKind, JobPayloads } from './kinds.js';

export type JobHandler<K extends JobKind> = (payload: JobPayloads[K], job: Job<JobPayloads[K]>) => Promise<unknown>;

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
  /** The same per job kind, from the newest `KIND_SCAN_LIMIT` jobs of each state. */
  kinds: { kind: string; counts: Record<string, number> }[];
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

/** What came of an admin's retry or removal of a job. */
export type JobAction = { outcome: 'done' } | { outcome: 'unknown' } | { outcome: 'refused'; state: string };

/**
 * Per-kind counts read at most this many jobs of each state (newest first): the completed and
 * failed sets are trimmed near it anyway (removeOnComplete/removeOnFail), and a backlog larger
 * than this is already visible in the per-queue counts, which are exact.
 */
const KIND_SCAN_LIMIT = 5000;

/** A job id as BullMQ makes them (integers) or as this node names them: nothing else reaches Redis. */
const jobIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

export class Jobs {
  private queues = new Map<string, Queue>();
  private workers: Worker[] = [];
  private handlers = new Map<JobKind, Registered>();
  private concurrency = new Map<string, number>();
  private startHooks: { what: string; run: () => Promise<unknown> }[] = [];
  private running = new Set<Promise<unknown>>();

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

  /** Registers the handler for a job kind (done by every role; only workers run them). */
  handle<K extends JobKind>(kind: K, handler: JobHandler<K>): void {
    this.handlers.set(kind, { handler: handler as unknown as JobHandler<JobKind> });
  }

  /**
   * Work a worker process does once when its workers start, beside them: queueing again what the
   * database says is pending but no queue holds (after a restore, or a Redis that lost its data).
   * Web-only processes never run it. Failures are logged; the node starts anyway.
   */
  atWorkerStart(what: string, run: () => Promise<unknown>): void {
    this.startHooks.push({ what, run });
  }

  setConcurrency(queueName: string, n: number): void {
    this.concurrency.set(queueName, n);
  }

  async enqueue<K extends JobKind>(kind: K, payload: JobPayloads[K], options: JobsOptions = {}): Promise<string | undefined> {
    const job = await this.queue(queueOf(kind)).add(kind, payload, {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
      ...options,
    });
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
    for (const hook of this.startHooks) {
      const log = this.opts.logger.child({ component: 'jobs', hook: hook.what });
      const run = hook
        .run()
        .then((result) => log.info({ result }, 'start-time work done'))
        .catch((err) => log.error({ err }, 'start-time work failed'))
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  /** Counts per queue and per kind, and the latest `limit` failed jobs over all queues (or `only` one), newest first. */
  async overview(limit: number, only?: string): Promise<JobsOverview> {
    const queues: QueueOverview[] = [];
    const failed: FailedJob[] = [];
    for (const name of this.queueNames().filter((n) => !only || n === only)) {
      const q = this.queue(name);
      queues.push({ name, counts: await this.counts(name), kinds: await this.kindCounts(q) });
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
    return (await this.queue(queueName).getJobCounts(...jobStates)) as Record<JobState, number>;
  }

  /** Jobs per state and kind: ids from the state sets, then each job's kind (ioredis pipelines the parallel reads on its one connection). */
  private async kindCounts(q: Queue): Promise<QueueOverview['kinds']> {
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
    const jobs = await this.queue(queueName).getJobs(states, 0, limit - 1);
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

  /** Runs a failed job again, with its full number of attempts (an admin decided the cause is fixed). */
  async retry(queueName: string, id: string): Promise<JobAction> {
    const job = await this.find(queueName, id);
    if (!job) return { outcome: 'unknown' };
    const state = await job.getState();
    if (state !== 'failed') return { outcome: 'refused', state };
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch {
      // Another admin or process moved it meanwhile.
      return { outcome: 'refused', state: await job.getState() };
    }
    this.opts.logger.info({ queue: queueName, jobId: id, kind: job.name }, 'failed job retried by an admin');
    return { outcome: 'done' };
  }

  /** Removes a job that is not running (a running job holds a lock: wait for it, or let it fail). */
  async remove(queueName: string, id: string): Promise<JobAction> {
    const job = await this.find(queueName, id);
    if (!job) return { outcome: 'unknown' };
    const state = await job.getState();
    if (state === 'active') return { outcome: 'refused', state };
    try {
      await job.remove();
    } catch {
      return { outcome: 'refused', state: await job.getState() };
    }
    this.opts.logger.info({ queue: queueName, jobId: id, kind: job.name, state }, 'job removed by an admin');
    return { outcome: 'done' };
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
    await Promise.allSettled(this.running);
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.workers = [];
    this.queues.clear();
  }
}
