// The admin's view of the machine: the job queues, transcodes in progress, media disk use,
// federation delivery health per remote host and the books' health, gathered through the
// capabilities' contracts for GET /api/v1/admin/machine, and the same figures as Prometheus
// gauges collected on each scrape of /metrics.
import { Gauge } from 'prom-client';
import type { NodeContext } from '../context.js';
import type { JobsOverview, JobSummary } from '../jobs/index.js';
import { jobStates } from '../jobs/index.js';
import type { MediaDiskUse } from '../media/contract.js';
import type { DeliveryHealth } from '../federation/contract.js';
import type { BooksHealth } from '../../shared/api/index.js';
import { metricOnce } from '../http/metrics.js';

export interface MachineView {
  measuredAt: string;
  jobs: JobsOverview;
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

/** The transcodes running now and the counts of those that wait, from the media queue. */
async function transcodes(ctx: NodeContext, jobs: JobsOverview): Promise<TranscodesInProgress> {
  const counts = jobs.queues.find((q) => q.name === 'media')?.kinds.find((k) => k.kind === TRANSCODE)?.counts ?? {};
  const running = (await ctx.jobs.list('media', ['active'], 100)).filter((j) => j.kind === TRANSCODE);
  return { running, waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 };
}

/** Everything the machine page shows; a part that fails is null and named in `problems`, the rest still shows. */
export async function machineView(ctx: NodeContext, failedJobs: number): Promise<MachineView> {
  const log = ctx.logger.child({ component: 'machine' });
  const problems: MachineView['problems'] = [];
  const part = async <T>(name: string, read: () => Promise<T>): Promise<T | null> => {
    try {
      return await read();
    } catch (err) {
      log.error({ err, part: name }, 'machine view part failed');
      problems.push({ part: name, error: (err as Error).message ?? String(err) });
      return null;
    }
  };
  const jobs = await ctx.jobs.overview(failedJobs);
  const [running, disk, deliveries, books] = await Promise.all([
    part('transcodes', () => transcodes(ctx, jobs)),
    part('disk', () => ctx.services.media.diskUse()),
    part('deliveries', () => ctx.services.federation.deliveryHealth()),
    part('books', () => ctx.services.money.health()),
  ]);
  return {
    measuredAt: new Date().toISOString(),
    jobs,
    transcodes: running ?? { running: [], waiting: 0, delayed: 0, failed: 0 },
    disk,
    deliveries,
    books,
    problems,
  };
}

/** The delivery gauges' rows: the first `METRIC_HOSTS` hosts (most troubled first) by name, the rest as "other". */
export function deliveryGaugeRows(hosts: DeliveryHealth[], limit = METRIC_HOSTS): { host: string; outcome: string; value: number }[] {
  const named = hosts.slice(0, limit);
  const rest = hosts.slice(limit);
  const figures = (h: Pick<DeliveryHealth, 'delivered24h' | 'failed24h' | 'pending' | 'dead'>) => ({
    delivered_24h: h.delivered24h,
    failed_24h: h.failed24h,
    pending: h.pending,
    dead_7d: h.dead,
  });
  const groups = named.map((h) => ({ host: h.host, values: figures(h) }));
  if (rest.length) {
    const sum = (k: 'delivered24h' | 'failed24h' | 'pending' | 'dead') => rest.reduce((n, h) => n + h[k], 0);
    groups.push({ host: 'other', values: figures({ delivered24h: sum('delivered24h'), failed24h: sum('failed24h'), pending: sum('pending'), dead: sum('dead') }) });
  }
  return groups.flatMap((g) => Object.entries(g.values).map(([outcome, value]) => ({ host: g.host, outcome, value })));
}

/**
 * Registers the machine's gauges on the node's registry (once; several apps may be built on one
 * context). Each is read when Prometheus scrapes; a part that fails is logged and left empty
 * instead of failing the whole scrape.
 */
export function registerMachineMetrics(ctx: NodeContext): void {
  const registry = ctx.metrics;
  const log = ctx.logger.child({ component: 'machine' });
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>) => Promise<void>) =>
    metricOnce(registry, name, () => {
      const g: Gauge<L> = new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          g.reset();
          await fill(g).catch((err) => log.warn({ err, metric: name }, 'metric not collected'));
        },
      });
      return g;
    });

  gauge('nineten_queue_jobs', 'Jobs per queue and state', ['queue', 'state'], async (g) => {
    for (const queue of ctx.jobs.queueNames()) {
      const counts = await ctx.jobs.counts(queue);
      for (const state of jobStates) g.set({ queue, state }, counts[state] ?? 0);
    }
  });
  gauge('nineten_media_transcodes_running', 'Transcodes running now', [], async (g) => {
    g.set((await ctx.jobs.list('media', ['active'], 100)).filter((j) => j.kind === TRANSCODE).length);
  });
  const disk = ctx.services.media;
  gauge('nineten_media_disk_bytes', 'Bytes of media files on disk per kind (measured at most once a minute)', ['kind'], async (g) => {
    for (const k of (await disk.diskUse()).kinds) g.set({ kind: k.kind }, k.bytes);
  });
  gauge('nineten_media_disk_files', 'Media files on disk per kind (measured at most once a minute)', ['kind'], async (g) => {
    for (const k of (await disk.diskUse()).kinds) g.set({ kind: k.kind }, k.files);
  });
  gauge(
    'nineten_federation_deliveries',
    `Deliveries per remote host: delivered_24h and failed_24h (attempts), pending, dead_7d; the ${METRIC_HOSTS} most troubled hosts by name, the rest as "other"`,
    ['host', 'outcome'],
    async (g) => {
      for (const row of deliveryGaugeRows(await ctx.services.federation.deliveryHealth())) g.set({ host: row.host, outcome: row.outcome }, row.value);
    },
  );
  let books: { at: number; value: Promise<BooksHealth> } | undefined;
  const booksHealth = () => {
    if (!books || Date.now() - books.at > BOOKS_CACHE_MS) books = { at: Date.now(), value: ctx.services.money.health() };
    const value = books.value;
    value.catch(() => {
      if (books?.value === value) books = undefined;
    });
    return value;
  };
  gauge('nineten_books_balanced', '1 when the books balance (every account sums to zero, no drift, no unbalanced transaction), else 0', [], async (g) => {
    g.set((await booksHealth()).balanced ? 1 : 0);
  });
  gauge('nineten_books_problems', 'Accounts whose balance drifted from their entries, and transactions that do not sum to zero', ['problem'], async (g) => {
    const h = await booksHealth();
    g.set({ problem: 'drifted_accounts' }, h.drifted);
    g.set({ problem: 'unbalanced_transactions' }, h.unbalancedTransactions);
  });
}
