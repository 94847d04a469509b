// The admin's view of the machine (/admin/machine): job queues per queue and kind with the failed
// jobs (retry, remove), transcodes in progress, media disk use per kind, federation delivery
// health per remote host and the books' health, from GET /api/v1/admin/machine.
import type { DeliveryHealth, FailedJob, JobsOverview, MachineView, MediaDiskUse } from '../../../shared/api/index.js';
import { api } from '../api.js';
import { h } from '../dom.js';
import { formatBytes } from '../lib/format.js';
import type { PageContext } from '../router.js';
import { failure, gate, section, shortDate, table } from '../ui.js';

const states = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
const num = (text: string) => ({ text, num: true });
const stateHeaders = states.map((s) => num(s[0].toUpperCase() + s.slice(1)));

function queueTables(jobs: JobsOverview): HTMLElement[] {
  const count = (c: Record<string, number>, s: string) => (s === 'waiting' ? (c.waiting ?? 0) + (c.prioritized ?? 0) : c[s] ?? 0);
  return [
    table('Jobs per queue', ['Queue', ...stateHeaders], jobs.queues.map((q) => [q.name, ...states.map((s) => count(q.counts, s))]), 'No queues.'),
    h('h3', null, 'Per job kind'),
    table('Jobs per kind', ['Kind', ...stateHeaders], jobs.queues.flatMap((q) => (q.kinds ?? []).map((k) => [k.kind, ...states.map((s) => count(k.counts, s))])), 'No jobs kept.'),
  ];
}

/** A button that runs `run` and then reloads the page's figures; a failure is shown beside it. */
function actionButton(text: string, label: string, run: () => Promise<unknown>, reload: () => Promise<void>, cls = 'secondary'): HTMLButtonElement {
  const b = h('button', { type: 'button', class: cls, 'aria-label': label }, text);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await run();
      await reload();
    } catch (err) {
      b.after(failure(`${text} failed`, err));
      b.disabled = false;
    }
  });
  return b;
}

/** What removing a failed job means: for most kinds it never runs again; some are queued again by a sweep. */
function removeQuestion(j: FailedJob): string {
  if (j.kind === 'federation.deliver') {
    return `Remove the failed ${j.kind} job ${j.id}? Its delivery stays pending, so the next sweep (within 10 minutes) queues it again; to give up on it, leave it to fail and become a dead letter.`;
  }
  if (j.kind === 'media.transcode') return `Remove the failed ${j.kind} job ${j.id}? The track stays failed; its owner can delete it or transcode it again.`;
  return `Remove the failed ${j.kind} job ${j.id}? It will not run again.`;
}

function failedJobs(failed: FailedJob[], reload: () => Promise<void>): HTMLElement {
  const path = (j: FailedJob) => `/api/v1/admin/jobs/${encodeURIComponent(j.queue)}/${encodeURIComponent(j.id)}`;
  return table('Failed jobs', ['Failed', 'Kind', 'Job', num('Attempts'), 'Error', ''], failed.map((j) => [
    shortDate(j.failedAt),
    j.kind,
    h('code', null, `${j.queue}/${j.id}`),
    j.attempts,
    h('span', { class: 'job-error' }, j.error),
    h('span', { class: 'actions', 'data-job': `${j.queue}/${j.id}` },
      actionButton('Retry', `Retry ${j.kind} job ${j.id}`, () => api('POST', `${path(j)}/retry`), reload, ''),
      actionButton('Remove', `Remove ${j.kind} job ${j.id}`, () => {
        if (!confirm(removeQuestion(j))) return Promise.resolve();
        return api('DELETE', path(j));
      }, reload, 'danger')),
  ]), 'No failed jobs.');
}

/** The fair-share line (GET /api/v1/admin/media/transcodes): tracks that have no job yet wait their owner's turn. */
interface TranscodeLine {
  processing: number;
  waitingInLine: number;
}

function transcodes(t: MachineView['transcodes'], line: TranscodeLine | null): HTMLElement[] {
  const progress = (p: unknown) => (typeof p === 'number' ? `${Math.round(p)} %` : p && typeof p === 'object' ? JSON.stringify(p) : '–');
  const trackOf = (data: Record<string, unknown>) => (typeof data.trackId === 'string' ? h('a', { href: `/tracks/${data.trackId}` }, data.trackId) : '–');
  return [
    h('p', { class: 'muted', id: 'transcode-counts' }, `${t.running.length} running, ${t.waiting} queued, ${t.delayed} waiting for a retry, ${t.failed} failed.`,
      line ? ` ${line.waitingInLine} more wait in the fair-share line for their owner's turn.` : ''),
    table('Transcodes running', ['Track', 'Started', 'Progress', num('Attempt')], t.running.map((j) => [trackOf(j.data), shortDate(j.startedAt), progress(j.progress), j.attempts + 1]), 'No transcode is running.'),
  ];
}

