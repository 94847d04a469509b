// The outbox: an activity is recorded with its deliveries inside the caller's
// transaction and queued (job `federation.deliver`, one per inbox) only after commit.
// Delivery signs each POST, retries with exponential backoff, tracks inboxes that keep
// failing (skipped for a while), counts every attempt per remote host (delivery-health.ts),
// leaves dead letters for admins, and queues again, at a worker's start and every 10 minutes,
// what the database says is pending but the queue lost.
import { randomUUID } from 'node:crypto';
import type { Job, JobsOptions } from 'bullmq';
import type { Transaction } from 'sequelize';
import { signRequest } from '@fedify/fedify/sig';
import { execute, select, selectOne } from '../db/index.js';
import type { JobPayloads } from '../jobs/index.js';
import type { FederationRuntime } from './runtime.js';
import type { LocalActors } from './actors.js';
import type { Remote } from './remote.js';
import type { Blocks } from './blocks.js';
import { ACTIVITY_JSON, documentContext, hostOf } from './vocabulary.js';

export interface QueueActivityInput {
  actorUri: string;
  /** The activity without `id` and `@context` (both are set here). */
  activity: Record<string, unknown>;
  /** What software that does not know 9ten's vocabulary receives instead (e.g. Create{Note}). */
  fallback?: Record<string, unknown>;
  /** Deliver to the accepted remote followers of this local actor (or these: a channel's and the instance's). */
  toFollowersOf?: string | string[];
  /** Deliver to these remote actors (their personal inboxes). */
  toActors?: string[];
  /** Listed in the actor's public outbox. */
  public?: boolean;
  objectUri?: string;
  /** A fixed activity id (a UUID) for an activity that must go out once: queueing it again does nothing. */
  id?: string;
}

export interface DeadLetter {
  id: string;
  activityId: string;
  activityType: string;
  inbox: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: string;
}

/** Software that understands 9ten's vocabulary (gets the full activity, not the fallback). */
const VOCABULARY_AWARE = new Set(['9ten', 'funkwhale']);
const DELIVERY_ATTEMPTS = 6;
const FAILURES_BEFORE_SKIP = 5;
const DELIVERY_TIMEOUT_MS = 15_000;
const INBOX_ANSWER_BYTES = 65_536;
const DELIVERY_JOB: JobsOptions = { attempts: DELIVERY_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } };
/** How long the per-hour attempt counts, and a host's last outcome, are kept (the health view reads 24 hours and 7 days). */
const STATS_KEPT = '8 days';
const SWEEP_PAGE = 500;
/** How often a worker sweeps for pending deliveries the queue lost (beside the start-time sweep). */
export const SWEEP_EVERY_MS = 600_000;

/**
 * One job per delivery, named after it, so queueing it twice (an after-commit enqueue racing the
 * start-time sweep) makes one job. The activity's id is part of the name: a database restored
 * from an older backup reuses delivery ids, and must not meet the finished jobs of the newer ones.
 */
const deliveryJobId = (activityId: string, deliveryId: string | number) => `delivery-${activityId}-${deliveryId}`;

interface DeliveryToQueue {
  id: string | number;
  activity_id: string;
  inbox: string;
  actor_uri: string;
}

/**
 * Counts one attempt for the inbox's host (:host, :ok, :error), as data-modifying CTEs that the
 * delivery's own statement ends with, so an attempt stays one round trip to the database.
 */
const COUNT_ATTEMPT = `
  stat AS (
    INSERT INTO federation_delivery_stats (host, hour, delivered, failed)
    VALUES (:host, date_trunc('hour', now()), CASE WHEN :ok THEN 1 ELSE 0 END, CASE WHEN :ok THEN 0 ELSE 1 END)
    ON CONFLICT (host, hour) DO UPDATE SET delivered = federation_delivery_stats.delivered + EXCLUDED.delivered, failed = federation_delivery_stats.failed + EXCLUDED.failed
  ),
  host_state AS (
    INSERT INTO federation_delivery_hosts (host, last_success_at, last_failure_at, last_error)
    VALUES (:host, CASE WHEN :ok THEN now() END, CASE WHEN :ok THEN NULL ELSE now() END, CASE WHEN :ok THEN NULL ELSE :error END)
    ON CONFLICT (host) DO UPDATE SET
      last_success_at = coalesce(EXCLUDED.last_success_at, federation_delivery_hosts.last_success_at),
      last_failure_at = coalesce(EXCLUDED.last_failure_at, federation_delivery_hosts.last_failure_at),
      last_error = coalesce(EXCLUDED.last_error, federation_delivery_hosts.last_error)
  )`;

