// The admin's view of the machine: the job queues, transcodes in progress, media disk use,
// federation delivery health per remote host and the books' health, gathered through the
// capabilities' contracts for GET /api/v1/admin/machine, and the same figures as Prometheus
// gauges on /metrics. Every part has a time limit, so a part that hangs (Redis down, a slow
// disk) leaves a gap instead of holding the answer.
import { Gauge } from 'prom-client';
import type { NodeContext } from '../context.js';
import type { JobsOverview, JobState, JobSummary } from '../jobs/index.js';
import { jobStates } from '../jobs/index.js';
import type { MediaDiskUse } from '../media/contract.js';
import type { DeliveryHealth } from '../federation/contract.js';
import type { BooksHealth } from '../../shared/api/index.js';
import { metricOnce } from '../http/metrics.js';
import { metricsConfig } from './metrics-config.js';

export interface MachineView {
  measuredAt: string;
  jobs: JobsOverview | null;
  transcodes: TranscodesInProgress;
  disk: MediaDiskUse | null;
  deliveries: DeliveryHealth[] | null;
  books: BooksHealth | null;
  /** The parts that could not be read this time (each is null above), with why. */
  problems: { part: string; error: string }[];
}

export interface TranscodesInProgress {
  running: JobSummary[];
  waiting: number;
  delayed: number;
  failed: number;
}

const TRANSCODE = 'media.transcode';
/** Hosts named in the delivery gauges; the rest are summed as host="other" (bounded label values). */
const METRIC_HOSTS = 20;
/** The books' check sums every entry: a scrape every few seconds reuses the last minute's answer. */
const BOOKS_CACHE_MS = 60_000;
/** How long one part of a scrape may take (Prometheus gives a whole scrape 10 s by default). */
const SCRAPE_PART_MS = 2_500;
/** How long one part of the admin's view may take. */
const VIEW_PART_MS = 5_000;

/** `work`'s outcome, or a rejection once `ms` passed (the work itself goes on, unheard). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Reads the parts at once, each within `ms`; a part that fails or is late is logged and comes back undefined. */
async function readParts<P extends Record<string, () => Promise<unknown>>>(
  ms: number,
  parts: P,
  failed: (part: string, err: unknown) => void,
): Promise<{ [K in keyof P]: Awaited<ReturnType<P[K]>> | undefined }> {
  const entries = await Promise.all(
    Object.entries(parts).map(async ([name, read]) => {
      try {
        return [name, await within(ms, read())] as const;
      } catch (err) {
        failed(name, err);
        return [name, undefined] as const;
      }
    }),
  );
  return Object.fromEntries(entries) as { [K in keyof P]: Awaited<ReturnType<P[K]>> | undefined };
}

const runningTranscodes = async (ctx: NodeContext) => (await ctx.jobs.list('media', ['active'], 100)).filter((j) => j.kind === TRANSCODE);

/** The transcodes' counts, from the media queue's per-kind counts. */
function transcodes(jobs: JobsOverview | undefined, running: JobSummary[] | undefined): TranscodesInProgress {
  const counts = jobs?.queues.find((q) => q.name === 'media')?.kinds?.find((k) => k.kind === TRANSCODE)?.counts ?? {};
  return { running: running ?? [], waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 };
}

/** Everything the machine page shows; a part that fails or is late is null and named in `problems`, the rest still shows. */
export async function machineView(ctx: NodeContext, failedJobs: number): Promise<MachineView> {
  const log = ctx.logger.child({ component: 'machine' });
  const problems: MachineView['problems'] = [];
  const parts = await readParts(
    VIEW_PART_MS,
    {
      jobs: () => ctx.jobs.overview(failedJobs, undefined, { kinds: true }),
      transcodes: () => runningTranscodes(ctx),
      disk: () => ctx.services.media.diskUse(),
      deliveries: () => ctx.services.federation.deliveryHealth(),
      books: () => ctx.services.money.health(),
    },
    (part, err) => {
      log.error({ err, part }, 'machine view part failed');
      problems.push({ part, error: (err as Error).message ?? String(err) });
    },
  );
  return {
    measuredAt: new Date().toISOString(),
    jobs: parts.jobs ?? null,
    transcodes: transcodes(parts.jobs, parts.transcodes),
    disk: parts.disk ?? null,
    deliveries: parts.deliveries ?? null,
    books: parts.books ?? null,
    problems,
  };
}

type Figures = Pick<DeliveryHealth, 'delivered24h' | 'failed24h' | 'pending' | 'dead' | 'skipped'>;
const figureNames: Record<keyof Figures, string> = { delivered24h: 'delivered_24h', failed24h: 'failed_24h', pending: 'pending', dead: 'dead_7d', skipped: 'skipped_7d' };

/**
 * The delivery gauges' rows. `perHost`: the first `limit` hosts (most troubled first) by name,
 * the rest summed as "other"; otherwise every host summed as "all" (who this node talks to is
 * not for anyone who can read /metrics).
 */
export function deliveryGaugeRows(hosts: DeliveryHealth[], perHost: boolean, limit = METRIC_HOSTS): { host: string; outcome: string; value: number }[] {
  const sum = (some: DeliveryHealth[]): Figures =>
    Object.fromEntries((Object.keys(figureNames) as (keyof Figures)[]).map((k) => [k, some.reduce((n, h) => n + h[k], 0)])) as unknown as Figures;
  const groups: { host: string; values: Figures }[] = perHost
    ? [...hosts.slice(0, limit).map((h) => ({ host: h.host, values: h })), ...(hosts.length > limit ? [{ host: 'other', values: sum(hosts.slice(limit)) }] : [])]
    : [{ host: 'all', values: sum(hosts) }];
  return groups.flatMap((g) => (Object.keys(figureNames) as (keyof Figures)[]).map((k) => ({ host: g.host, outcome: figureNames[k], value: g.values[k] })));
}

