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

/** What an admin sees of the queues: counts per queue and the latest failed jobs. */
export interface JobsOverview {
  prefix: string;
  queues: { name: string; counts: Record<string, number> }[];
  failed: FailedJob[];
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

export class Jobs {
  private queues = new Map<string, Queue>();
  private workers: Worker[] = [];
  private handlers = new Map<JobKind, Registered>();
  private concurrency = new Map<string, number>();

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
  }

  /** Counts per queue and the latest `limit` failed jobs over all queues (or `only` one), newest first. */
  async overview(limit: number, only?: string): Promise<JobsOverview> {
    const queues: JobsOverview['queues'] = [];
    const failed: FailedJob[] = [];
    for (const name of this.queueNames().filter((n) => !only || n === only)) {
      const q = this.queue(name);
      queues.push({ name, counts: await q.getJobCounts(...pendingJobStates, 'completed', 'failed') });
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
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.workers = [];
    this.queues.clear();
  }
}
