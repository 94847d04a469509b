// BullMQ queues and workers. Enqueue after commit; handlers throw to be retried.
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Transaction } from 'sequelize';
import type { Logger } from '../logger.js';
import { queueOf, type JobKind, type JobPayloads } from './kinds.js';

export type { JobKind, JobPayloads } from './kinds.js';

export type JobHandler<K extends JobKind> = (payload: JobPayloads[K], job: Job<JobPayloads[K]>) => Promise<unknown>;

interface Registered {
  handler: JobHandler<JobKind>;
}

export interface JobsOptionsInit {
  redisUrl: string;
  prefix: string;
  logger: Logger;
}

export class Jobs {
  private queues = new Map<string, Queue>();
  private workers: Worker[] = [];
  private handlers = new Map<JobKind, Registered>();
  private concurrency = new Map<string, number>();

  constructor(private readonly opts: JobsOptionsInit) {}

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
            log.warn({ err, attempt: job.attemptsMade + 1 }, 'job failed');
            throw err;
          }
        },
        { connection: this.connection(), prefix: this.opts.prefix, concurrency: this.concurrency.get(name) ?? 4 },
      );
      worker.on('error', (err) => this.opts.logger.error({ err, queue: name }, 'worker error'));
      this.workers.push(worker);
    }
  }

  /** Counts of waiting, active and delayed jobs over every queue (tests wait for zero). */
  async pending(): Promise<number> {
    let n = 0;
    for (const kind of this.handlers.keys()) this.queue(queueOf(kind));
    for (const q of this.queues.values()) {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
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