function disk(d: MediaDiskUse): HTMLElement[] {
  const total = d.kinds.reduce((n, k) => n + k.bytes, 0);
  return [
    table('Disk use per kind', ['Kind', num('Files'), num('Size')], [
      ...d.kinds.map((k) => [k.kind, k.files, h('span', { 'data-bytes': k.bytes }, formatBytes(k.bytes))]),
      [h('strong', null, 'All media'), d.kinds.reduce((n, k) => n + k.files, 0), h('strong', { 'data-bytes': total }, formatBytes(total))],
    ]),
    h('p', { class: 'muted' }, `Measured ${shortDate(d.measuredAt)} (at most once a minute).`),
  ];
}

function deliveries(hosts: DeliveryHealth[]): HTMLElement[] {
  const troubled = (x: DeliveryHealth) => x.failed24h > 0 || x.dead > 0 || x.skipped > 0;
  return [
    table('Deliveries per remote host', ['Host', num('Delivered 24 h'), num('Failed 24 h'), num('Pending'), num('Dead 7 d'), num('Skipped 7 d'), 'Last success', 'Last failure', 'Last error'], hosts.map((x) => [
      h('span', { 'data-host': x.host }, h('strong', null, x.host), troubled(x) ? h('small', { class: 'muted' }, ' failing') : ''),
      x.delivered24h, x.failed24h, x.pending, x.dead, x.skipped, shortDate(x.lastSuccessAt), shortDate(x.lastFailureAt), x.lastError ?? '–',
    ]), 'Nothing delivered to other servers this week.'),
    h('p', { class: 'muted' }, 'Failed attempts count each retry. A host that fails five times in a row is skipped for a while: its deliveries meanwhile are skipped, not tried. Deliveries that ran out of retries or were skipped are ', h('a', { href: '/admin/federation' }, 'dead letters'), ', which can be retried there.'),
  ];
}

function books(b: NonNullable<MachineView['books']>): HTMLElement {
  return h('p', { class: `message ${b.balanced ? 'ok' : 'error'}`, id: 'books-health', 'data-balanced': String(b.balanced), role: b.balanced ? 'status' : 'alert' },
    b.balanced
      ? `The books balance: ${b.accounts} accounts sum to zero.`
      : `The books do not balance: sum ${b.sum}, ${b.drifted} accounts drifted from their entries, ${b.unbalancedTransactions} unbalanced transactions.`,
    ' ', h('a', { href: '/admin/money' }, 'Money'));
}

export async function adminMachinePage({ main, signal }: PageContext): Promise<void> {
  if (!gate(main, 'The machine', ['admin'])) return;
  const stamp = h('span', { class: 'muted' });
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  const problems = h('div');
  const parts = {
    books: section('Books'),
    queues: section('Queues'),
    failed: section('Failed jobs'),
    transcodes: section('Transcodes'),
    disk: section('Disk use'),
    deliveries: section('Federation deliveries'),
  };
  main.append(
    h('h1', null, 'The machine'),
    h('p', null, h('a', { href: '/admin' }, 'Administration'), ' · ', stamp, ' ', refresh),
    problems,
    ...Object.values(parts),
  );
  const fill = (box: HTMLElement, ...content: (Node | null)[]) => {
    box.querySelectorAll(':scope > :not(h2)').forEach((n) => n.remove());
    box.append(...content.filter((c): c is Node => c !== null));
  };
  const unavailable = (what: string) => h('p', { class: 'message error', role: 'alert' }, `${what} could not be read this time (see above).`);
  const load = async (): Promise<void> => {
    refresh.disabled = true;
    try {
      const [m, line] = await Promise.all([
        api<MachineView>('GET', '/api/v1/admin/machine?limit=100', { signal }),
        api<TranscodeLine>('GET', '/api/v1/admin/media/transcodes', { signal }).catch(() => null),
      ]);
      stamp.textContent = `As of ${shortDate(m.measuredAt)}`;
      problems.replaceChildren(...m.problems.map((p) => h('p', { class: 'message error', role: 'alert' }, `${p.part}: ${p.error}`)));
      fill(parts.books, m.books ? books(m.books) : unavailable('The books'));
      fill(parts.queues, ...(m.jobs ? queueTables(m.jobs) : [unavailable('The queues')]));
      fill(parts.failed, m.jobs ? failedJobs(m.jobs.failed, load) : unavailable('The failed jobs'));
      fill(parts.transcodes, ...transcodes(m.transcodes, line));
      fill(parts.disk, ...(m.disk ? disk(m.disk) : [unavailable('Disk use')]));
      fill(parts.deliveries, ...(m.deliveries ? deliveries(m.deliveries) : [unavailable('Delivery health')]));
    } catch (err) {
      if (!signal.aborted) problems.replaceChildren(failure('Could not load the machine', err));
    } finally {
      refresh.disabled = false;
    }
  };
  refresh.addEventListener('click', () => void load());
  await load();
}