/** One scrape's figures; a part missing could not be read this time. */
interface Scrape {
  queues?: { queue: string; counts: Record<JobState, number> }[];
  transcodesRunning?: number;
  disk?: MediaDiskUse;
  deliveries?: DeliveryHealth[];
  books?: BooksHealth;
}

/**
 * The figures the gauges show, read once for all of them and reused for `cacheSeconds` (config
 * `metrics`): scrapes at the same moment share one reading, anonymous callers cannot make the
 * node walk its disk or query its database more than that, and every gauge of one scrape shows
 * the same moment.
 */
class ScrapeFigures {
  private last?: { at: number; figures: Scrape };
  private reading?: Promise<Scrape>;
  private booksCache?: { at: number; value: Promise<BooksHealth> };
  private readonly log;

  constructor(private readonly ctx: NodeContext) {
    this.log = ctx.logger.child({ component: 'machine' });
  }

  get(): Promise<Scrape> {
    const maxAgeMs = metricsConfig(this.ctx).cacheSeconds * 1000;
    if (this.last && Date.now() - this.last.at < maxAgeMs) return Promise.resolve(this.last.figures);
    this.reading ??= this.read()
      .then((figures) => {
        this.last = { at: Date.now(), figures };
        return figures;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<Scrape> {
    const { ctx } = this;
    return readParts(
      SCRAPE_PART_MS,
      {
        queues: () => Promise.all(ctx.jobs.queueNames().map(async (queue) => ({ queue, counts: await ctx.jobs.counts(queue) }))),
        transcodesRunning: async () => (await runningTranscodes(ctx)).length,
        disk: () => ctx.services.media.diskUse(),
        deliveries: () => ctx.services.federation.deliveryHealth(),
        books: () => this.books(),
      },
      (part, err) => this.log.warn({ err, part }, 'metric not collected'),
    );
  }

  private books(): Promise<BooksHealth> {
    if (!this.booksCache || Date.now() - this.booksCache.at > BOOKS_CACHE_MS) {
      const value = this.ctx.services.money.health();
      this.booksCache = { at: Date.now(), value };
      value.catch(() => {
        if (this.booksCache?.value === value) this.booksCache = undefined;
      });
    }
    return this.booksCache.value;
  }
}

/**
 * Registers the machine's gauges on the node's registry (once; several apps may be built on one
 * context). Each waits for the scrape's figures, then empties and fills itself in one synchronous
 * step, so an overlapping scrape never reads it half filled; a part missing leaves its gauge empty.
 */
export function registerMachineMetrics(ctx: NodeContext): void {
  const registry = ctx.metrics;
  const figures = new ScrapeFigures(ctx);
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, f: Scrape) => void) =>
    metricOnce(registry, name, () => {
      const g: Gauge<L> = new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          const f = await figures.get();
          g.reset();
          // A gauge without labels comes back from reset() at 0: unknown is no value, not 0
          // (books_balanced 0 would say the books do not balance).
          if (labelNames.length === 0) g.remove({} as Partial<Record<L, string | number>>);
          fill(g, f);
        },
      });
      return g;
    });

  gauge('nineten_queue_jobs', 'Jobs per queue and state', ['queue', 'state'], (g, f) => {
    for (const { queue, counts } of f.queues ?? []) for (const state of jobStates) g.set({ queue, state }, counts[state] ?? 0);
  });
  gauge('nineten_media_transcodes_running', 'Transcodes running now', [], (g, f) => {
    if (f.transcodesRunning !== undefined) g.set(f.transcodesRunning);
  });
  gauge('nineten_media_disk_bytes', 'Bytes of media files on disk per kind (measured at most once a minute)', ['kind'], (g, f) => {
    for (const k of f.disk?.kinds ?? []) g.set({ kind: k.kind }, k.bytes);
  });
  gauge('nineten_media_disk_files', 'Media files on disk per kind (measured at most once a minute)', ['kind'], (g, f) => {
    for (const k of f.disk?.kinds ?? []) g.set({ kind: k.kind }, k.files);
  });
  gauge(
    'nineten_federation_deliveries',
    `Deliveries per remote host: delivered_24h and failed_24h (attempts), pending, dead_7d, skipped_7d; with a metrics token the ${METRIC_HOSTS} most troubled hosts by name and the rest as "other", without one all hosts as "all"`,
    ['host', 'outcome'],
    (g, f) => {
      if (!f.deliveries) return;
      for (const row of deliveryGaugeRows(f.deliveries, metricsConfig(ctx).token !== null)) g.set({ host: row.host, outcome: row.outcome }, row.value);
    },
  );
  gauge('nineten_books_balanced', '1 when the books balance (every account sums to zero, no drift, no unbalanced transaction), else 0', [], (g, f) => {
    if (f.books) g.set(f.books.balanced ? 1 : 0);
  });
  gauge('nineten_books_problems', 'Accounts whose balance drifted from their entries, and transactions that do not sum to zero', ['problem'], (g, f) => {
    if (!f.books) return;
    g.set({ problem: 'drifted_accounts' }, f.books.drifted);
    g.set({ problem: 'unbalanced_transactions' }, f.books.unbalancedTransactions);
  });
}