export class Delivery {
  constructor(
    private readonly rt: FederationRuntime,
    private readonly actors: LocalActors,
    private readonly remote: Remote,
    private readonly blocks: Blocks,
  ) {
    rt.ctx.jobs.atWorkerStart('queue lost federation deliveries again', (signal) => this.requeueLost(signal), { everyMs: SWEEP_EVERY_MS });
  }

  /**
   * Records the activity and its deliveries; queues them after `t` commits (or at once
   * when there is no transaction). Explicit recipients must be resolvable remote actors.
   */
  async queue(input: QueueActivityInput, t?: Transaction): Promise<{ id: string; uri: string; inboxes: number }> {
    const id = input.id ?? randomUUID();
    const uri = this.rt.activityUri(id);
    if (input.id && (await selectOne(this.rt.db, 'SELECT 1 FROM federation_outbox WHERE id = :id', { id }, t))) return { id, uri, inboxes: 0 };
    const body = { '@context': documentContext, id: uri, ...input.activity };
    const fallback = input.fallback ? { '@context': documentContext, id: uri, ...input.fallback } : null;
    // Resolve explicit recipients before writing (network, outside the transaction's locks).
    const inboxes = new Set<string>();
    for (const actorUri of input.toActors ?? []) {
      if (this.rt.isLocal(actorUri) || (await this.blocks.isBlocked(actorUri))) continue;
      try {
        const a = await this.remote.actor(actorUri);
        inboxes.add(a.inbox);
      } catch (err) {
        this.rt.log.warn({ err, actorUri }, 'recipient could not be resolved; not delivered');
      }
    }
    if (input.toFollowersOf) {
      const rows = await select<{ inbox: string; shared_inbox: string | null; uri: string }>(
        this.rt.db,
        `SELECT ra.inbox, ra.shared_inbox, ra.uri FROM federation_follows f
         JOIN federation_remote_actors ra ON ra.uri = f.follower_uri
         WHERE f.following_uri IN (:actors) AND f.state = 'accepted' AND NOT f.local_follower`,
        { actors: [input.toFollowersOf].flat() },
        t,
      );
      for (const r of rows) {
        if (await this.blocks.isBlocked(r.uri)) continue;
        inboxes.add(r.shared_inbox ?? r.inbox);
      }
    }
    // Followers on one server share its inbox: one delivery per shared inbox.
    const targets = [...inboxes];
    let deliveries: DeliveryToQueue[] = [];
    const insert = async (tx?: Transaction): Promise<boolean> => {
      // A fixed id queued twice at once: the second insert finds the first and queues nothing.
      const inserted = await select(
        this.rt.db,
        `INSERT INTO federation_outbox (id, uri, actor_uri, type, object_uri, body, fallback, public)
         VALUES (:id, :uri, :actor, :type, :object, CAST(:body AS jsonb), CAST(:fallback AS jsonb), :public)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        {
          id, uri, actor: input.actorUri, type: String([input.activity.type].flat()[0]), object: input.objectUri ?? null,
          body: JSON.stringify(body), fallback: fallback ? JSON.stringify(fallback) : null, public: input.public ?? false,
        },
        tx,
      );
      if (!inserted.length) return false;
      if (targets.length) {
        const rows = await select<{ id: string; inbox: string }>(
          this.rt.db,
          `INSERT INTO federation_deliveries (activity_id, inbox, state) SELECT :id, unnest(CAST(:inboxes AS text[])), 'pending' ON CONFLICT DO NOTHING RETURNING id, inbox`,
          { id, inboxes: `{${targets.map((i) => `"${i.replace(/["\\]/g, '\\$&')}"`).join(',')}}` },
          tx,
        );
        deliveries = rows.map((r) => ({ id: r.id, activity_id: id, inbox: r.inbox, actor_uri: input.actorUri }));
      }
      return true;
    };
    const enqueue = () => {
      if (!deliveries.length) return;
      this.enqueue(deliveries).catch((err) => this.rt.log.error({ err, activity: uri }, 'queueing deliveries failed'));
    };
    if (!(await insert(t))) return { id, uri, inboxes: 0 };
    if (t) t.afterCommit(enqueue);
    else enqueue();
    return { id, uri, inboxes: targets.length };
  }

  private enqueue(deliveries: DeliveryToQueue[]) {
    return this.rt.ctx.jobs.queue('federation').addBulk(
      deliveries.map((d) => ({
        name: 'federation.deliver',
        data: { activityId: d.activity_id, inbox: d.inbox, actorId: d.actor_uri } satisfies JobPayloads['federation.deliver'],
        opts: { ...DELIVERY_JOB, jobId: deliveryJobId(d.activity_id, d.id) },
      })),
    );
  }

  /**
   * Queues deliveries whose job may have finished already (a dead letter retried, a delivery the
   * queue marked done while the database kept it pending): a finished job of the same name would
   * swallow the new one, so it goes first. A job that will still run is left alone.
   */
  private enqueueAgain(deliveries: DeliveryToQueue[]): Promise<number> {
    return this.rt.ctx.jobs.requeueNamed(
      'federation.deliver',
      deliveries.map((d) => ({ jobId: deliveryJobId(d.activity_id, d.id), payload: { activityId: d.activity_id, inbox: d.inbox, actorId: d.actor_uri } })),
      DELIVERY_JOB,
    );
  }

  /**
   * The sweep: deliveries the database says are pending but no queue job will run (a backup
   * restored into a fresh Redis, a Redis that lost its data) are queued again. Safe to run any
   * number of times, and beside web processes that queue new deliveries meanwhile; stops between
   * pages when `signal` aborts (the node stops).
   */
  async requeueLost(signal?: AbortSignal): Promise<{ requeued: number }> {
    // Jobs queued before jobs were named after their delivery are recognised by their payload.
    const byPayload = new Set((await this.rt.ctx.jobs.numberedPending('federation.deliver', signal)).map((p) => `${p.activityId} ${p.inbox}`));
    let requeued = 0;
    for (let after = '0'; !signal?.aborted; ) {
      const rows = await select<DeliveryToQueue>(
        this.rt.db,
        `SELECT d.id, d.activity_id, d.inbox, o.actor_uri FROM federation_deliveries d JOIN federation_outbox o ON o.id = d.activity_id
         WHERE d.state = 'pending' AND d.id > :after ORDER BY d.id LIMIT :limit`,
        { after, limit: SWEEP_PAGE },
      );
      if (!rows.length) break;
      after = String(rows[rows.length - 1].id);
      requeued += await this.enqueueAgain(rows.filter((r) => !byPayload.has(`${r.activity_id} ${r.inbox}`)));
    }
    if (requeued) this.rt.log.warn({ requeued }, 'pending deliveries had no queue job (a restore, or Redis lost its data): queued again');
    return { requeued };
  }

  /** Activity bodies by id, as sent (JSON): one activity goes to many inboxes; read and serialised once per process. */
  private bodies = new Map<string, { json: string; fallbackJson: string | null; actorUri: string }>();

  private async activityBody(activityId: string) {
    let cached = this.bodies.get(activityId);
    if (!cached) {
      const row = await selectOne<{ body: Record<string, unknown>; fallback: Record<string, unknown> | null; actor_uri: string }>(
        this.rt.db,
        'SELECT body, fallback, actor_uri FROM federation_outbox WHERE id = :id',
        { id: activityId },
      );
      if (!row) return undefined;
      cached = { json: JSON.stringify(row.body), fallbackJson: row.fallback ? JSON.stringify(row.fallback) : null, actorUri: row.actor_uri };
      this.bodies.set(activityId, cached);
      if (this.bodies.size > 200) this.bodies.delete(this.bodies.keys().next().value!);
    }
    return cached;
  }

  /** Job handler: deliver one activity to one inbox. Throws to be retried. */
  async deliver(payload: JobPayloads['federation.deliver'], job?: Job): Promise<string> {
    // One read: the delivery's state, the inbox's health and what software its host runs.
    const row = await selectOne<{ id: string; state: string; skip_until: Date | null; software: string | null }>(
      this.rt.db,
      `SELECT d.id, d.state, h.skip_until,
         (SELECT ra.software FROM federation_remote_actors ra WHERE ra.host = :host AND ra.software IS NOT NULL LIMIT 1) AS software
       FROM federation_deliveries d LEFT JOIN federation_inbox_health h ON h.inbox = d.inbox
       WHERE d.activity_id = :a AND d.inbox = :inbox`,
      { a: payload.activityId, inbox: payload.inbox, host: hostOf(payload.inbox) },
    );
    if (!row || row.state !== 'pending') return 'nothing to do';
    const activity = await this.activityBody(payload.activityId);
    if (!activity) return 'nothing to do';
    const setState = (state: string, status: number | null, error: string | null) =>
      execute(
        this.rt.db,
        `UPDATE federation_deliveries SET state = :state, attempts = attempts + 1, last_status = :status, last_error = :error, updated_at = now() WHERE id = :id`,
        { id: row.id, state, status, error: error?.slice(0, 1000) ?? null },
      );
    if (await this.blocks.isBlocked(payload.inbox)) {
      await setState('skipped', null, 'inbox host is blocked');
      return 'blocked';
    }
    if (row.skip_until && new Date(row.skip_until).getTime() > Date.now()) {
      await setState('skipped', null, `inbox keeps failing; skipped until ${new Date(row.skip_until).toISOString()}`);
      return 'skipped';
    }
    const aware = row.software ? VOCABULARY_AWARE.has(row.software) : false;
    const json = !aware && activity.fallbackJson ? activity.fallbackJson : activity.json;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const { privateKey, keyId } = await this.actors.signer(activity.actorUri);
      const request = new Request(payload.inbox, {
        method: 'POST',
        headers: { 'content-type': ACTIVITY_JSON, accept: ACTIVITY_JSON, 'user-agent': `9ten/0.1 (+${this.rt.publicUrl})` },
        body: json,
      });
      const signed = await signRequest(request, privateKey, keyId);
      // The inbox's address is checked where the socket connects (no private addresses unless
      // allowed); its answer is not needed, so at most INBOX_ANSWER_BYTES of it is read.
      const res = await this.remote.request(payload.inbox, {
        method: 'POST', headers: signed.headers, body: json, maxBytes: INBOX_ANSWER_BYTES, truncate: true, timeoutMs: DELIVERY_TIMEOUT_MS, redirect: 'manual',
      });
      status = res.status;
      if (res.ok) {
        // One statement: mark delivered, count it for the host, and clear the inbox's failure
        // streak if it had one.
        await execute(
          this.rt.db,
          `WITH done AS (
             UPDATE federation_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = :s, last_error = NULL, updated_at = now() WHERE id = :id
           ), ${COUNT_ATTEMPT}
           UPDATE federation_inbox_health SET consecutive_failures = 0, last_success_at = now(), skip_until = NULL
           WHERE inbox = :i AND (consecutive_failures > 0 OR skip_until IS NOT NULL)`,
          { id: row.id, s: status, i: payload.inbox, host: hostOf(payload.inbox), ok: true, error: null },
        );
        this.pruneStatsHourly();
        return 'delivered';
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message ?? String(err);
    }
    await execute(
      this.rt.db,
      `WITH ${COUNT_ATTEMPT}
       INSERT INTO federation_inbox_health (inbox, consecutive_failures, last_failure_at) VALUES (:i, 1, now())
       ON CONFLICT (inbox) DO UPDATE SET consecutive_failures = federation_inbox_health.consecutive_failures + 1, last_failure_at = now(),
         skip_until = CASE WHEN federation_inbox_health.consecutive_failures + 1 >= :limit
           THEN now() + make_interval(mins => LEAST(1440, power(2, federation_inbox_health.consecutive_failures + 1 - :limit)::int)) ELSE NULL END`,
      { i: payload.inbox, limit: FAILURES_BEFORE_SKIP, host: hostOf(payload.inbox), ok: false, error: (error ?? 'failed').slice(0, 1000) },
    );
    this.pruneStatsHourly();
    // A 4xx other than timeout/rate limit will not get better by retrying.
    const permanent = status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
    const lastAttempt = !job || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (permanent || lastAttempt) {
      await setState('dead', status, error);
      this.rt.log.warn({ inbox: payload.inbox, status, error }, 'delivery failed for good (dead letter)');
      return 'dead';
    }
    await execute(this.rt.db, 'UPDATE federation_deliveries SET attempts = attempts + 1, last_status = :s, last_error = :e, updated_at = now() WHERE id = :id', { id: row.id, s: status, e: error });
    throw new Error(`delivery to ${payload.inbox} failed: ${error}`);
  }

  async deadLetters(limit = 100, offset = 0): Promise<{ total: number; data: DeadLetter[] }> {
    const rows = await select<{ id: string; activity_id: string; type: string; inbox: string; state: string; attempts: number; last_status: number | null; last_error: string | null; updated_at: Date }>(
      this.rt.db,
      `SELECT d.id, d.activity_id, o.type, d.inbox, d.state, d.attempts, d.last_status, d.last_error, d.updated_at
       FROM federation_deliveries d JOIN federation_outbox o ON o.id = d.activity_id
       WHERE d.state IN ('dead', 'skipped') ORDER BY d.updated_at DESC LIMIT :limit OFFSET :offset`,
      { limit, offset },
    );
    const total = await selectOne<{ n: string }>(this.rt.db, `SELECT count(*) AS n FROM federation_deliveries WHERE state IN ('dead', 'skipped')`);
    return {
      total: Number(total?.n ?? 0),
      data: rows.map((r) => ({
        id: String(r.id), activityId: r.activity_id, activityType: r.type, inbox: r.inbox, state: r.state, attempts: r.attempts,
        lastStatus: r.last_status, lastError: r.last_error, updatedAt: new Date(r.updated_at).toISOString(),
      })),
    };
  }

  /** Puts a dead letter back in the queue (an admin decided the inbox is healthy again). */
  async retry(deliveryId: string): Promise<boolean> {
    const row = await selectOne<DeliveryToQueue>(
      this.rt.db,
      `UPDATE federation_deliveries d SET state = 'pending', updated_at = now() FROM federation_outbox o
       WHERE d.id = :id AND o.id = d.activity_id AND d.state IN ('dead', 'skipped') RETURNING d.id, d.activity_id, d.inbox, o.actor_uri`,
      { id: deliveryId },
    );
    if (!row) return false;
    await execute(this.rt.db, 'UPDATE federation_inbox_health SET skip_until = NULL, consecutive_failures = 0 WHERE inbox = :i', { i: row.inbox });
    await this.enqueueAgain([row]);
    return true;
  }

  private prunedHour = -1;

  /**
   * Drops attempt counts older than the health view reads, and the last outcome of hosts not
   * tried since, once an hour per process (the tables stay hosts × ~200 rows, and hosts of this week).
   */
  private pruneStatsHourly(): void {
    const hour = Math.floor(Date.now() / 3_600_000);
    if (hour === this.prunedHour) return;
    this.prunedHour = hour;
    execute(
      this.rt.db,
      `WITH stats AS (DELETE FROM federation_delivery_stats WHERE hour < now() - CAST(:kept AS interval))
       DELETE FROM federation_delivery_hosts WHERE greatest(last_success_at, last_failure_at) < now() - CAST(:kept AS interval)`,
      { kept: STATS_KEPT },
    ).catch((err) => this.rt.log.warn({ err }, 'pruning delivery counts failed'));
  }
}
